// Lapsed memberships: an active enrollment whose expiry has passed becomes
// `expired`, and `cancel_membership` is queued so the platform drops the
// member's benefits (Shopify: metafield and tag; Commerce7: the membership).
// Gentler endings (ADR 0025, orders.ts lapseOutcome): on a tier with a grace
// period it first stays active until graceEndsAt, and on a tier that steps
// down it moves to the highest lower tier the member's spend still meets.
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
// - Each step happens once: entering grace, expiring and stepping down are
//   each conditional on the membership being as read (still active, same
//   expiry, same grace end), and their queue items carry per-term keys.
import type { Db } from "../db.server";
import { lockMembers } from "../member-lock.server";
import { queueCrmSync, wakeWorker } from "../queue/enqueue.server";
import { moveMember, recordedSpendCents } from "./enrollments.server";
import { lapseOutcome, ruleTier } from "./orders";
import { shopTimeZone } from "./shops.server";
import { recordMembershipEvent } from "./membership-events.server";

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
  const platform = (await db.shop.findUnique({ where: { domain: shop }, select: { crm: true } }))?.crm;
  const timeZone = await shopTimeZone(db, shop);
  let total = 0;
  for (;;) {
    // Lapsed: past its expiry, and not in a grace period that is still running.
    const lapsed = await db.enrollment.findMany({
      where: { shop, status: "active", expiresAt: { lte: now }, OR: [{ graceEndsAt: null }, { graceEndsAt: { lte: now } }] },
      orderBy: { expiresAt: "asc" },
      take: batch,
      select: { id: true, customerId: true },
    });
    if (lapsed.length === 0) return total;
    const done = await db.$transaction(async (tx) => {
      // Under each member's lock (ascending order: no deadlock between two
      // runs), each membership is read again and decided on what it is now:
      // an order that renewed it meanwhile wins (ADR 0009).
      await lockMembers(tx, shop, lapsed.map((e) => e.customerId));
      // On Commerce7 a tier without a club cannot hold members, so nobody steps down into one.
      const tiers = (await tx.tier.findMany({ where: { shop, active: true, ...(platform === "commerce7" ? { c7ClubId: { not: null } } : {}) } })).map(ruleTier);
      let n = 0;
      for (const { id } of lapsed) {
        const e = await tx.enrollment.findFirst({ where: { id, shop, status: "active" }, include: { tier: true } });
        if (!e) continue; // ended elsewhere meanwhile
        const outcome = await lapseOutcome({
          current: { ...ruleTier(e.tier), graceDays: e.tier.graceDays, stepDown: e.tier.stepDown },
          expiresAt: e.expiresAt,
          graceEndsAt: e.graceEndsAt,
          tiers,
          now,
          timeZone,
          spendAt: (end) => recordedSpendCents(tx, shop, e.customerId, end),
        });
        // Every change below is also conditional on what was read: belt and braces under the lock.
        const unchanged = { id: e.id, shop, status: "active", expiresAt: e.expiresAt, graceEndsAt: e.graceEndsAt };
        if (outcome.kind === "wait") continue; // renewed meanwhile
        if (outcome.kind === "grace") {
          const { count } = await tx.enrollment.updateMany({ where: unchanged, data: { graceEndsAt: outcome.graceEndsAt } });
          if (count !== 1) continue;
          // Shopify mirrors the benefit's last day (the discount function reads it);
          // a Commerce7 membership carries no expiry of ours, so it has nothing to hear.
          if (platform !== "commerce7") {
            await queueCrmSync(
              { shop, enrollmentId: e.id, actionType: "add_membership", stageId: e.tierId, customerId: e.customerId, idempotencyKey: `grace:${e.id}:${e.expiresAt.toISOString()}` },
              tx,
            );
          }
        } else if (outcome.kind === "step_down") {
          // The same change a merchant's move down makes: the membership ends as
          // moved_down and a new term starts in the lower tier, queued as a tier change.
          await moveMember(tx, shop, e, outcome.to, outcome.at, `Stepped down to ${outcome.to.name} at the end of the membership`, "moved_down");
        } else {
          const { count } = await tx.enrollment.updateMany({
            where: unchanged,
            data: { status: "expired", endedAt: now, endReason: e.graceEndsAt ? "Membership expired after its grace period" : "Membership expired" },
          });
          if (count !== 1) continue;
          // Keyed per expiry, not per enrollment: one an order brought back can expire again.
          const idempotencyKey = `expire:${e.id}:${e.expiresAt.toISOString()}`;
          await queueCrmSync({ shop, enrollmentId: e.id, actionType: "cancel_membership", stageId: e.tierId, customerId: e.customerId, idempotencyKey }, tx);
          // Once per term, as the cancellation (a step-down's "tier changed: down" comes from moveMember).
          await recordMembershipEvent(tx, shop, { kind: "expired", enrollmentId: e.id }, { at: now });
        }
        n++;
      }
      return n;
    });
    total += done;
    if (lapsed.length < batch) return total;
  }
}
