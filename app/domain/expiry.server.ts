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
// - One writer per member: each change is made under the member's lock
//   (ADR 0009), so it cannot interleave with an order renewing the member.
// - Work is per shop, in bounded batches, through the (shop, status,
//   expiresAt) index; one shop's backlog cannot hold a transaction open long.
import type { Db } from "../db.server";
import { lockMembers } from "../member-lock.server";
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
      select: { id: true, customerId: true, tierId: true, expiresAt: true },
    });
    if (lapsed.length === 0) return total;
    const done = await db.$transaction(async (tx) => {
      // Under each member's lock (ascending order: no deadlock between two
      // runs), the conditional update re-checks what the read above saw: an
      // order that renewed the membership meanwhile wins (ADR 0009).
      await lockMembers(tx, shop, lapsed.map((e) => e.customerId));
      let n = 0;
      for (const e of lapsed) {
        const { count } = await tx.enrollment.updateMany({
          // Still active, still the expiry read above (which is <= now).
          where: { id: e.id, shop, status: "active", expiresAt: e.expiresAt },
          data: { status: "expired", endedAt: now, endReason: "Membership expired" },
        });
        if (count !== 1) continue; // renewed, changed or expired elsewhere meanwhile
        // Keyed per expiry, not per enrollment: one an order brought back can expire again.
        const idempotencyKey = `expire:${e.id}:${e.expiresAt.toISOString()}`;
        await queueCrmSync({ shop, enrollmentId: e.id, actionType: "cancel_membership", stageId: e.tierId, customerId: e.customerId, idempotencyKey }, tx);
        n++;
      }
      return n;
    });
    total += done;
    if (lapsed.length < batch) return total;
  }
}
