// Shopify Flow triggers: what each membership event sends. Pure.
//
// One trigger extension per event (extensions/flow-*/shopify.extension.toml).
// A payload's keys are the toml's field keys ("Tier name": Flow allows only
// letters and spaces in them), plus `customer_id` for the customer_reference
// field, which is filled when the trigger is sent (the member's Shopify
// customer may be created by the sync just before). Flow trigger fields have
// no date type (Shopify CLI accepts boolean, email, single_line_text_field,
// url, number_decimal and schema types), so dates are the shop's local
// calendar dates as YYYY-MM-DD text, and amounts are decimals in the shop's
// currency, named in "Currency".
import { localDate } from "./dates";
import { minorDigits } from "./money";

export const MEMBERSHIP_EVENT_KINDS = ["enrolled", "tier_changed", "renewed", "expiring_soon", "expired", "cancelled"] as const;
export type MembershipEventKind = (typeof MEMBERSHIP_EVENT_KINDS)[number];

/** Each event's trigger handle (its extension's `handle`). */
export const FLOW_TRIGGER_HANDLES: Record<MembershipEventKind, string> = {
  enrolled: "club-member-enrolled",
  tier_changed: "club-member-tier-changed",
  renewed: "club-membership-renewed",
  expiring_soon: "club-membership-expiring-soon",
  expired: "club-membership-expired",
  cancelled: "club-membership-cancelled",
};

/** What merchants read for each event (queue screen, member page). */
export const FLOW_TRIGGER_NAMES: Record<MembershipEventKind, string> = {
  enrolled: "Member enrolled",
  tier_changed: "Member tier changed",
  renewed: "Membership renewed",
  expiring_soon: "Membership expiring soon",
  expired: "Membership expired",
  cancelled: "Membership cancelled",
};

/** A payload without its customer_id: text fields are strings, number_decimal fields numbers. */
export type FlowFields = Record<string, string | number>;

/** Minor units as the number a number_decimal field carries: 123450 USD → 1234.5. */
export function decimalAmount(minor: number, currency: string): number {
  return minor / 10 ** minorDigits(currency);
}

export type EventFacts = {
  timeZone: string;
  currency: string;
  /** When the event happened. */
  at: Date;
  tierName: string;
  startedAt: Date;
  expiresAt: Date;
  spendCents: number;
} & (
  | { kind: "enrolled" | "expired" }
  | { kind: "tier_changed"; fromTierName: string; direction: "up" | "down" }
  | { kind: "renewed"; previousExpiresAt: Date }
  | { kind: "expiring_soon"; thresholdCents: number }
  | { kind: "cancelled"; reason: string }
);

const DAY_MS = 86_400_000;

/** Whole local days from `from` to `to` (both as the shop's calendar dates). */
export function localDaysBetween(from: Date, to: Date, timeZone: string): number {
  const a = Date.parse(`${localDate(from, timeZone)}T00:00:00Z`);
  const b = Date.parse(`${localDate(to, timeZone)}T00:00:00Z`);
  return Math.round((b - a) / DAY_MS);
}

/** The trigger's fields for an event, keyed as its extension declares them. */
export function flowFields(f: EventFacts): FlowFields {
  const day = (d: Date) => localDate(d, f.timeZone);
  const money = { "Spend in window": decimalAmount(f.spendCents, f.currency), Currency: f.currency };
  switch (f.kind) {
    case "enrolled":
      return { "Tier name": f.tierName, "Started on": day(f.startedAt), "Expires on": day(f.expiresAt), ...money };
    case "tier_changed":
      return { "From tier": f.fromTierName, "To tier": f.tierName, Direction: f.direction, "Changed on": day(f.at), "Expires on": day(f.expiresAt), ...money };
    case "renewed":
      return { "Tier name": f.tierName, "Renewed on": day(f.at), "Previous expiry": day(f.previousExpiresAt), "Expires on": day(f.expiresAt), ...money };
    case "expiring_soon":
      return {
        "Tier name": f.tierName,
        "Expires on": day(f.expiresAt),
        "Days left": Math.max(0, localDaysBetween(f.at, f.expiresAt, f.timeZone)),
        ...money,
        "Spend to renew": decimalAmount(Math.max(0, f.thresholdCents - f.spendCents), f.currency),
      };
    case "expired":
      return { "Tier name": f.tierName, "Started on": day(f.startedAt), "Expired on": day(f.expiresAt), ...money };
    case "cancelled":
      return { "Tier name": f.tierName, "Cancelled on": day(f.at), Reason: f.reason.replace(/\s+/g, " ").trim(), "Expires on": day(f.expiresAt), ...money };
  }
}

/** The numeric id Flow's customer_reference takes, from a Shopify customer GID (or null). */
export function flowCustomerId(shopifyCustomerGid: string): number | null {
  const m = /^gid:\/\/shopify\/Customer\/(\d+)$/.exec(shopifyCustomerGid) ?? /^(\d+)$/.exec(shopifyCustomerGid);
  return m ? Number(m[1]) : null;
}
