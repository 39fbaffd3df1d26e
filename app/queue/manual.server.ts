// Manual operations for the retry screen. All are scoped to the shop, guarded
// by the item's current status (a conditional update), so they are safe while
// the worker holds an item and a double click executes once.
import type { Db } from "../db.server";
import { wakeWorker } from "./notifier";

export type ManualResult = { ok: true } | { ok: false; reason: string };

/**
 * Failed or pending → pending now, with a fresh attempt budget (history is
 * kept in SyncAttempt). An item being processed is left alone.
 */
export async function retryNow(db: Db, shop: string, id: string): Promise<ManualResult> {
  const { count } = await db.crmSyncQueue.updateMany({
    where: { id, shop, status: { in: ["failed", "pending"] } },
    data: { status: "pending", nextRunAt: new Date(), attempts: 0, throttleDeferrals: 0 },
  });
  if (count === 0) {
    const item = await db.crmSyncQueue.findFirst({ where: { id, shop }, select: { status: true } });
    return { ok: false, reason: item ? `This item is ${item.status}; only failed or waiting items can be retried.` : "No such sync item." };
  }
  await db.enrollment.updateMany({
    where: { shop, syncState: "failed", id: (await db.crmSyncQueue.findFirst({ where: { id, shop }, select: { enrollmentId: true } }))?.enrollmentId ?? "-" },
    data: { syncState: "pending" },
  });
  wakeWorker();
  return { ok: true };
}

/** Every failed item of the shop back to pending, in batches. Returns how many. */
export async function retryAllFailed(db: Db, shop: string, { batchSize = 200 }: { batchSize?: number } = {}): Promise<number> {
  let total = 0;
  for (;;) {
    const batch = await db.crmSyncQueue.findMany({ where: { shop, status: "failed" }, select: { id: true, enrollmentId: true }, take: batchSize });
    if (!batch.length) break;
    const { count } = await db.crmSyncQueue.updateMany({
      where: { shop, status: "failed", id: { in: batch.map((b) => b.id) } },
      data: { status: "pending", nextRunAt: new Date(), attempts: 0, throttleDeferrals: 0 },
    });
    await db.enrollment.updateMany({
      where: { shop, syncState: "failed", id: { in: batch.map((b) => b.enrollmentId).filter((x): x is string => Boolean(x)) } },
      data: { syncState: "pending" },
    });
    total += count;
    if (count === 0) break;
  }
  if (total) wakeWorker();
  return total;
}

/** Pending or failed → cancelled, recording who and why. A running item cannot be discarded. */
export async function discard(db: Db, shop: string, id: string, { by, reason }: { by: string; reason: string }): Promise<ManualResult> {
  const { count } = await db.crmSyncQueue.updateMany({
    where: { id, shop, status: { in: ["pending", "failed"] } },
    data: { status: "cancelled", discardedBy: by, discardReason: reason || "Discarded", lockedBy: null, leaseUntil: null },
  });
  if (count === 0) {
    const item = await db.crmSyncQueue.findFirst({ where: { id, shop }, select: { status: true } });
    return { ok: false, reason: item ? `This item is ${item.status} and cannot be discarded.` : "No such sync item." };
  }
  return { ok: true };
}
