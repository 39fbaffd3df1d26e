// Lapsed memberships: an active enrollment whose expiry has passed becomes
// `expired`, and `cancel_membership` is queued so the platform drops the
// member's benefits (Shopify: metafield and tag; Commerce7: the membership).
//
// Invariants:
// - Each enrollment's status change and its queue item commit together.
// - Safe to run anywhere, any number of times, in several app instances at
//   once: the status change is conditional (still active, still lapsed), and
//   only the run whose update took effect queues the item (whose idempotency
//   key is per enrollment besides).
// - Work is per shop, in bounded batches, through the (shop, status,
//   expiresAt) index; one shop's backlog cannot hold a transaction open long.
import type { Db } from "../db.server";
import { queueCrmSync, wakeWorker } from "../queue/enqueue.server";

export const EXPIRY_BATCH = 200;

export type ExpiryResult = { expired: number; shops: number };

/** Expires every lapsed membership of every installed shop. */
export async function expireLapsedMemberships(db: Db, now = new Date(), opts: { batch?: number } = {}): Promise<ExpiryResult> {
  const shops = await db.shop.findMany({ where: { uninstalledAt: null }, select: { domain: true } });
  let expired = 0;
  let touched = 0;
  for (const { domain } of shops) {
    const n = await expireLapsedForShop(db, domain, now, opts);
    expired += n;
    if (n > 0) touched++;
  }
  if (expired > 0) wakeWorker();
  return { expired, shops: touched };
}

export async function expireLapsedForShop(db: Db, shop: string, now = new Date(), opts: { batch?: number } = {}): Promise<number> {
  const batch = opts.batch ?? EXPIRY_BATCH;
  let total = 0;
  for (;;) {
    const lapsed = await db.enrollment.findMany({
      where: { shop, status: "active", expiresAt: { lte: now } },
      orderBy: { expiresAt: "asc" },
      take: batch,
      select: { id: true, customerId: true, tierId: true },
    });
    if (lapsed.length === 0) return total;
    const done = await db.$transaction(async (tx) => {
      let n = 0;
      for (const e of lapsed) {
        const { count } = await tx.enrollment.updateMany({
          where: { id: e.id, shop, status: "active", expiresAt: { lte: now } },
          data: { status: "expired", endedAt: now, endReason: "Membership expired" },
        });
        if (count !== 1) continue; // renewed, changed or expired elsewhere meanwhile
        await queueCrmSync(
          { shop, enrollmentId: e.id, actionType: "cancel_membership", stageId: e.tierId, customerId: e.customerId, customerCrmId: "", idempotencyKey: `expire:${e.id}` },
          tx,
        );
        n++;
      }
      return n;
    });
    total += done;
    if (lapsed.length < batch) return total;
  }
}
