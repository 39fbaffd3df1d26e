// The inline sync at enrollment (Commerce7 shops): run the item now, through
// the same runner the worker uses, within a short deadline. Whatever happens,
// the row stays consistent: completed, or back in the queue with the error
// recorded for the worker to retry. The enrollment itself is never blocked
// beyond the deadline, and never fails because of it.
import type { Db } from "../db.server";
import { env } from "../env.server";
import { claimOne } from "./claim.server";
import { wakeWorker } from "./notifier";
import { runItem } from "./run.server";

export async function processNow(db: Db, shop: string, itemId: string, opts: { deadlineMs: number }): Promise<{ status: "completed" | "queued"; error?: string }> {
  const item = await claimOne(db, itemId, { workerId: `inline:${process.pid}`, leaseMs: Math.max(env.QUEUE_LEASE_MS, opts.deadlineMs + 5000), now: new Date() });
  if (!item || item.shop !== shop) return { status: "queued" };
  const outcome = await runItem(db, item, {
    workerId: `inline:${process.pid}`,
    backoff: { baseMs: env.QUEUE_BACKOFF_BASE_MS, capMs: env.QUEUE_BACKOFF_CAP_MS },
    timeoutMs: opts.deadlineMs,
  });
  if (outcome === "completed") return { status: "completed" };
  wakeWorker();
  const row = await db.crmSyncQueue.findFirst({ where: { id: itemId, shop }, select: { lastError: true } });
  return { status: "queued", error: row?.lastError ?? undefined };
}
