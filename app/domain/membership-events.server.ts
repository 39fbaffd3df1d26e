// Membership events for Shopify Flow (ADR 0028): the one writer.
//
// Invariants:
// - Outbox: the event row and its `flow_trigger` queue item are written in the
//   caller's transaction, the one that makes the change, under the member's
//   lock (the caller holds it), so the event exists exactly when the change
//   committed, and the item runs in the member's order after the sync items
//   queued before it (the membership is on Shopify when the workflow starts).
// - Once per event: the event's key is unique per shop (INSERT … ON CONFLICT
//   DO NOTHING, which neither fails nor aborts a PostgreSQL transaction), and
//   its queue item carries the same key. A redelivered webhook, a re-run job
//   or a second instance records nothing more.
// - The payload is frozen here (tier names, dates, spend as they are in this
//   transaction); only the customer's Shopify id is filled at send time.
// - Shopify-platform shops only: a Commerce7 shop's members are Commerce7
//   customers (their Shopify customer may not exist), and Commerce7 runs its
//   own club emails, so nothing is recorded there.
import { randomUUID } from "node:crypto";
import type { Tx } from "../db.server";
import { queueCrmSync } from "../queue/enqueue.server";
import { exec } from "../queue/sql.server";
import { asPlatform } from "./customers.server";
import { recordedSpendCents } from "./enrollments.server";
import { cents } from "./money";
import { FLOW_TRIGGER_HANDLES, flowFields, type EventFacts, type MembershipEventKind } from "./flow-triggers";

export type MembershipEventInput =
  /** A new membership (the enrollment just created). */
  | { kind: "enrolled"; enrollmentId: string }
  /**
   * The member moved from `fromTierId` to the tier of `enrollmentId` (the new
   * enrollment). `direction` defaults to the tiers' ranks; a step-down at
   * expiry passes "down".
   */
  | { kind: "tier_changed"; enrollmentId: string; fromTierId: string; direction?: "up" | "down" }
  /** An order (`orderId`) renewed the membership, which ran until `previousExpiresAt`. */
  | { kind: "renewed"; enrollmentId: string; orderId: string; previousExpiresAt: Date }
  | { kind: "expiring_soon"; enrollmentId: string }
  | { kind: "expired"; enrollmentId: string }
  | { kind: "cancelled"; enrollmentId: string };

/** The event's default key: what makes two deliveries of one fact one event. */
function eventKey(input: MembershipEventInput, expiresAt: Date): string {
  switch (input.kind) {
    case "renewed":
      return `flow:renewed:${input.enrollmentId}:${input.orderId}`;
    // Per term: a membership an order brought back can expire (or near its expiry) again.
    case "expiring_soon":
    case "expired":
      return `flow:${input.kind}:${input.enrollmentId}:${expiresAt.toISOString()}`;
    default:
      return `flow:${input.kind}:${input.enrollmentId}`;
  }
}

/**
 * Records one membership event and queues its Flow trigger, in `tx`, under
 * the member's lock (the caller's). Returns null on a shop whose members are
 * not on Shopify; `created: false` when the event was recorded already.
 * `at` is when it happened (default now); `key` overrides the default key
 * (a new kind of ending that reuses a kind, e.g. "expired" at a grace
 * period's end, passes its own so it stays once per term).
 */
export async function recordMembershipEvent(
  tx: Tx,
  shop: string,
  input: MembershipEventInput,
  opts: { at?: Date; key?: string } = {},
): Promise<{ id: string; created: boolean } | null> {
  const shopRow = await tx.shop.findUnique({ where: { domain: shop }, select: { crm: true, timezone: true, currency: true } });
  if (!shopRow || asPlatform(shopRow.crm) !== "shopify") return null;
  const enrollment = await tx.enrollment.findFirst({ where: { id: input.enrollmentId, shop }, include: { tier: true } });
  if (!enrollment) throw new Error(`recordMembershipEvent: no enrollment ${input.enrollmentId} in ${shop}`);
  const at = opts.at ?? new Date();
  const base = {
    timeZone: shopRow.timezone,
    currency: shopRow.currency,
    at,
    tierName: enrollment.tier.name,
    startedAt: enrollment.startedAt,
    expiresAt: enrollment.expiresAt,
    spendCents: await recordedSpendCents(tx, shop, enrollment.customerId, at),
  };
  let facts: EventFacts;
  switch (input.kind) {
    case "tier_changed": {
      const from = await tx.tier.findFirstOrThrow({ where: { id: input.fromTierId, shop }, select: { name: true, rank: true } });
      facts = { ...base, kind: "tier_changed", fromTierName: from.name, direction: input.direction ?? (enrollment.tier.rank > from.rank ? "up" : "down") };
      break;
    }
    case "renewed":
      facts = { ...base, kind: "renewed", previousExpiresAt: input.previousExpiresAt };
      break;
    case "expiring_soon":
      facts = { ...base, kind: "expiring_soon", thresholdCents: cents(enrollment.tier.annualThresholdCents) };
      break;
    case "cancelled":
      facts = { ...base, kind: "cancelled", reason: enrollment.endReason ?? "" };
      break;
    default:
      facts = { ...base, kind: input.kind };
  }
  const kind: MembershipEventKind = input.kind;
  const key = opts.key ?? eventKey(input, enrollment.expiresAt);
  const id = randomUUID();
  const inserted = await exec(
    tx,
    `INSERT INTO "MembershipEvent" ("id","shop","customerId","enrollmentId","kind","handle","payload","idempotencyKey","occurredAt","createdAt")
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)
     ON CONFLICT ("shop","idempotencyKey") DO NOTHING`,
    id,
    shop,
    enrollment.customerId,
    enrollment.id,
    kind,
    FLOW_TRIGGER_HANDLES[kind],
    JSON.stringify(flowFields(facts)),
    key,
    at,
    new Date(),
  );
  if (inserted !== 1) {
    const existing = await tx.membershipEvent.findUniqueOrThrow({ where: { shop_idempotencyKey: { shop, idempotencyKey: key } }, select: { id: true } });
    return { id: existing.id, created: false };
  }
  // No enrollmentId on the item: a Flow trigger says nothing of whether the
  // membership is on Shopify, so it must not set the enrollment's sync state.
  await queueCrmSync({ shop, actionType: "flow_trigger", stageId: id, customerId: enrollment.customerId, platform: "shopify", idempotencyKey: key }, tx);
  return { id, created: true };
}
