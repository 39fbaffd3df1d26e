// What the customer's `$app:membership` metafield says (ADR 0027): one value,
// read by the discount function (its benefit fields) and by the
// customer-account extension (extensions/member-display: everything else).
//
// Pure: no clock, no database. The caller passes the member's facts as of
// `now`; the same facts give the same text, key for key, so an unchanged
// member compares equal to what Shopify holds and is not written again.
//
// Invariants:
// - The benefit fields (`tier`, `tierId`, `expiresAt`, `since`) are present
//   only while the membership holds its benefits (active, or in grace: ADR 0025). An ended membership keeps `status` and its
//   display fields but never `tier`, so no version of the discount function,
//   old or new, gives it a discount.
// - Dates are the shop's calendar ("YYYY-MM-DD" in its zone, ADR 0015) and
//   money is minor units of the shop's currency (ADR 0018), with both named
//   in the value: the extension formats them without asking anyone.
// - A reusable domain function: Flow triggers (issue 16 item 2) can carry the
//   same facts.
import { localDate, spendWindowStart } from "./dates";
import { tierChangeRefusal } from "./tiers";

export const MEMBERSHIP_VALUE_VERSION = 2;

/** The longest merchant line for ended members (Settings). */
export const MAX_ENDED_MESSAGE = 300;

/** The statuses the extension shows; `grace`: active with its grace period running (ADR 0025). */
export type DisplayStatus = "active" | "grace" | "expired" | "cancelled";

export type DisplayTier = { id: string; handle: string; name: string; rank: number; active: boolean; upgradable: boolean; annualThresholdCents: number };

export type MembershipFacts = {
  /** The membership shown: the member's active one, else their latest if it expired or was cancelled. */
  enrollment: {
    status: string;
    tierId: string;
    startedAt: Date;
    expiresAt: Date;
    /** Set while an active membership is in grace (ADR 0025). */
    graceEndsAt?: Date | null;
    endedAt: Date | null;
    tier: DisplayTier;
  } | null;
  /** The shop's tiers (any order), for the next tier up. */
  tiers: DisplayTier[];
  /** Recorded spend over the trailing 12 months ending at `now` (recordedSpendCents). */
  spendCents: number;
  timeZone: string;
  currency: string;
  /** The merchant's line for members whose membership ended (Settings); blank for none. */
  endedMessage: string | null;
  now: Date;
};

export type NextTier = { name: string; handle: string; thresholdMinor: number; by: string };

/** The metafield's value. Key order is the serialisation order (membershipJson). */
export type MembershipValue = {
  v: number;
  status: DisplayStatus;
  // Benefit fields (the discount function): only while benefits hold.
  tier?: string;
  tierId?: string;
  expiresAt?: string;
  since?: string;
  /** In grace: the last shop-local day the benefits last (the discount function grants them through it). */
  graceEndsOn?: string;
  // Display fields (the customer-account extension).
  tierName: string;
  tierHandle: string;
  endedOn?: string;
  zone: string;
  currency: string;
  spendMinor?: number;
  windowStart?: string;
  windowEnd?: string;
  next?: NextTier | null;
  top?: boolean;
  message?: string | null;
};

/**
 * The next tier the member can reach by spend before the membership ends: the
 * lowest-ranked active tier above theirs that the upgrade rules allow
 * (orders.ts), whose threshold the spend has not met. `top` when no tier is
 * above theirs at all; neither when their tier cannot be upgraded.
 */
export function nextTierOf(current: DisplayTier, tiers: DisplayTier[], spendCents: number): { next: DisplayTier | null; top: boolean } {
  const above = tiers.filter((t) => t.active && t.rank > current.rank);
  const reachable = above
    .filter((t) => tierChangeRefusal(current, t) === null && t.annualThresholdCents > spendCents)
    .sort((a, b) => a.rank - b.rank);
  return { next: reachable[0] ?? null, top: above.length === 0 };
}

/** The value for a member, or null when there is nothing to show (no membership, or one that moved on). */
export function membershipValue(facts: MembershipFacts): MembershipValue | null {
  const e = facts.enrollment;
  if (!e) return null;
  const zone = facts.timeZone;
  const base = { tierName: e.tier.name, tierHandle: e.tier.handle };
  if (e.status === "active") {
    const { next, top } = nextTierOf(e.tier, facts.tiers, facts.spendCents);
    const expiresAt = localDate(e.expiresAt, zone);
    // In grace, orders count until the grace end (orders.ts orderCounts): that is the date to reach the next tier by.
    const graceEndsOn = e.graceEndsAt && e.graceEndsAt > e.expiresAt ? localDate(e.graceEndsAt, zone) : null;
    return {
      v: MEMBERSHIP_VALUE_VERSION,
      status: graceEndsOn ? "grace" : "active",
      tier: e.tier.handle,
      tierId: e.tierId,
      // The member keeps the benefit through the last local day (the function compares shop-local dates).
      expiresAt,
      since: e.startedAt.toISOString(),
      ...(graceEndsOn ? { graceEndsOn } : {}),
      ...base,
      zone,
      currency: facts.currency,
      spendMinor: facts.spendCents,
      windowStart: localDate(spendWindowStart(facts.now, zone), zone),
      windowEnd: localDate(facts.now, zone),
      // Orders placed before the expiry count for this membership (ADR 0009): the spend must come by its last day.
      next: next ? { name: next.name, handle: next.handle, thresholdMinor: next.annualThresholdCents, by: graceEndsOn ?? expiresAt } : null,
      top,
    };
  }
  if (e.status === "expired" || e.status === "cancelled") {
    const message = facts.endedMessage?.trim() || null;
    return {
      v: MEMBERSHIP_VALUE_VERSION,
      status: e.status,
      ...base,
      // An expiry ends at expiresAt, whenever the job ran; a cancellation when it was made.
      endedOn: localDate(e.status === "expired" ? e.expiresAt : (e.endedAt ?? e.expiresAt), zone),
      zone,
      currency: facts.currency,
      message,
    };
  }
  // upgraded / moved_down: the member's active membership is the one to show; none means nothing to show.
  return null;
}

/** Stable serialisation: the builder's key order, so an unchanged member compares equal and is not rewritten. */
export function membershipJson(value: MembershipValue): string {
  return JSON.stringify(value);
}
