// The database goes away for 10 s under a running worker (its own OS process).
// - PostgreSQL: unreachable for that worker only (a TCP proxy between them,
//   cut and restored; the shared server keeps running for everyone else).
// - SQLite: another process (the `sqlite3` shell, as anyone inspecting the file
//   or a backup tool would) holds the write lock for the whole time, so every
//   claim waits out its busy timeout and fails.
// Meanwhile the worker must not spin (CPU from /proc), must log a handful of
// lines, and must drain everything afterwards.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma, { dbProvider } from "~/db.server";
import { ROOT } from "../support/databases";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";
import { startPlatform, until, type Platform } from "./support";

const OUTAGE_MS = 10_000;
let platform: Platform;
let proxy: TcpProxy | null = null;
const children: ChildProcess[] = [];

beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await platform?.close();
  await proxy?.close();
});

/** utime + stime of a process, in seconds (/proc/<pid>/stat, clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function start(file: string, env: Record<string, string>, ready: string): Promise<{ child: ChildProcess; lines: { at: number; text: string }[] }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, file)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const lines: { at: number; text: string }[] = [];
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      for (const text of d.toString().split("\n").filter(Boolean)) {
        lines.push({ at: Date.now(), text });
        if (text.includes(ready)) resolve({ child, lines });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${file} exited early (${code}): ${lines.map((l) => l.text).join("\n")}`)));
  });
}

/** How the database goes away for the worker, and comes back. */
type Outage = { workerUrl: string; begin(): Promise<void>; end(): Promise<void> };

async function postgresOutage(url: string): Promise<Outage> {
  const u = new URL(url);
  proxy = await startTcpProxy({ host: u.hostname, port: Number(u.port || 5432) });
  u.hostname = "127.0.0.1";
  u.port = String(proxy.port);
  return { workerUrl: u.toString(), begin: () => proxy!.cut(), end: () => proxy!.restore() };
}

function sqliteOutage(url: string): Outage {
  const file = url.slice("file:".length);
  let holder: ChildProcess | null = null;
  return {
    workerUrl: url,
    async begin() {
      holder = spawn("sqlite3", [resolve(ROOT, file)], { stdio: ["pipe", "pipe", "inherit"] });
      children.push(holder);
      // Take the write lock, then say so: the outage starts once it is held.
      holder.stdin!.write(".timeout 10000\nBEGIN IMMEDIATE;\nUPDATE Shop SET updatedAt = updatedAt;\nSELECT 'locked';\n");
      await new Promise<void>((resolve) => holder!.stdout!.on("data", (d: Buffer) => d.toString().includes("locked") && resolve()));
    },
    async end() {
      holder!.stdin!.end("COMMIT;\n.quit\n");
      await once(holder!, "exit");
    },
  };
}

describe("the database goes away and comes back", () => {
  it(`for ${OUTAGE_MS / 1000} s (${dbProvider}): the worker uses under 5% CPU, logs fewer than 20 lines, and drains everything after`, async () => {
    const url = process.env.DATABASE_URL!;
    const outage = dbProvider === "postgresql" ? await postgresOutage(url) : sqliteOutage(url);
    const workerUrl = outage.workerUrl;
    const { child: worker, lines } = await start(
      "tests/queue/fixtures/worker-process.ts",
      { DATABASE_URL: workerUrl, PLATFORM_URL: platform.url, WORKER_ID: "outage", MODE: "record", POLL_MS: "200", LOG_LEVEL: "info" },
      "ready outage",
    );
    await new Promise((r) => setTimeout(r, 1500)); // connected and idle

    // Items that fall due while the database is away.
    const N = 100;
    const due = new Date(Date.now() + 1000);
    await prisma.crmSyncQueue.createMany({
      data: Array.from({ length: N }, (_, i) => ({ id: `out-${i}`, shop: "outage.myshopify.com", customerId: `c-${i}`, actionType: "add_membership", stageId: "t", idempotencyKey: `out-${i}`, nextRunAt: due, createdAt: due })),
    });

    await outage.begin();
    const from = Date.now();
    const cpu0 = cpuSeconds(worker.pid!);
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const cpu = (cpuSeconds(worker.pid!) - cpu0) / ((Date.now() - from) / 1000);
    const logged = lines.filter((l) => l.at >= from).length;
    // The outage was real: nothing could be claimed or finished meanwhile.
    const doneDuring = await prisma.crmSyncQueue.count({ where: { id: { startsWith: "out-" }, status: { not: "pending" } } });
    await outage.end();

    await until(() => prisma.crmSyncQueue.count({ where: { id: { startsWith: "out-" }, status: "completed" } }), (n) => n === N, 30_000);
    const outageLines = lines.filter((l) => l.at >= from && l.at < from + OUTAGE_MS).map((l) => l.text);
    console.log(`${dbProvider} outage: worker CPU ${(cpu * 100).toFixed(1)}%, ${logged} lines:\n${outageLines.join("\n")}`);
    expect(doneDuring).toBe(0);
    expect(worker.exitCode).toBeNull(); // it survived the outage
    expect(cpu).toBeLessThan(0.05);
    expect(logged).toBeLessThan(20);
    const calls = platform.calls.filter((c) => c.item.startsWith("out-"));
    expect(new Set(calls.map((c) => c.item)).size).toBe(N);
    worker.kill("SIGTERM");
  }, 90_000);
});
