// The durable sync queue against a real database and a real HTTP platform.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { backoffBounds, backoffDelay } from "~/queue/backoff";
import { claimDue, recoverExpiredLeases } from "~/queue/claim.server";
import { queueCrmSync } from "~/queue/enqueue.server";
import { recordSuccess } from "~/queue/finish.server";
import { discard, retryAllFailed, retryNow } from "~/queue/manual.server";
import { clearProcessors, registerProcessor } from "~/queue/registry";
import { pruneCompleted, queueStats } from "~/queue/stats.server";
import { Worker } from "~/queue/worker.server";
import { registerConverging, seedMember, startPlatform, until, type Platform } from "./support";

const SHOP = "queue.myshopify.com";
let platform: Platform;
const workers: Worker[] = [];

beforeAll(async () => {
  platform = await startPlatform();
  registerConverging(() => platform.url);
});
afterAll(() => platform.close());
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop({ deadlineMs: 2000 })));
  platform.faults.clear();
});

function worker(opts: Partial<ConstructorParameters<typeof Worker>[0]> = {}) {
  const w = new Worker({
    db: prisma,
    concurrency: 4,
    pollIntervalMs: 50,
    leaseMs: 30_000,
    backoff: { baseMs: 40, capMs: 400 },
    paceRates: {},
    pruneEveryMs: 0,
    ...opts,
  });
  workers.push(w);
  return w;
}

async function enqueueAdd(shop = SHOP, extra: { maxAttempts?: number } = {}) {
  const { customer, enrollment, tier } = await seedMember(prisma, shop);
  const q = await queueCrmSync({ shop, enrollmentId: enrollment.id, actionType: "add_membership", stageId: tier.id, customerId: customer.id, ...extra });
  return { customer, enrollment, tier, id: q.id };
}


const item = (id: string) => prisma.crmSyncQueue.findUniqueOrThrow({ where: { id } });

describe("backoff", () => {
  it("is min(cap, base·2^(attempt−1)) with equal jitter", () => {
    const policy = { baseMs: 30_000, capMs: 3_600_000 };
    expect(backoffBounds(1, policy)).toEqual({ min: 15_000, max: 30_000 });
    expect(backoffBounds(4, policy)).toEqual({ min: 120_000, max: 240_000 });
    expect(backoffBounds(20, policy)).toEqual({ min: 1_800_000, max: 3_600_000 });
    expect(backoffDelay(3, policy, () => 0)).toBe(60_000);
    expect(backoffDelay(3, policy, () => 1)).toBe(120_000);
  });
});

describe("outcomes", () => {
  it("an always-failing item is tried exactly maxAttempts times within the backoff bounds, then stays failed", async () => {
    const { id, enrollment, customer } = await enqueueAdd();
    platform.faults.add({ mode: "500", match: customer.id });
    const w = worker();
    w.start();
    const failed = await until(() => item(id), (i) => i.status === "failed");
    const attempts = await prisma.syncAttempt.findMany({ where: { queueId: id }, orderBy: { attempt: "asc" } });
    expect(failed.attempts).toBe(5);
    expect(attempts.map((a) => [a.attempt, a.outcome, a.httpStatus])).toEqual([
      [1, "retry", 500],
      [2, "retry", 500],
      [3, "retry", 500],
      [4, "retry", 500],
      [5, "failed", 500],
    ]);
    expect(failed.lastError).toMatch(/Gave up after 5 attempts.*HTTP 500/);
    for (let k = 1; k < attempts.length; k++) {
      const gap = attempts[k]!.startedAt.getTime() - (attempts[k - 1]!.startedAt.getTime() + attempts[k - 1]!.durationMs);
      const { min, max } = backoffBounds(k, { baseMs: 40, capMs: 400 });
      expect(gap).toBeGreaterThanOrEqual(min - 5);
      expect(gap).toBeLessThanOrEqual(max + 250); // + one poll and scheduling slack
    }
    expect((await prisma.enrollment.findUniqueOrThrow({ where: { id: enrollment.id } })).syncState).toBe("failed");
    const calls = platform.requests().length;
    await new Promise((r) => setTimeout(r, 300));
    expect(platform.requests().length).toBe(calls); // never invoked again
  });

  it("classifies: 422 fails after one attempt; 429 Retry-After 120 defers without an attempt; 500 and timeout back off", async () => {
    const a = await enqueueAdd();

    // 422 → failed at once
    const { startFakeServer } = await import("../../sandbox/fakes/http");
    const unprocessable = await startFakeServer(async () => ({ status: 422, body: { message: "bad address" } }), { authErrorBody: {}, serverErrorBody: {} });
    clearProcessors();
    registerConverging(() => unprocessable.url);
    const w = worker();
    w.start();
    const failed = await until(() => item(a.id), (i) => i.status === "failed");
    expect([failed.attempts, failed.lastError]).toEqual([1, expect.stringMatching(/HTTP 422.*bad address/)]);
    await w.stop();
    await unprocessable.close();
    clearProcessors();
    registerConverging(() => platform.url);

    // 429 Retry-After: 120 → deferred ≥ 120 s, no attempt used
    const b = await enqueueAdd();
    platform.faults.add({ mode: "429", retryAfter: 120, times: 1, match: b.customer.id });
    const before = Date.now();
    const w2 = worker();
    w2.start();
    const deferred = await until(() => item(b.id), (i) => i.throttleDeferrals === 1);
    expect(deferred.status).toBe("pending");
    expect(deferred.attempts).toBe(0);
    expect(deferred.nextRunAt.getTime()).toBeGreaterThanOrEqual(before + 120_000);
    await w2.stop();

    // 500 → backoff; timeout → backoff
    const c = await enqueueAdd();
    platform.faults.add({ mode: "500", times: 1, match: c.customer.id });
    const w3 = worker({ backoff: { baseMs: 60_000, capMs: 600_000 } });
    w3.start();
    const retried = await until(() => item(c.id), (i) => i.attempts === 1);
    expect(retried.status).toBe("pending");
    const wait = retried.nextRunAt.getTime() - retried.updatedAt.getTime();
    expect(wait).toBeGreaterThanOrEqual(30_000 - 50);
    expect(wait).toBeLessThanOrEqual(60_000 + 50);
    await w3.stop();

    const d = await enqueueAdd();
    platform.faults.add({ mode: "slow", delayMs: 1500, times: 1, match: d.customer.id });
    const w4 = worker({ processorTimeoutMs: 200, backoff: { baseMs: 60_000, capMs: 600_000 } });
    w4.start();
    const timedOut = await until(() => item(d.id), (i) => i.attempts === 1);
    expect([timedOut.status, timedOut.lastError]).toEqual(["pending", "No answer within 200 ms"]);
  });

  it("success completes the item, records the attempt and marks the enrollment synced", async () => {
    const { id, enrollment, customer } = await enqueueAdd();
    const w = worker();
    w.start();
    const done = await until(() => item(id), (i) => i.status === "completed");
    expect(JSON.parse(done.result!)).toEqual({ state: "silver" });
    expect((await prisma.syncAttempt.findMany({ where: { queueId: id } })).map((a) => a.outcome)).toEqual(["success"]);
    expect((await prisma.enrollment.findUniqueOrThrow({ where: { id: enrollment.id } })).syncState).toBe("synced");
    expect(platform.state.get(`${SHOP}/${customer.id}`)).toBe("silver");
  });
});

describe("leases and fencing", () => {
  it("an expired lease is reclaimed at once and counts as an attempt; the stale holder cannot record its result", async () => {
    const { id } = await enqueueAdd();
    const now = new Date();
    const [claimed] = await claimDue(prisma, { workerId: "paused-worker", limit: 1, perShop: 1, leaseMs: 100, now });
    expect(claimed?.id).toBe(id);
    // The paused worker sleeps past its lease…
    await new Promise((r) => setTimeout(r, 150));
    const recovered = await recoverExpiredLeases(prisma, new Date());
    expect(recovered.map((r) => [r.id, r.status, r.attempts])).toEqual([[id, "pending", 1]]);
    // …another worker completes the item…
    const w = worker();
    w.start();
    await until(() => item(id), (i) => i.status === "completed");
    const winner = await item(id);
    // …and the paused one wakes up: its stale result is refused.
    const accepted = await recordSuccess(prisma, claimed!, { result: { state: "STALE" } }, { workerId: "paused-worker", startedAt: now, durationMs: 1 });
    expect(accepted).toBe(false);
    expect((await item(id)).result).toBe(winner.result);
    const outcomes = (await prisma.syncAttempt.findMany({ where: { queueId: id }, orderBy: { startedAt: "asc" } })).map((a) => a.outcome);
    expect(outcomes).toEqual(["lease_expired", "success"]);
  });
});

describe("order per member", () => {
  it("add, upgrade, cancel of one member with the add failing twice: runs in order and the remote ends cancelled", async () => {
    const { customer, enrollment, tier } = await seedMember(prisma, SHOP, "silver");
    const add = await queueCrmSync({ shop: SHOP, enrollmentId: enrollment.id, actionType: "add_membership", stageId: tier.id, customerId: customer.id });
    const gold = await prisma.tier.create({ data: { shop: SHOP, name: "gold", handle: `gold-${customer.id}`, rank: 900, annualThresholdCents: 0, initialPurchaseCents: 0, durationMonths: 12 } });
    await prisma.enrollment.update({ where: { id: enrollment.id }, data: { status: "upgraded" } });
    const e2 = await prisma.enrollment.create({ data: { shop: SHOP, customerId: customer.id, tierId: gold.id, expiresAt: new Date(Date.now() + 1e10) } });
    const upgrade = await queueCrmSync({ shop: SHOP, enrollmentId: e2.id, actionType: "upgrade_membership", stageId: gold.id, oldStageId: tier.id, customerId: customer.id });
    await prisma.enrollment.update({ where: { id: e2.id }, data: { status: "cancelled" } });
    const cancel = await queueCrmSync({ shop: SHOP, enrollmentId: e2.id, actionType: "cancel_membership", stageId: gold.id, customerId: customer.id });

    platform.faults.add({ mode: "500", times: 2, match: customer.id });
    const w = worker({ concurrency: 4 });
    w.start();
    await until(() => item(cancel.id), (i) => i.status === "completed");
    const rows = await prisma.crmSyncQueue.findMany({ where: { id: { in: [add.id, upgrade.id, cancel.id] } } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(add.id)!.attempts).toBe(3);
    // Never overtaken: each item completed before the next one started.
    const firstStart = async (id: string) => (await prisma.syncAttempt.findFirstOrThrow({ where: { queueId: id }, orderBy: { startedAt: "asc" } })).startedAt;
    expect(byId.get(add.id)!.completedAt!.getTime()).toBeLessThanOrEqual((await firstStart(upgrade.id)).getTime());
    expect(byId.get(upgrade.id)!.completedAt!.getTime()).toBeLessThanOrEqual((await firstStart(cancel.id)).getTime());
    // The remote ends cancelled and never saw an older state after a newer one.
    expect(platform.state.get(`${SHOP}/${customer.id}`)).toBeNull();
    expect(platform.changes.filter((c) => c.key === `${SHOP}/${customer.id}`).map((c) => c.state)).toEqual([null]);
  });
});

describe("isolation between shops", () => {
  it("interleaved items of two shops each use only their own shop's credentials and data", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await enqueueAdd(i % 2 ? "a.myshopify.com" : "b.myshopify.com")).id);
    const w = worker();
    w.start();
    await until(() => prisma.crmSyncQueue.count({ where: { id: { in: ids }, status: "completed" } }), (n) => n === 10);
    const mine = platform.calls.filter((c) => ids.includes(c.item));
    expect(mine).toHaveLength(10);
    for (const call of mine) {
      expect(call.key.startsWith(`${call.shop}/`)).toBe(true);
      expect(call.auth).toBe(`tenant-${call.shop}:app-${call.shop}`);
      const row = await item(call.item);
      expect(row.shop).toBe(call.shop);
    }
  });
});

describe("outbox", () => {
  it("over many transactions committed or rolled back at random, queue rows = committed business rows", async () => {
    const { tier } = await seedMember(prisma, "outbox.myshopify.com");
    let committed = 0;
    for (let i = 0; i < 40; i++) {
      const rollback = Math.random() < 0.5;
      try {
        await prisma.$transaction(async (tx) => {
          const c = await tx.customer.create({ data: { shop: "outbox.myshopify.com", email: `o${i}@example.com` } });
          const e = await tx.enrollment.create({ data: { shop: "outbox.myshopify.com", customerId: c.id, tierId: tier.id, expiresAt: new Date(Date.now() + 1e9) } });
          await queueCrmSync({ shop: "outbox.myshopify.com", enrollmentId: e.id, actionType: "add_membership", stageId: tier.id, customerId: c.id }, tx);
          if (rollback) throw new Error("rollback");
        });
        committed++;
      } catch (e) {
        expect((e as Error).message).toBe("rollback");
      }
    }
    const enrollments = await prisma.enrollment.findMany({ where: { shop: "outbox.myshopify.com" }, select: { id: true } });
    const queued = await prisma.crmSyncQueue.findMany({ where: { shop: "outbox.myshopify.com" }, select: { enrollmentId: true } });
    expect(enrollments.length).toBe(committed + 1);
    expect(queued.length).toBe(committed);
    for (const q of queued) expect(enrollments.some((e) => e.id === q.enrollmentId)).toBe(true);
  });

  it("re-enqueueing the same logical operation is a no-op, even inside a transaction", async () => {
    const { customer, enrollment, tier } = await seedMember(prisma);
    const input = { shop: SHOP, enrollmentId: enrollment.id, actionType: "add_membership" as const, stageId: tier.id, customerId: customer.id };
    const first = await queueCrmSync(input);
    const again = await prisma.$transaction(async (tx) => queueCrmSync(input, tx));
    expect(again).toEqual({ id: first.id, created: false });
    expect(await prisma.crmSyncQueue.count({ where: { enrollmentId: enrollment.id } })).toBe(1);
  });
});

describe("graceful shutdown", () => {
  it("stops claiming at once and releases in-flight items it cannot finish, without using an attempt", async () => {
    const { id, customer } = await enqueueAdd();
    platform.faults.add({ mode: "slow", delayMs: 3000, times: 1, match: customer.id });
    const w = worker();
    w.start();
    await until(async () => platform.requests().some((r) => r.path.includes(customer.id)), Boolean);
    await w.stop({ deadlineMs: 100 });
    const released = await item(id);
    expect([released.status, released.attempts, released.lockedBy]).toEqual(["pending", 0, null]);
    expect((await prisma.syncAttempt.findMany({ where: { queueId: id } })).map((a) => a.outcome)).toEqual(["released"]);
    const late = await enqueueAdd();
    await new Promise((r) => setTimeout(r, 200));
    expect((await item(late.id)).status).toBe("pending"); // nothing claimed after the signal
  });

  it("lets in-flight items finish within the deadline", async () => {
    const { id, customer } = await enqueueAdd();
    platform.faults.add({ mode: "slow", delayMs: 200, times: 1, match: customer.id });
    const w = worker();
    w.start();
    // In flight for real: the platform has the request (claimed-but-unstarted items are released instead).
    await until(async () => platform.requests().some((r) => r.path.includes(customer.id)), Boolean);
    await w.stop({ deadlineMs: 5000 });
    expect((await item(id)).status).toBe("completed");
  });
});

describe("manual operations", () => {
  it("retrying one failed item twice concurrently gives one execution", async () => {
    const { id, customer } = await enqueueAdd(SHOP, { maxAttempts: 1 });
    platform.faults.add({ mode: "500", times: 1, match: customer.id });
    const w = worker();
    w.start();
    await until(() => item(id), (i) => i.status === "failed");
    const before = platform.calls.filter((c) => c.item === id).length;
    await Promise.all([retryNow(prisma, SHOP, id), retryNow(prisma, SHOP, id)]);
    await until(() => item(id), (i) => i.status === "completed");
    await new Promise((r) => setTimeout(r, 200));
    expect(platform.calls.filter((c) => c.item === id).length - before).toBe(1);
  });

  it("are scoped to the shop; discard records who and why; a processing item is left alone", async () => {
    const { id } = await enqueueAdd();
    expect(await retryNow(prisma, "other.myshopify.com", id)).toEqual({ ok: false, reason: "No such sync item." });
    expect(await discard(prisma, "other.myshopify.com", id, { by: "x", reason: "y" })).toMatchObject({ ok: false });
    await prisma.crmSyncQueue.update({ where: { id }, data: { status: "processing" } });
    expect(await discard(prisma, SHOP, id, { by: "ann@example.com", reason: "dup" })).toMatchObject({ ok: false });
    await prisma.crmSyncQueue.update({ where: { id }, data: { status: "failed" } });
    expect(await discard(prisma, SHOP, id, { by: "ann@example.com", reason: "duplicate" })).toEqual({ ok: true });
    expect(await item(id)).toMatchObject({ status: "cancelled", discardedBy: "ann@example.com", discardReason: "duplicate" });
  });

  it("retry all failed works in batches", async () => {
    const shop = "batch.myshopify.com";
    for (let i = 0; i < 5; i++) {
      const { id } = await enqueueAdd(shop);
      await prisma.crmSyncQueue.update({ where: { id }, data: { status: "failed", attempts: 5 } });
    }
    expect(await retryAllFailed(prisma, shop, { batchSize: 2 })).toBe(5);
    expect(await prisma.crmSyncQueue.count({ where: { shop, status: "pending", attempts: 0 } })).toBe(5);
  });
});

describe("observability and retention", () => {
  it("reports counts, oldest due age, failures and throughput per shop; prunes only old completed items", async () => {
    const shop = "stats.myshopify.com";
    const a = await enqueueAdd(shop);
    const b = await enqueueAdd(shop);
    await prisma.crmSyncQueue.update({ where: { id: a.id }, data: { status: "completed", completedAt: new Date(Date.now() - 40 * 86_400_000) } });
    await prisma.crmSyncQueue.update({ where: { id: b.id }, data: { status: "failed" } });
    const c = await enqueueAdd(shop);
    await prisma.crmSyncQueue.update({ where: { id: c.id }, data: { nextRunAt: new Date(Date.now() - 5000) } });
    const stats = await queueStats(prisma, { shop });
    expect(stats.counts).toMatchObject({ pending: 1, completed: 1, failed: 1 });
    expect(stats.oldestDueAgeMs).toBeGreaterThanOrEqual(5000);
    expect(await pruneCompleted(prisma, { olderThanDays: 30, batchSize: 1 })).toBeGreaterThanOrEqual(1);
    expect(await prisma.crmSyncQueue.findUnique({ where: { id: a.id } })).toBeNull();
    expect(await prisma.crmSyncQueue.findUnique({ where: { id: b.id } })).not.toBeNull();
  });
});

describe("processor registry", () => {
  it("an action without a processor fails permanently with a clear reason", async () => {
    clearProcessors();
    const { id } = await enqueueAdd();
    const w = worker();
    w.start();
    const failed = await until(() => item(id), (i) => i.status === "failed");
    expect(failed.lastError).toBe('No commerce7 processor for "add_membership".');
    registerProcessor("commerce7", "add_membership", async () => ({}));
    clearProcessors();
    registerConverging(() => platform.url);
  });
});
