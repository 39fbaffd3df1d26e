// Runs a real worker until nothing is due (or 10 s pass), then stops it.
// The worker class is passed in because test files import app modules only
// after pointing the environment at their fakes.
import type { Db } from "~/db.server";
import type { Worker } from "~/queue/worker.server";

export async function drainQueue(db: Db, WorkerClass: typeof Worker, opts: { timeoutMs?: number; backoff?: { baseMs: number; capMs: number } } = {}) {
  const { timeoutMs = 10_000, backoff = { baseMs: 10, capMs: 50 } } = opts;
  const w = new WorkerClass({ db, concurrency: 4, pollIntervalMs: 20, leaseMs: 30_000, backoff, paceRates: {}, pruneEveryMs: 0 });
  w.start();
  const deadline = Date.now() + timeoutMs;
  const open = () => db.crmSyncQueue.count({ where: { OR: [{ status: "processing" }, { status: "pending", nextRunAt: { lte: new Date(Date.now() + 200) } }] } });
  while ((await open()) > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 30));
  }
  await w.stop();
}
