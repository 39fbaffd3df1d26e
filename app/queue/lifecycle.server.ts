// A shop's install lifecycle as the queue sees it (ADR 0017).
//
// Invariants:
// - Uninstall stops the shop's work in one transaction: pending items are
//   cancelled (stopShopItems). Items a worker is running at that moment end
//   when it records their outcome: a success is recorded as it is; a failure
//   or retry of an uninstalled shop ends the item `cancelled` with no alert
//   (finish.server.ts, through shopUninstalled). Nothing emails a shop that left.
// - The Shop row orders the two writers. Uninstall locks it (FOR UPDATE) before
//   it writes anything; a worker recording a failure reads it FOR SHARE first,
//   before the item. On PostgreSQL one waits for the other: a failure recorded
//   before the uninstall has its alert item pending, and the uninstall cancels
//   it; one recorded after ends quietly. SQLite runs one transaction at a time.
// - Reinstall queues one `resync_members` item (and, on Shopify shops,
//   `ensure_discount`) in the transaction that records it. The worker expands it
//   into one `add_membership` per active member (every member action converges
//   the member to our state), in batches under the members' locks, keyed by the
//   resync item: a retried or resumed resync queues nobody twice, and a second
//   reinstall gets its own resync only after an uninstall cancelled the first.
import type { Db, Tx } from "../db.server";
import { dbProvider } from "../db.server";
import { lockMembers } from "../member-lock.server";
import { queueCrmSync, wakeWorker } from "./enqueue.server";
import { SyncError } from "./errors";
import type { ProcessorContext, ProcessorResult } from "./registry";
import { sql } from "./sql.server";
import { refreshSyncState } from "./sync-state.server";

export const UNINSTALLED_REASON = "App uninstalled";
export const RESYNC_ACTION = "resync_members";
/** The resync items of a shop share one ordering key: they run one at a time. */
export const RESYNC_ORDERING_KEY = "shop-resync";
/** Shared with app/domain/tiers.server.ts: discount updates run in the order they were asked for. */
const DISCOUNT_ORDERING_KEY = "shop-discount";
const BATCH = 200;

/**
 * Whether the shop is uninstalled, read under a share lock on its row
 * (PostgreSQL) so an uninstall cannot commit between this read and the
 * caller's commit. Call it before touching the item (the lock order is Shop
 * row, then items, as in uninstall). A shop with no row is installed.
 */
export async function shopUninstalled(tx: Db | Tx, shop: string): Promise<boolean> {
  const rows = await tx.$queryRawUnsafe<{ uninstalledAt: unknown }[]>(
    sql(`SELECT "uninstalledAt" FROM "Shop" WHERE domain = $1${dbProvider === "postgresql" ? " FOR SHARE" : ""}`),
    shop,
  );
  return rows[0] !== undefined && rows[0].uninstalledAt !== null;
}

/** Uninstall: the shop's pending items are cancelled (not failed: nothing went wrong, so no alert). */
export async function stopShopItems(tx: Tx, shop: string): Promise<number> {
  const stopped = await tx.crmSyncQueue.findMany({ where: { shop, status: "pending" }, select: { enrollmentId: true }, distinct: ["enrollmentId"] });
  const { count } = await tx.crmSyncQueue.updateMany({
    where: { shop, status: "pending" },
    data: { status: "cancelled", discardedBy: null, discardReason: UNINSTALLED_REASON },
  });
  await refreshSyncState(tx, shop, stopped.map((i) => i.enrollmentId));
  return count;
}

/**
 * Reinstall, inside the transaction that records it: queue the resync of every
 * active member and, on a Shopify shop, make sure the member discount exists.
 * `installKey` names this install (its time), so the same reinstall recorded
 * twice queues once.
 */
export async function queueReinstallResync(tx: Tx, shop: string, crm: string, installKey: string): Promise<void> {
  await queueCrmSync(
    { shop, actionType: RESYNC_ACTION, stageId: "reinstall", customerId: RESYNC_ORDERING_KEY, idempotencyKey: `resync:${installKey}`, maxAttempts: 20 },
    tx,
  );
  if (crm === "shopify" && (await tx.tier.count({ where: { shop } })) > 0) {
    await queueCrmSync(
      { shop, actionType: "ensure_discount", stageId: "reinstall", customerId: DISCOUNT_ORDERING_KEY, idempotencyKey: `ensure_discount:reinstall:${installKey}` },
      tx,
    );
  }
}

/**
 * The `resync_members` item: one `add_membership` per active member, keyed
 * `resync:<this item>:<enrollment>`. Members already queued by this item are
 * skipped before any lock is taken, so a run cut short by its deadline
 * resumes where it stopped.
 */
export async function resyncMembers({ db, item, signal }: Pick<ProcessorContext, "db" | "item" | "signal">): Promise<ProcessorResult> {
  const shop = item.shop;
  const key = (enrollmentId: string) => `resync:${item.id}:${enrollmentId}`;
  let after = "";
  let queued = 0;
  for (;;) {
    if (signal.aborted) throw new SyncError("retryable", `Resync stopped at its deadline after ${queued} members; it resumes where it stopped.`);
    const batch = await db.enrollment.findMany({ where: { shop, status: "active", id: { gt: after } }, orderBy: { id: "asc" }, take: BATCH, select: { id: true, customerId: true } });
    if (!batch.length) break;
    after = batch.at(-1)!.id;
    const done = new Set(
      (await db.crmSyncQueue.findMany({ where: { shop, idempotencyKey: { in: batch.map((e) => key(e.id)) } }, select: { idempotencyKey: true } })).map((q) => q.idempotencyKey),
    );
    const todo = batch.filter((e) => !done.has(key(e.id)));
    if (!todo.length) continue;
    queued += await db.$transaction(async (tx) => {
      await lockMembers(tx, shop, todo.map((e) => e.customerId));
      // Re-read under the locks: a membership that ended meanwhile has its own item.
      const active = await tx.enrollment.findMany({ where: { shop, id: { in: todo.map((e) => e.id) }, status: "active" }, select: { id: true, customerId: true, tierId: true } });
      let n = 0;
      for (const e of active) {
        const r = await queueCrmSync({ shop, enrollmentId: e.id, actionType: "add_membership", stageId: e.tierId, customerId: e.customerId, idempotencyKey: key(e.id) }, tx);
        if (r.created) n++;
      }
      return n;
    });
  }
  if (queued) wakeWorker();
  return { result: { queued } };
}
