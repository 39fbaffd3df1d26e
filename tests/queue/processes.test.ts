// The queue across real OS processes: a worker killed with SIGKILL mid-item,
// and (on PostgreSQL) two worker processes draining one queue.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import prisma, { dbProvider } from "~/db.server";
import { queueCrmSync } from "~/queue/enqueue.server";
import { Worker } from "~/queue/worker.server";
import { ROOT } from "../support/databases";
import { registerConverging, seedMember, startPlatform, until, type Platform } from "./support";

let platform: Platform;
const children: ChildProcess[] = [];
const workers: Worker[] = [];

beforeAll(async () => {
  platform = await startPlatform();
  registerConverging(() => platform.url);
});
afterAll(() => platform.close());
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
  await Promise.all(workers.splice(0).map((w) => w.stop({ deadlineMs: 2000 })));
  platform.faults.clear();
});

function startChild(env: Record<string, string>): Promise<ChildProcess> {
  // node itself with tsx's loader (not the tsx CLI, which would run the worker
  // in a grandchild that SIGKILL would not reach).
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "tests/queue/fixtures/worker-process.ts")], {
    cwd: ROOT,
    env: { ...process.env, PLATFORM_URL: platform.url, LOG_LEVEL: "silent", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      if (d.toString().includes("ready")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`worker process exited early (${code})`)));
  });
}


describe("crash safety", () => {
  it("kill -9 mid-item: another worker completes it within lease + poll interval, with one effective remote change", async () => {
    const shop = "crash.myshopify.com";
    const { customer, enrollment, tier } = await seedMember(prisma, shop);
    const { id } = await queueCrmSync({ shop, enrollmentId: enrollment.id, actionType: "add_membership", stageId: tier.id, customerId: customer.id });
    platform.faults.add({ mode: "slow", delayMs: 10_000, times: 1, match: customer.id });

    const LEASE = 1500;
    const POLL = 100;
    const child = await startChild({ WORKER_ID: "doomed", LEASE_MS: String(LEASE), POLL_MS: "50" });
    await until(async () => platform.requests().filter((r) => r.path.includes(customer.id)).length, (n) => n === 1, 15_000);
    const killedAt = Date.now();
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    expect((await prisma.crmSyncQueue.findUniqueOrThrow({ where: { id } })).status).toBe("processing");

    const w = new Worker({ db: prisma, concurrency: 2, pollIntervalMs: POLL, leaseMs: 30_000, backoff: { baseMs: 50, capMs: 500 }, paceRates: {}, pruneEveryMs: 0 });
    workers.push(w);
    w.start();
    const done = await until(() => prisma.crmSyncQueue.findUniqueOrThrow({ where: { id } }), (i) => i.status === "completed", 15_000);
    expect(done.completedAt!.getTime() - killedAt).toBeLessThanOrEqual(LEASE + POLL + 1000);
    const outcomes = (await prisma.syncAttempt.findMany({ where: { queueId: id }, orderBy: { startedAt: "asc" } })).map((a) => a.outcome);
    expect(outcomes).toEqual(["lease_expired", "success"]);
    expect(platform.changes.filter((c) => c.key === `${shop}/${customer.id}`)).toHaveLength(1);
    expect(platform.state.get(`${shop}/${customer.id}`)).toBe(tier.handle);
  }, 40_000);
});

if (dbProvider === "postgresql") {
  describe("several worker processes on one PostgreSQL", () => {
    it("two processes drain 2,000 items: each completed exactly once, never held by two workers", async () => {
      const N = 2000;
      const now = new Date();
      await prisma.crmSyncQueue.createMany({
        data: Array.from({ length: N }, (_, i) => ({
          id: `multi-${i}`,
          shop: `shop-${i % 7}.myshopify.com`,
          customerId: `cust-${i}`,
          actionType: "add_membership",
          stageId: "tier",
          idempotencyKey: `multi-${i}`,
          nextRunAt: now,
          createdAt: now,
        })),
      });
      await Promise.all([
        startChild({ WORKER_ID: "w1", MODE: "record", CONCURRENCY: "4" }),
        startChild({ WORKER_ID: "w2", MODE: "record", CONCURRENCY: "4" }),
      ]);
      await until(() => prisma.crmSyncQueue.count({ where: { id: { startsWith: "multi-" }, status: "completed" } }), (n) => n === N, 90_000);

      const attempts = await prisma.syncAttempt.findMany({ where: { queueId: { startsWith: "multi-" } } });
      expect(attempts).toHaveLength(N);
      expect(attempts.every((a) => a.outcome === "success")).toBe(true);
      expect(new Set(attempts.map((a) => a.queueId)).size).toBe(N);
      const calls = platform.calls.filter((c) => c.item.startsWith("multi-"));
      expect(calls).toHaveLength(N); // one remote call per item: no item ran twice
      expect(new Set(calls.map((c) => c.item)).size).toBe(N);
      const byWorker = new Set(calls.map((c) => c.worker));
      expect(byWorker).toEqual(new Set(["w1", "w2"])); // both processes did work
    }, 120_000);
  });
}
