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

export type BulkResult =
  | { ok: true; changed: number; skipped: { id: string; status: string }[] }
  | { ok: false; reason: string };

/**
 * Bulk retry or discard of the items selected on the queue screen: all of
 * them are this shop's, or nothing is done (an id of another shop, or one
 * that is gone, is named in the refusal). In ONE transaction, under the
 * members' locks, each item's status guard decides: the ones in a state the
 * operation applies to change; the rest (running, already completed…) are
 * left alone and returned as skipped, with their status.
 */
async function bulk(
  db: Db,
  shop: string,
  ids: string[],
  op: { from: string[]; data: Record<string, unknown>; promote: boolean },
): Promise<BulkResult> {
  const unique = [...new Set(ids)];
  const found = await db.crmSyncQueue.findMany({ where: { shop, id: { in: unique } }, select: { id: true } });
  if (found.length !== unique.length) {
    const known = new Set(found.map((f) => f.id));
    const missing = unique.filter((id) => !known.has(id));
    return {
      ok: false,
      reason: `${missing.length === 1 ? "1 selected item is" : `${missing.length} selected items are`} not in this shop's sync queue (gone, or never here); nothing was changed.`,
    };
  }
  const { changed, skipped } = await db.$transaction(async (tx) => {
    const items = await tx.crmSyncQueue.findMany({ where: { shop, id: { in: unique } }, select: { id: true, customerId: true, enrollmentId: true } });
    await lockMembers(tx, shop, items.map((i) => i.customerId));
    const { count } = await tx.crmSyncQueue.updateMany({ where: { shop, id: { in: unique }, status: { in: op.from } }, data: op.data });
    // Read after the update, under the locks: what did not change is in another state.
    const after = await tx.crmSyncQueue.findMany({ where: { shop, id: { in: unique } }, select: { id: true, status: true } });
    const target = String(op.data.status);
    if (count) {
      await refreshSyncState(tx, shop, items.map((i) => i.enrollmentId));
      if (op.promote) await promoteNext(tx, items.map((i) => ({ shop, customerId: i.customerId })));
    }
    return { changed: count, skipped: after.filter((a) => a.status !== target).map((a) => ({ id: a.id, status: a.status })) };
  });
  if (changed) wakeWorker();
  return { ok: true, changed, skipped };
}

/** Selected failed or waiting items → pending now, with a fresh attempt budget (see retryNow). */
export function retryMany(db: Db, shop: string, ids: string[]): Promise<BulkResult> {
  return bulk(db, shop, ids, {
    from: ["failed", "pending"],
    data: { status: "pending", nextRunAt: new Date(), attempts: 0, throttleDeferrals: 0 },
    promote: false,
  });
}

/** Selected waiting or failed items → cancelled, with who and why (see discard). */
export function discardMany(db: Db, shop: string, ids: string[], { by, reason }: { by: string | null; reason: string }): Promise<BulkResult> {
  return bulk(db, shop, ids, {
    from: ["pending", "failed"],
    data: { status: "cancelled", discardedBy: by, discardReason: reason || "Discarded", lockedBy: null, leaseUntil: null },
    promote: true,
  });
}
