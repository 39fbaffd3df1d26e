// Manual operations for the retry screen. All are scoped to the shop, guarded
// by the item's current status (a conditional update), so they are safe while
// the worker holds an item and a double click executes once. Each changes the
// items and their enrollments' sync state (refreshSyncState) in one transaction.
import type { Db } from "../db.server";
import { promoteNext } from "./claim.server";
import { wakeWorker } from "./notifier";
import { lockMember, lockMembers } from "../member-lock.server";
import { refreshSyncState } from "./sync-state.server";

export type ManualResult = { ok: true } | { ok: false; reason: string };

/**
 * Failed or pending → pending now, with a fresh attempt budget (history is
 * kept in SyncAttempt). An item being processed is left alone.
 */
export async function retryNow(db: Db, shop: string, id: string): Promise<ManualResult> {
  const count = await db.$transaction(async (tx) => {
    const item = await tx.crmSyncQueue.findFirst({ where: { id, shop }, select: { customerId: true, enrollmentId: true } });
    if (!item) return 0;
    await lockMember(tx, shop, item.customerId);
    const { count } = await tx.crmSyncQueue.updateMany({
      where: { id, shop, status: { in: ["failed", "pending"] } },
      data: { status: "pending", nextRunAt: new Date(), attempts: 0, throttleDeferrals: 0 },
    });
    if (count) await refreshSyncState(tx, shop, [item.enrollmentId]);
    return count;
  });
  if (count === 0) {
    const item = await db.crmSyncQueue.findFirst({ where: { id, shop }, select: { status: true } });
    return { ok: false, reason: item ? `This item is ${item.status}; only failed or waiting items can be retried.` : "No such sync item." };
  }
  wakeWorker();
  return { ok: true };
}

/**
 * Every failed item of the shop back to pending, in batches. Returns how many.
 * `lastErrorContains` narrows it to one cause (e.g. the Shopify reconnect message).
 */
export async function retryAllFailed(
  db: Db,
  shop: string,
  { batchSize = 200, lastErrorContains }: { batchSize?: number; lastErrorContains?: string } = {},
): Promise<number> {
  const failed = { shop, status: "failed", ...(lastErrorContains ? { lastError: { contains: lastErrorContains } } : {}) };
  let total = 0;
  for (;;) {
    const batch = await db.crmSyncQueue.findMany({ where: failed, select: { id: true, enrollmentId: true, customerId: true }, take: batchSize });
    if (!batch.length) break;
    const count = await db.$transaction(async (tx) => {
      await lockMembers(tx, shop, batch.map((b) => b.customerId));
      const { count } = await tx.crmSyncQueue.updateMany({
        where: { ...failed, id: { in: batch.map((b) => b.id) } },
        data: { status: "pending", nextRunAt: new Date(), attempts: 0, throttleDeferrals: 0 },
      });
      await refreshSyncState(tx, shop, batch.map((b) => b.enrollmentId));
      return count;
    });
    total += count;
    if (count === 0) break;
  }
  if (total) wakeWorker();
  return total;
}

/**
 * Pending or failed → cancelled, recording who (the staff user id, null when
 * unknown) and why. A running item cannot be discarded.
 */
export async function discard(db: Db, shop: string, id: string, { by, reason }: { by: string | null; reason: string }): Promise<ManualResult> {
  const count = await db.$transaction(async (tx) => {
    const item = await tx.crmSyncQueue.findFirst({ where: { id, shop }, select: { customerId: true, enrollmentId: true } });
    if (!item) return 0;
    await lockMember(tx, shop, item.customerId);
    const { count } = await tx.crmSyncQueue.updateMany({
      where: { id, shop, status: { in: ["pending", "failed"] } },
      data: { status: "cancelled", discardedBy: by, discardReason: reason || "Discarded", lockedBy: null, leaseUntil: null },
    });
    if (count) {
      await refreshSyncState(tx, shop, [item.enrollmentId]);
      // A discarded item no longer holds its member's later items back.
      await promoteNext(tx, [{ shop, customerId: item.customerId }]);
    }
    return count;
  });
  if (count === 0) {
    const item = await db.crmSyncQueue.findFirst({ where: { id, shop }, select: { status: true } });
    return { ok: false, reason: item ? `This item is ${item.status} and cannot be discarded.` : "No such sync item." };
  }
  wakeWorker();
  return { ok: true };
}
