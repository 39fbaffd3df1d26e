// What an order does to a membership. Pure: no database, no clock.
//
// The rules (ADR 0007):
// - Spend is the member's recorded purchases, net of refunds, over the trailing 12 months,
//   ending at the order: from the start of the same shop-local date 12 months
//   earlier (spendWindowStart in dates.ts; the window the enrollment wizard shows).
// - UPGRADE: when that spend meets a higher active tier's annual threshold and
//   the member's tier is upgradable, the member moves to the highest such tier
//   (upgrade-only tiers included: reaching them is what they are for).
// - RENEW: when that spend meets the annual threshold of the tier the member
//   ends up in, the membership runs until the order date + that tier's
//   duration in calendar months of the shop's zone (dates.ts), if that is later than its current expiry. Spend below the
//   threshold is recorded, but neither renews nor upgrades.
// - Never down: an order never lowers a tier or shortens a membership, and a
//   refund or cancellation only lowers the spend later decisions are made on.
// - The order's time against the expiry decides (ADR 0009): an order placed
//   before the membership's expiresAt counts for it (renews or upgrades it),
//   even when it is delivered after the expiry job ended it; an order placed
//   at or after expiresAt counts for no membership (the spend is kept).
// - Grace (ADR 0025): a membership in grace (graceEndsAt set) also counts
//   orders placed before graceEndsAt, and one that renews it renews it from
//   its original expiry, not from the order: grace lends time, it adds none.
// - Paid spend (ADR 0019): an order is recorded when it is created, and its
//   spend counts from when it is paid (countsAtCreation below, else
//   orders/paid), or at creation on a shop that counts orders when created.
//   Whenever it starts to count, the ORDER's time is the one the rules use:
//   its place in the window, against the expiry, and the renewal's start.
import { addDays, addMonths } from "./dates";
import { cents } from "./money";
import { tierChangeRefusal } from "./tiers";

export type RuleTier = { id: string; name: string; rank: number; active: boolean; upgradable: boolean; annualThresholdCents: number; durationMonths: number };

/** A tier row as the rules see it (its 64-bit threshold as a number of cents). */
export function ruleTier<T extends Omit<RuleTier, "annualThresholdCents"> & { annualThresholdCents: bigint | number }>(t: T): RuleTier {
  return { id: t.id, name: t.name, rank: t.rank, active: t.active, upgradable: t.upgradable, annualThresholdCents: cents(t.annualThresholdCents), durationMonths: t.durationMonths };
}

export type OrderEffects = { upgradeTo: RuleTier | null; expiresAt: Date | null };

export function orderEffects(input: { current: RuleTier; expiresAt: Date; tiers: RuleTier[]; spendCents: number; at: Date; timeZone: string }): OrderEffects {
  const { current, tiers, spendCents, at } = input;
  // In grace the order comes after the expiry: the new term runs on from it.
  const from = at.getTime() >= input.expiresAt.getTime() ? input.expiresAt : at;
  const upgradeTo =
    tiers
      .filter((t) => t.rank > current.rank && spendCents >= t.annualThresholdCents && tierChangeRefusal(current, t) === null)
      .sort((a, b) => b.rank - a.rank)[0] ?? null;
  const tier = upgradeTo ?? current;
  const renewed = spendCents >= tier.annualThresholdCents ? addMonths(from, tier.durationMonths, input.timeZone) : null;
  return { upgradeTo, expiresAt: renewed && renewed > input.expiresAt ? renewed : null };
}

/** Whether an order placed at `at` counts for a membership that runs until `expiresAt` (or, in grace, `graceEndsAt`). */
export function orderCounts(membership: { expiresAt: Date; graceEndsAt?: Date | null }, at: Date): boolean {
  const until = membership.graceEndsAt && membership.graceEndsAt > membership.expiresAt ? membership.graceEndsAt : membership.expiresAt;
  return at.getTime() < until.getTime();
}

export type EndingTier = RuleTier & { graceDays: number; stepDown: boolean };

/**
 * What happens to a membership whose expiry has passed (ADR 0025), decided at
 * `now` by the expiry job:
 * - "grace": its tier has a grace period it has not entered yet, and that
 *   period is not over: it stays active until `graceEndsAt` (expiresAt plus the
 *   tier's days on the shop's wall clock);
 * - "step_down": it ends (at its expiry, or the end of its grace) and its tier
 *   steps down: the member's spend over the 12 months ending then meets a lower
 *   active tier's threshold, so they move to the highest such tier, for a new
 *   term from that moment;
 * - "expire": it ends, and nothing lower is met (or its tier does not step down);
 * - "wait": not lapsed yet, or in grace still.
 * `spendAt(end)` gives the member's spend for the window ending at `end`; it is
 * asked only when a step down is possible.
 */
export async function lapseOutcome(input: {
  current: EndingTier;
  expiresAt: Date;
  graceEndsAt: Date | null;
  tiers: RuleTier[];
  now: Date;
  timeZone: string;
  spendAt: (end: Date) => Promise<number>;
}): Promise<{ kind: "wait" } | { kind: "grace"; graceEndsAt: Date } | { kind: "expire"; at: Date } | { kind: "step_down"; to: RuleTier; at: Date }> {
  const { current, expiresAt, now } = input;
  if (now < expiresAt) return { kind: "wait" };
  let end = input.graceEndsAt;
  if (!end && current.graceDays > 0) {
    end = addDays(expiresAt, current.graceDays, input.timeZone);
    // A job that ran late past the whole grace period ends it at once, as it would have.
    if (now < end) return { kind: "grace", graceEndsAt: end };
  }
  if (end && now < end) return { kind: "wait" };
  const at = end && end > expiresAt ? end : expiresAt;
  if (current.stepDown) {
    const lower = input.tiers.filter((t) => t.active && t.rank < current.rank).sort((a, b) => b.rank - a.rank);
    if (lower.length > 0) {
      const spend = await input.spendAt(at);
      const to = lower.find((t) => spend >= t.annualThresholdCents);
      if (to) return { kind: "step_down", to, at };
    }
  }
  return { kind: "expire", at };
}

/** When a shop's orders start to count toward renewals and upgrades (Shop.countOrdersWhen). */
export const COUNT_ORDERS_WHEN = ["paid", "created"] as const;
export type CountOrdersWhen = (typeof COUNT_ORDERS_WHEN)[number];

// Shopify's financial_status values that mean the payment was captured. A
// refund after payment is recorded apart (refunds/create), so "refunded" at
// creation still counts, and its refund takes it back out.
const PAID = new Set(["paid", "partially_paid", "partially_refunded", "refunded"]);
// Never paid, and never will be: not even a shop that counts orders when created counts them.
const NEVER_PAID = new Set(["voided", "expired"]);

/** Whether an order's spend counts as soon as orders/create records it (else from orders/paid). */
export function countsAtCreation(financialStatus: string | null | undefined, when: CountOrdersWhen): boolean {
  const status = financialStatus ?? "";
  return when === "created" ? !NEVER_PAID.has(status) : PAID.has(status);
}

/** A stored Shop.countOrdersWhen as the rules read it: anything unknown is the default, "paid". */
export function countOrdersWhen(value: string | null | undefined): CountOrdersWhen {
  return value === "created" ? "created" : "paid";
}
