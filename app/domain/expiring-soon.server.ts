// "Membership expiring soon" (ADR 0028): a periodic job that records the Flow
// event for every active membership whose expiry is within the shop's
// Settings days (Shop.flowExpiringSoonDays, default 14), once per term.
//
// Invariants:
// - Once per term: the event's key is the enrollment and its expiresAt
//   (recordMembershipEvent), unique per shop; a renewal moves expiresAt, so the
//   next term gets its own. Re-runs, overlapping runs and several instances
//   record one event: the second writer's INSERT … ON CONFLICT does nothing.
// - One writer per member (ADR 0009): each event is recorded under the
//   member's lock, on the membership read again there (still active, still
//   within the window), in the same transaction as its queue item.
// - Bounded: per shop, keyset pages of EXPIRING_SOON_BATCH through the
//   (shop, status, expiresAt) index; memberships whose event exists already
//   are skipped with one look-up per page, so a daily re-run costs reads only.
// - Shopify-platform shops only (the trigger is Shopify Flow's).
import type { Db } from "../db.server";
import { lockMembers } from "../member-lock.server";
import { wakeWorker } from "../queue/enqueue.server";
import { keysetAfter } from "./cursor";
import { recordMembershipEvent } from "./membership-events.server";

export const EXPIRING_SOON_BATCH = 200;
export const EXPIRING_SOON_DAYS = { min: 1, max: 90, default: 14 } as const;
const DAY_MS = 86_400_000;

const keyOf = (e: { id: string; expiresAt: Date }) => `flow:expiring_soon:${e.id}:${e.expiresAt.toISOString()}`;

/** Records the expiring-soon events due at `now` in every installed Shopify-platform shop. */
export async function notifyExpiringSoon(db: Db, now = new Date(), opts: { batch?: number } = {}): Promise<{ recorded: number; shops: number }> {
  const shops = await db.shop.findMany({ where: { uninstalledAt: null, crm: "shopify" }, select: { domain: true, flowExpiringSoonDays: true } });
  let recorded = 0;
  let touched = 0;
  for (const shop of shops) {
    const n = await notifyExpiringSoonForShop(db, shop.domain, shop.flowExpiringSoonDays, now, opts);
    recorded += n;
    if (n > 0) touched++;
  }
  if (recorded > 0) wakeWorker();
  return { recorded, shops: touched };
}

export async function notifyExpiringSoonForShop(db: Db, shop: string, days: number, now = new Date(), opts: { batch?: number } = {}): Promise<number> {
  const batch = opts.batch ?? EXPIRING_SOON_BATCH;
  const horizon = new Date(now.getTime() + days * DAY_MS);
  let total = 0;
  let after: { expiresAt: Date; id: string } | null = null;
  for (;;) {
    const page: { id: string; customerId: string; expiresAt: Date }[] = await db.enrollment.findMany({
      where: {
        shop,
        status: "active",
        expiresAt: { gt: now, lte: horizon },
        ...(after ? keysetAfter("expiresAt", "gt", { value: after.expiresAt, id: after.id }) : {}),
      },
      orderBy: [{ expiresAt: "asc" }, { id: "asc" }],
      take: batch,
      select: { id: true, customerId: true, expiresAt: true },
    });
    if (page.length === 0) return total;
    after = page[page.length - 1]!;
    const seen = new Set(
      (await db.membershipEvent.findMany({ where: { shop, idempotencyKey: { in: page.map(keyOf) } }, select: { idempotencyKey: true } })).map((e) => e.idempotencyKey),
    );
    const due = page.filter((e) => !seen.has(keyOf(e)));
    if (due.length) {
      total += await db.$transaction(async (tx) => {
        await lockMembers(tx, shop, due.map((e) => e.customerId));
        let n = 0;
        for (const e of due) {
          // Read again under the lock: renewed, cancelled or expired meanwhile is not "expiring soon" (or is another term).
          const still = await tx.enrollment.findFirst({ where: { id: e.id, shop, status: "active", expiresAt: e.expiresAt }, select: { id: true } });
          if (!still) continue;
          const event = await recordMembershipEvent(tx, shop, { kind: "expiring_soon", enrollmentId: e.id }, { at: now });
          if (event?.created) n++;
        }
        return n;
      });
    }
    if (page.length < batch) return total;
  }
}
