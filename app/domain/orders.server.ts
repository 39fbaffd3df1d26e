// orders/create and orders/paid: record spend, renew and upgrade memberships
// (rules in orders.ts).
//
// Invariants:
// - Nothing doubled: Shopify delivers at least once, out of order, sometimes
//   hours late. An order is recorded once per shop, keyed on the ORDER (a
//   WebhookEvent row with the order's GID, plus Purchase's unique order id),
//   so a redelivery, a re-sent event or two concurrent deliveries record it
//   once. A duplicate is answered as such, and changes nothing.
// - Paid spend (ADR 0019): an order counts once, from when it is paid
//   (Purchase.countedAt set once, conditionally), or at creation on a shop
//   that counts orders when created; its membership decision is taken then,
//   once. orders/paid before orders/create records the order itself.
// - Nothing partial: the purchase, the membership change and its queue item
//   commit in one transaction, or none of them does.
// - No remote call here: the platform hears of a renewal or an upgrade through
//   the queue, so the webhook answers well inside Shopify's 5 s.
// - Scoped: customers are matched within the delivering shop only.
// - One writer per member: the membership decision is taken under the
//   member's lock, on a fresh read (ADR 0009). An order placed before the
//   membership's expiry renews it even if the expiry job got there first; an
//   order placed at or after it never does (orderCounts in orders.ts).
import { z } from "zod";
import { isUniqueViolation, type Db, type Tx } from "../db.server";
import { lockMember, lockMembersAtOnce } from "../member-lock.server";
import { queueCrmSync, wakeWorker } from "../queue/enqueue.server";
import { moveMember, recordedSpendCents } from "./enrollments.server";
import { queueMemberRefresh } from "./member-display.server";
import { platformIdField, platformIdOf, refreshContact, searchTextOf, type CustomerRow } from "./customers.server";
import { recordMembershipEvent } from "./membership-events.server";
import { cents, decimalToMinor } from "./money";
import { shopContext, shopTimeZone } from "./shops.server";
import type { Platform } from "./platforms";
import { countOrdersWhen, countsAtCreation, orderCounts, orderEffects, ruleTier, type OrderEffects } from "./orders";

export const ORDERS_CREATE = "orders/create";
export const ORDERS_PAID = "orders/paid";
export type OrderTopic = typeof ORDERS_CREATE | typeof ORDERS_PAID;
/**
 * The order history backfill (ADR 0023) records through the same code in a
 * third mode: an order not recorded yet is recorded and counted by the same
 * paid rule as at orders/create, an uncounted one that is paid by now starts
 * to count, but NO membership decision is taken: a backfill never renews or
 * upgrades anyone by itself (the recalculation preview does, once shown).
 * It writes no WebhookEvent, so a later orders/create of the same order finds
 * the purchase and is a duplicate, as after a redelivery.
 */
export const ORDERS_BACKFILL = "backfill";
export type RecordMode = OrderTopic | typeof ORDERS_BACKFILL;
export const cancelRefundId = (orderGid: string) => `cancel:${orderGid}`;

const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(String);
const decimal = z.union([z.string(), z.number()]);
/** An amount in the shop's money, read in its currency's minor units (JPY has none, KWD three). */
const shopMoney = z.object({ amount: decimal, currency_code: z.string().regex(/^[A-Z]{3}$/) }).transform((money, ctx) => {
  const minor = decimalToMinor(money.amount, money.currency_code);
  if (minor !== null) return { amount: minor, currency_code: money.currency_code };
  ctx.addIssue({ code: "custom", path: ["amount"], message: `Not an amount in ${money.currency_code}: ${JSON.stringify(money.amount)}` });
  return z.NEVER;
});
// Only the shop's money counts: a customer paying in another (presentment)
// currency is recorded by what the shop received in its own.
const moneySet = z.object({ shop_money: shopMoney });

/** The fields of Shopify's order webhook payload that spend and upgrades need. Others are ignored. */
export const orderPayload = z.object({
  id,
  admin_graphql_api_id: z.string().startsWith("gid://shopify/Order/").optional(),
  created_at: z.iso.datetime({ offset: true }),
  cancelled_at: z.iso.datetime({ offset: true }).nullish(),
  test: z.boolean().default(false),
  email: z.string().nullish(),
  currency: z.string().optional(),
  // "pending", "authorized", "paid", "partially_paid", "voided", …: whether
  // the spend counts yet (countsAtCreation in orders.ts). Kept as Shopify
  // spells it; a value we do not know is simply not paid.
  financial_status: z.string().trim().toLowerCase().max(50).nullish(),
  // Spend is the order's subtotal in the shop's currency: after discounts,
  // before shipping and taxes.
  current_subtotal_price_set: moneySet.optional(),
  subtotal_price_set: moneySet.optional(),
  customer: z
    .object({
      id,
      admin_graphql_api_id: z.string().startsWith("gid://shopify/Customer/").optional(),
      email: z.string().nullish(),
      first_name: z.string().nullish(),
      last_name: z.string().nullish(),
    })
    .nullish(),
});
export type OrderPayload = z.output<typeof orderPayload>;

export type OrderOutcome =
  | { status: "duplicate" }
  | { status: "ignored"; reason: "guest" | "test" | "cancelled" | "no_email" }
  // Recorded, but its spend does not count (yet): unpaid on a shop that
  // counts orders when paid (orders/paid will count it), or cancelled.
  | { status: "not_counted"; reason: "unpaid" | "cancelled"; customerId: string; amountCents: number; financialStatus: string | null }
  // Its spend counts from now: the membership decision was taken.
  | { status: "recorded"; customerId: string; amountCents: number; spendCents: number; membership: "none" | "unchanged" | "renewed" | "upgraded"; enrollmentId?: string }
  // The backfill recorded it, or counted it (no decision taken).
  | { status: "backfilled"; customerId: string; amountCents: number; counted: boolean };

/** A webhook payload we cannot read (the message names the field); nothing was written. */
export class InvalidPayload extends Error {}

/** Parses, then records the order. Throws InvalidPayload (nothing written) for a payload we cannot read. */
export async function recordOrderWebhook(db: Db, shop: string, raw: unknown, topic: OrderTopic = ORDERS_CREATE): Promise<OrderOutcome> {
  const parsed = orderPayload.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidPayload(describe(parsed.error));
  }
  return recordOrder(db, shop, parsed.data, topic);
}

// The purchase found under the member's lock belongs to another customer than
// the one locked (the order's customer was changed, and the order recorded
// meanwhile): the transaction starts again, from the purchase.
class OtherMember extends Error {}

/**
 * orders/create and orders/paid, one function: whichever arrives first records
 * the order (its Purchase, once per order); its spend counts from when it is
 * paid, or at creation on a shop that counts orders when created (ADR 0019).
 * The membership decision is taken once, when the spend starts to count:
 * orders/paid for an order that already counts (a redelivery, or a shop that
 * counted it at creation) and orders/create for one orders/paid recorded are
 * duplicates that change nothing.
 */
export async function recordOrder(db: Db, shop: string, order: OrderPayload, topic: OrderTopic = ORDERS_CREATE): Promise<OrderOutcome> {
  const orderGid = order.admin_graphql_api_id ?? `gid://shopify/Order/${order.id}`;
  const set = order.current_subtotal_price_set ?? order.subtotal_price_set;
  if (!set) throw new InvalidPayload("current_subtotal_price_set: Required");
  if (!order.customer) return { status: "ignored", reason: "guest" };
  if (order.test) return { status: "ignored", reason: "test" };
  if (order.cancelled_at) return { status: "ignored", reason: "cancelled" };
  return recordOrderFacts(
    db,
    shop,
    {
      orderId: orderGid,
      // Orders come from Shopify on every shop, so the order's customer GID is
      // our Shopify customer id whatever the shop's platform.
      platform: "shopify",
      customer: {
        id: order.customer.admin_graphql_api_id ?? `gid://shopify/Customer/${order.customer.id}`,
        email: (order.customer.email || order.email || "").trim().toLowerCase(),
        firstName: order.customer.first_name ?? "",
        lastName: order.customer.last_name ?? "",
      },
      at: new Date(order.created_at),
      amountCents: set.shop_money.amount,
      currency: set.shop_money.currency_code,
      // orders/paid is sent once the order is paid, whatever status its payload carries.
      financialStatus: order.financial_status ?? (topic === ORDERS_PAID ? "paid" : null),
    },
    topic,
  );
}

/**
 * An order as spend sees it, whichever platform sold it: Shopify's
 * orders/create and orders/paid, and Commerce7's Order webhooks
 * (commerce7-orders.server.ts), all record through recordOrderFacts.
 */
export type OrderFacts = {
  /** Purchase.orderId: a Shopify order GID, or "commerce7/Order/<id>". */
  orderId: string;
  /** Whose customer id `customer.id` is. */
  platform: Platform;
  customer: { id: string; email: string; firstName: string; lastName: string };
  /** When the order was placed (its place in the window and against the expiry). */
  at: Date;
  amountCents: number;
  currency: string;
  /** Shopify's financial_status spelling ("paid", "pending", …); countsAtCreation reads it. */
  financialStatus: string | null;
};

/**
 * `topic` is the mode: ORDERS_CREATE records the order (a duplicate if it is
 * recorded already) and counts it if it counts at creation; ORDERS_PAID
 * counts it (recording it first if need be), a duplicate if it counts already.
 */
export async function recordOrderFacts(db: Db, shop: string, order: OrderFacts, topic: OrderTopic = ORDERS_CREATE): Promise<OrderOutcome> {
  // Two first orders of one new customer (or orders/create and orders/paid of
  // one new order) may race to create the customer or the purchase row; the
  // loser's transaction rolls back whole and simply runs again, and finds the
  // winner's rows.
  for (let attempt = 1; ; attempt++) {
    try {
      const outcome = await db.$transaction((tx) => recordOrderFactsIn(tx, shop, order, topic));
      if (outcome.status === "recorded" && outcome.membership !== "none") wakeWorker();
      return outcome;
    } catch (error) {
      if (!isRetryableRace(error) || attempt >= 3) throw error;
      // A concurrent delivery committed first: the next attempt reads its rows
      // (a duplicate, or the purchase to count).
    }
  }
}

/** A race lost to a concurrent writer: the transaction rolled back whole and may simply run again. */
export function isRetryableRace(error: unknown): boolean {
  return error instanceof OtherMember || isUniqueViolation(error);
}

/**
 * recordOrderFacts inside the caller's transaction (the backfill records a
 * chunk of orders in one). Throws on a lost race (isRetryableRace): the
 * caller rolls back and runs again.
 */
/**
 * What a transaction recording many orders of one shop (the backfill's chunk)
 * read at its start, AFTER taking the locks of every member it found
 * (lockMembersAtOnce, ascending ids): the rows the per-order reads would
 * return, since no other writer can change a locked member's rows meanwhile.
 * The recording keeps it current with its own writes. Members it did not
 * know (created in the chunk) are locked when created, as without it.
 */
export type RecordingContext = {
  shopRow: { crm: string; countOrdersWhen: string } | null;
  customers: Map<string, CustomerRow>;
  byEmail: Map<string, CustomerRow>;
  purchases: Map<string, { customerId: string; countedAt: Date | null; occurredAt: Date; amountCents: bigint }>;
  refundIds: Set<string>;
  locked: Set<string>;
};

/** Reads a RecordingContext for these orders and refunds: members locked first, then their rows read. */
export async function recordingContext(tx: Tx, shop: string, orders: { orderId: string; customer: { id: string; email: string } | null }[]): Promise<RecordingContext> {
  const orderIds = orders.map((o) => o.orderId);
  const platformIds = [...new Set(orders.flatMap((o) => (o.customer ? [o.customer.id] : [])))];
  const emails = [...new Set(orders.flatMap((o) => (o.customer?.email ? [o.customer.email] : [])))];
  const [shopRow, first, purchasesBefore] = await Promise.all([
    tx.shop.findUnique({ where: { domain: shop }, select: { crm: true, countOrdersWhen: true } }),
    tx.customer.findMany({ where: { shop, OR: [{ shopifyCustomerId: { in: platformIds } }, { email: { in: emails } }] }, select: { id: true } }),
    tx.purchase.findMany({ where: { shop, orderId: { in: orderIds } }, select: { customerId: true } }),
  ]);
  const locked = new Set([...first.map((c) => c.id), ...purchasesBefore.map((p) => p.customerId)]);
  await lockMembersAtOnce(tx, shop, locked);
  // Read again under the locks: what is read now stays true until the commit.
  const [customers, purchases, refunds] = await Promise.all([
    tx.customer.findMany({ where: { shop, OR: [{ shopifyCustomerId: { in: platformIds } }, { email: { in: emails } }] } }),
    tx.purchase.findMany({ where: { shop, orderId: { in: orderIds } }, select: { orderId: true, customerId: true, countedAt: true, occurredAt: true, amountCents: true } }),
    tx.refund.findMany({ where: { shop, orderId: { in: orderIds } }, select: { refundId: true } }),
  ]);
  const ctx: RecordingContext = { shopRow, customers: new Map(), byEmail: new Map(), purchases: new Map(), refundIds: new Set(refunds.map((r) => r.refundId)), locked };
  for (const c of customers) {
    if (!locked.has(c.id)) {
      // Appeared between the two reads: lock it now (its own statement).
      await lockMember(tx, shop, c.id);
      locked.add(c.id);
    }
    if (c.shopifyCustomerId) ctx.customers.set(c.shopifyCustomerId, c);
    ctx.byEmail.set(c.email, c);
  }
  for (const p of purchases) {
    if (!locked.has(p.customerId)) {
      await lockMember(tx, shop, p.customerId);
      locked.add(p.customerId);
    }
    ctx.purchases.set(p.orderId, p);
  }
  return ctx;
}

export async function recordOrderFactsIn(tx: Tx, shop: string, order: OrderFacts, topic: RecordMode = ORDERS_CREATE, ctx?: RecordingContext): Promise<OrderOutcome> {
  // The context answers only for Shopify customers of the backfill.
  if (ctx && (topic !== ORDERS_BACKFILL || order.platform !== "shopify")) ctx = undefined;
  const orderGid = order.orderId;
  const { email } = order.customer;
  const at = order.at;
  const amountCents = order.amountCents;
  const financialStatus = order.financialStatus;
  if (topic === ORDERS_CREATE) {
    if (await tx.webhookEvent.findUnique({ where: { shop_topic_dedupeKey: { shop, topic: ORDERS_CREATE, dedupeKey: orderGid } } })) {
      return { status: "duplicate" };
    }
    await tx.webhookEvent.create({ data: { shop, topic: ORDERS_CREATE, dedupeKey: orderGid } });
  }
  const shopRow = ctx ? ctx.shopRow : await tx.shop.findUnique({ where: { domain: shop }, select: { crm: true, countOrdersWhen: true } });
  const crm = shopRow?.crm ?? "shopify";
  // orders/paid (or the backfill) of an order already recorded is for the purchase's member.
  const readPurchase = async () =>
    ctx ? (ctx.purchases.get(orderGid) ?? null) : tx.purchase.findUnique({ where: { shop_orderId: { shop, orderId: orderGid } }, select: { customerId: true, countedAt: true, occurredAt: true, amountCents: true } });
  const seen = topic !== ORDERS_CREATE ? await readPurchase() : null;
  let customerId: string;
  if (seen) {
    if (!ctx) await lockMember(tx, shop, seen.customerId);
    customerId = seen.customerId;
  } else {
    const customer = await matchCustomer(tx, shop, order.platform, { id: order.customer.id, email, firstName: order.customer.firstName, lastName: order.customer.lastName }, ctx);
    if (!customer) return { status: "ignored", reason: "no_email" };
    customerId = customer.id;
  }
  // Everything below reads committed state under the member's lock: the
  // order's other topic may have recorded it meanwhile, an erasure removed it.
  const purchase = await readPurchase();
  if (purchase && (topic === ORDERS_CREATE || purchase.countedAt)) return { status: "duplicate" };
  const paidNow = countsAtCreation(financialStatus, countOrdersWhen(shopRow?.countOrdersWhen));
  if (purchase && topic === ORDERS_BACKFILL && !paidNow) return { status: "duplicate" };
  if (purchase && purchase.customerId !== customerId) throw new OtherMember();
  // Cancelled (orders/cancelled came first): it never starts to count.
  const cancelled = ctx
    ? ctx.refundIds.has(cancelRefundId(orderGid))
    : (await tx.refund.findUnique({ where: { shop_refundId: { shop, refundId: cancelRefundId(orderGid) } }, select: { id: true } })) !== null;

  if (purchase) {
    if (cancelled) return { status: "ignored", reason: "cancelled" };
    // orders/paid: the recorded order's spend counts from now.
    const countedAt = new Date();
    const { count } = await tx.purchase.updateMany({ where: { shop, orderId: orderGid, countedAt: null }, data: { countedAt, financialStatus } });
    if (count !== 1) throw new Error(`Purchase ${orderGid} changed under the member lock`);
    ctx?.purchases.set(orderGid, { ...purchase, countedAt });
    if (topic === ORDERS_BACKFILL) return { status: "backfilled", customerId, amountCents: cents(purchase.amountCents), counted: true };
    return decide(tx, shop, crm, customerId, purchase.occurredAt, orderGid, cents(purchase.amountCents));
  }

  const counts = !cancelled && (topic === ORDERS_PAID || paidNow);
  const created = await tx.purchase.create({
    data: { shop, orderId: orderGid, customerId, amountCents, currency: order.currency, occurredAt: at, financialStatus, countedAt: counts ? new Date() : null },
  });
  ctx?.purchases.set(orderGid, created);
  if (topic === ORDERS_BACKFILL) return { status: "backfilled", customerId, amountCents, counted: counts };
  if (!counts) return { status: "not_counted", reason: cancelled ? "cancelled" : "unpaid", customerId, amountCents, financialStatus };
  return decide(tx, shop, crm, customerId, at, orderGid, amountCents);
}

/**
 * The membership decision for an order whose spend starts to count now,
 * under the member's lock. Spend over the 12 months ending at the order, or
 * at the member's latest counted purchase if that is later: orders delivered
 * (or paid) out of order are judged together, so the later one's commit
 * cannot hide the earlier one's spend (ADR 0009).
 */
async function decide(tx: Tx, shop: string, crm: string, customerId: string, at: Date, orderGid: string, amountCents: number): Promise<OrderOutcome> {
  const latest = await tx.purchase.findFirst({ where: { shop, customerId, countedAt: { not: null } }, orderBy: { occurredAt: "desc" }, select: { occurredAt: true } });
  const asOf = latest && latest.occurredAt > at ? latest.occurredAt : at;
  const spendCents = await recordedSpendCents(tx, shop, customerId, asOf);
  const change = await applyMembershipEffects(tx, shop, crm, customerId, spendCents, at, orderGid);
  return { status: "recorded", customerId, amountCents, spendCents, ...change };
}

/**
 * The order's customer, locked (lockMember) before any row of theirs is
 * written. Not known yet: created, so their spend counts when the merchant
 * enrolls them (a concurrent creator fails on the unique email and retries).
 *
 * `platform` says whose id the order carries (Shopify's GID on a Shopify
 * order, whatever the shop's platform; Commerce7's customer id on a
 * Commerce7 order): a known one names our row even under a new email (which
 * that row then takes: refreshContact), and a customer first matched by
 * email keeps it. The other platform's id is never touched here.
 */
async function matchCustomer(tx: Tx, shop: string, platform: Platform, c: { id: string; email: string; firstName: string; lastName: string }, ctx?: RecordingContext) {
  if (ctx) return matchCustomerFrom(tx, shop, platform, c, ctx);
  const seen = await tx.customer.findFirst({ where: { shop, ...platformIdField(platform, c.id) }, select: { id: true } });
  if (seen) {
    await lockMember(tx, shop, seen.id);
    // Re-read under the lock: an erasure may have removed it meanwhile.
    const known = await tx.customer.findFirst({ where: { id: seen.id, shop } });
    if (known) return refreshContact(tx, shop, platform, known, c);
  }
  if (!c.email) return null;
  const byEmail = await tx.customer.findUnique({ where: { shop_email: { shop, email: c.email } } });
  if (byEmail) {
    await lockMember(tx, shop, byEmail.id);
    if (!platformIdOf(byEmail, platform)) return tx.customer.update({ where: { id: byEmail.id }, data: platformIdField(platform, c.id) });
    return byEmail;
  }
  const created = await tx.customer.create({
    data: { shop, email: c.email, firstName: c.firstName, lastName: c.lastName, ...platformIdField(platform, c.id), searchText: searchTextOf(c) },
  });
  await lockMember(tx, shop, created.id);
  return created;
}

/** matchCustomer on a RecordingContext's rows (locked already); the same outcomes, its maps kept current. */
async function matchCustomerFrom(tx: Tx, shop: string, platform: Platform, c: { id: string; email: string; firstName: string; lastName: string }, ctx: RecordingContext) {
  const remember = (row: CustomerRow) => {
    const previous = [...ctx.byEmail.entries()].find(([, r]) => r.id === row.id && r.email !== row.email);
    if (previous) ctx.byEmail.delete(previous[0]);
    ctx.byEmail.set(row.email, row);
    if (row.shopifyCustomerId) ctx.customers.set(row.shopifyCustomerId, row);
    return row;
  };
  const known = ctx.customers.get(c.id);
  if (known) {
    const fresh = await refreshContact(tx, shop, platform, known, c);
    return fresh === known ? known : remember(fresh);
  }
  if (!c.email) return null;
  const byEmail = ctx.byEmail.get(c.email);
  if (byEmail) {
    if (!platformIdOf(byEmail, platform)) return remember(await tx.customer.update({ where: { id: byEmail.id }, data: platformIdField(platform, c.id) }));
    return byEmail;
  }
  const created = await tx.customer.create({
    data: { shop, email: c.email, firstName: c.firstName, lastName: c.lastName, ...platformIdField(platform, c.id), searchText: searchTextOf(c) },
  });
  await lockMember(tx, shop, created.id);
  ctx.locked.add(created.id);
  return remember(created);
}

/**
 * What the order does to the membership it was placed under (ADR 0009):
 * the active one, or, when there is none, the member's latest membership if
 * it expired and was still running at the order's time (the expiry job got there first; the
 * order still renews it). Under the member's lock; every status change is
 * conditional and checked.
 */
async function applyMembershipEffects(tx: Tx, shop: string, crm: string, customerId: string, spendCents: number, at: Date, orderGid: string) {
  const plan = await planMembershipEffects(tx, shop, crm, customerId, spendCents, at);
  return applyMembershipPlan(tx, shop, crm, customerId, plan, { changeAt: at, key: orderGid });
}

export type MembershipPlan =
  | { kind: "none" }
  | { kind: "unchanged"; active: EnrollmentWithTier }
  | { kind: "change"; active: EnrollmentWithTier | null; placedUnder: EnrollmentWithTier; effects: OrderEffects };
type EnrollmentWithTier = NonNullable<Awaited<ReturnType<typeof activeEnrollment>>>;
const activeEnrollment = (tx: Tx, shop: string, customerId: string) => tx.enrollment.findFirst({ where: { shop, customerId, status: "active" }, include: { tier: true } });

/**
 * The decision, without its writes: what `spendCents` does to the membership
 * an order placed at `at` was placed under (orderEffects). The recalculation
 * preview asks this and writes nothing; an order, and the recalculation's
 * Apply, hand it to applyMembershipPlan. Under the member's lock when applied.
 */
export async function planMembershipEffects(tx: Tx, shop: string, crm: string, customerId: string, spendCents: number, at: Date): Promise<MembershipPlan> {
  const active = await activeEnrollment(tx, shop, customerId);
  // Only the member's latest membership can come back: one the merchant
  // cancelled or replaced since stays ended.
  const latest = active ? null : await tx.enrollment.findFirst({ where: { shop, customerId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], include: { tier: true } });
  const placedUnder = active ?? (latest?.status === "expired" ? latest : null);
  if (!placedUnder || !orderCounts(placedUnder, at)) return { kind: "none" };
  // On Commerce7 a tier without a club cannot hold members, so spend never upgrades into one.
  const tiers = await tx.tier.findMany({ where: { shop, active: true, ...(crm === "commerce7" ? { c7ClubId: { not: null } } : {}) } });
  const effects = orderEffects({ current: ruleTier(placedUnder.tier), expiresAt: placedUnder.expiresAt, tiers: tiers.map(ruleTier), spendCents, at, timeZone: await shopTimeZone(tx, shop) });
  if (!effects.upgradeTo && !effects.expiresAt) return active ? { kind: "unchanged", active } : { kind: "none" };
  return { kind: "change", active, placedUnder, effects };
}

/**
 * Makes a plan's changes: an upgrade (moveMember, at `changeAt`) or a renewal
 * (the expiry the plan computed), each with its queue item keyed on `key` (the
 * order, or the recalculation), reviving an expired membership first. Every
 * status change is conditional and checked.
 */
export async function applyMembershipPlan(tx: Tx, shop: string, crm: string, customerId: string, plan: MembershipPlan, opts: { changeAt: Date; key: string }) {
  if (plan.kind === "none") return { membership: "none" as const };
  if (plan.kind === "unchanged") {
    // The spend the member sees in their account changed (ADR 0027): one
    // coalesced refresh per member, however many orders come before it runs.
    if (crm === "shopify") await queueMemberRefresh(tx, shop, customerId, plan.active.id, plan.active.tierId);
    return { membership: "unchanged" as const, enrollmentId: plan.active.id };
  }
  const { placedUnder, effects } = plan;
  const revived = !plan.active;
  if (revived) {
    // Back to active, as if the expiry had not run; its cancel_membership is
    // already queued, and the item queued below runs after it.
    const { count } = await tx.enrollment.updateMany({
      where: { id: placedUnder.id, shop, status: "expired" },
      data: { status: "active", endedAt: null, endReason: null },
    });
    if (count !== 1) throw new Error(`Enrollment ${placedUnder.id} changed under the member lock`);
  }
  if (effects.upgradeTo) {
    const next = await moveMember(tx, shop, placedUnder, effects.upgradeTo, opts.changeAt, `Upgraded to ${effects.upgradeTo.name} by spend`, "upgraded");
    return { membership: "upgraded" as const, enrollmentId: next.id };
  }
  // A renewal in grace ends the grace: the membership runs to its new expiry.
  const { count } = await tx.enrollment.updateMany({ where: { id: placedUnder.id, shop, status: "active" }, data: { expiresAt: effects.expiresAt!, graceEndsAt: null } });
  if (count !== 1) throw new Error(`Enrollment ${placedUnder.id} changed under the member lock`);
  await tx.renewal.create({ data: { shop, enrollmentId: placedUnder.id, renewedAt: opts.changeAt } });
  await recordMembershipEvent(tx, shop, { kind: "renewed", enrollmentId: placedUnder.id, orderId: opts.key, previousExpiresAt: placedUnder.expiresAt }, { at: opts.changeAt });
  // Shopify mirrors the expiry (the discount function checks it), so the
  // member's state is converged again. Commerce7 memberships carry no expiry
  // of ours: nothing to send, unless the expiry had already removed it.
  if (revived) {
    await queueCrmSync(
      { shop, enrollmentId: placedUnder.id, actionType: "add_membership", stageId: placedUnder.tierId, customerId, idempotencyKey: `renew:${placedUnder.id}:${opts.key}` },
      tx,
    );
  } else if (crm === "shopify") {
    // Every qualifying order renews (a later expiry each time): coalesced with
    // the member's other spend changes, so a burst of orders is one write.
    await queueMemberRefresh(tx, shop, customerId, placedUnder.id, placedUnder.tierId);
  }
  return { membership: "renewed" as const, enrollmentId: placedUnder.id };
}

// ——— Refunds and cancellations ———
//
// They lower the spend that later decisions are made on; they never downgrade
// or shorten a membership (ADR 0007). Each is recorded once (Refund's unique
// refund id), whether or not its order has arrived yet.

const refundPayload = z.object({
  id,
  order_id: id,
  admin_graphql_api_id: z.string().startsWith("gid://shopify/Refund/").optional(),
  created_at: z.iso.datetime({ offset: true }),
  // Spend is the subtotal, so what counts back is the refunded lines' subtotal
  // (not shipping, taxes or ad-hoc amounts).
  refund_line_items: z.array(z.object({ subtotal_set: moneySet.optional(), subtotal: decimal.optional() })).default([]),
});

export type RefundOutcome = { status: "recorded"; amountCents: number } | { status: "duplicate" };

/** refunds/create. Throws InvalidPayload (nothing written) for a payload we cannot read. */
export async function recordRefundWebhook(db: Db, shop: string, raw: unknown): Promise<RefundOutcome> {
  const parsed = refundPayload.safeParse(raw);
  if (!parsed.success) throw new InvalidPayload(describe(parsed.error));
  const r = parsed.data;
  // A line without its money set carries a bare subtotal, in the shop's currency.
  const { currency } = r.refund_line_items.some((line) => !line.subtotal_set) ? await shopContext(db, shop) : { currency: "" };
  let amountCents = 0;
  for (const line of r.refund_line_items) {
    const minor = line.subtotal_set ? line.subtotal_set.shop_money.amount : line.subtotal === undefined ? 0 : decimalToMinor(line.subtotal, currency);
    if (minor === null) throw new InvalidPayload(`refund_line_items.subtotal: not an amount in ${currency}`);
    amountCents += minor;
  }
  return insertRefund(db, {
    shop,
    orderId: `gid://shopify/Order/${r.order_id}`,
    refundId: r.admin_graphql_api_id ?? `gid://shopify/Refund/${r.id}`,
    amountCents,
    occurredAt: new Date(r.created_at),
  });
}

/** orders/cancelled: the whole order stops counting (a refund of all of it). */
export async function recordCancellationWebhook(db: Db, shop: string, raw: unknown): Promise<RefundOutcome> {
  const parsed = orderPayload.safeParse(raw);
  if (!parsed.success) throw new InvalidPayload(describe(parsed.error));
  const order = parsed.data;
  const orderGid = order.admin_graphql_api_id ?? `gid://shopify/Order/${order.id}`;
  // What we recorded is what stops counting; if the order has not arrived yet,
  // its original subtotal (the current one may already be 0 after the refund).
  const recorded = await db.purchase.findUnique({ where: { shop_orderId: { shop, orderId: orderGid } }, select: { amountCents: true } });
  const set = order.subtotal_price_set ?? order.current_subtotal_price_set;
  return insertRefund(db, {
    shop,
    orderId: orderGid,
    refundId: cancelRefundId(orderGid),
    amountCents: recorded ? cents(recorded.amountCents) : (set?.shop_money.amount ?? 0),
    occurredAt: order.cancelled_at ? new Date(order.cancelled_at) : new Date(),
  }, order.financial_status ?? null);
}

/** Records the refund once; `financialStatus` (a cancellation's: "voided", "refunded", …) is what the order's purchase now shows. */
export async function insertRefund(db: Db, data: RefundRow, financialStatus: string | null = null): Promise<RefundOutcome> {
  try {
    const outcome = await db.$transaction((tx) => insertRefundIn(tx, data, financialStatus));
    // A refund of a member's order queues their display refresh (refreshSpendShown).
    if (outcome.status === "recorded") wakeWorker();
    return outcome;
  } catch (error) {
    if (isUniqueViolation(error)) return { status: "duplicate" };
    throw error;
  }
}

/** A refund lowers the spend an active Shopify member sees in their account: their coalesced refresh. Under the member's lock. */
async function refreshSpendShown(tx: Tx, shop: string, customerId: string): Promise<boolean> {
  const shopRow = await tx.shop.findUnique({ where: { domain: shop }, select: { crm: true } });
  if ((shopRow?.crm ?? "shopify") !== "shopify") return false;
  const active = await tx.enrollment.findFirst({ where: { shop, customerId, status: "active" }, select: { id: true, tierId: true } });
  if (!active) return false;
  await queueMemberRefresh(tx, shop, customerId, active.id, active.tierId);
  return true;
}

export type RefundRow = { shop: string; orderId: string; refundId: string; amountCents: number; occurredAt: Date };

/**
 * insertRefund inside the caller's transaction (the backfill's chunk). A
 * refund recorded already (by refunds/create, or an earlier backfill) is
 * left as it is: "duplicate", nothing written. A concurrent writer of the same
 * refund id makes the insert fail on the unique index (isRetryableRace).
 */
export async function insertRefundIn(tx: Tx, data: RefundRow, financialStatus: string | null = null, ctx?: RecordingContext): Promise<RefundOutcome> {
  // The member's spend changes: under their lock, like every spend writer.
  // An order not recorded yet has no member to lock; it reads this refund
  // when it arrives. (A context's purchases are its locked members' already.)
  const purchase = ctx ? (ctx.purchases.get(data.orderId) ?? null) : await tx.purchase.findUnique({ where: { shop_orderId: { shop: data.shop, orderId: data.orderId } }, select: { customerId: true } });
  if (purchase && !ctx?.locked.has(purchase.customerId)) await lockMember(tx, data.shop, purchase.customerId);
  const known = ctx ? ctx.refundIds.has(data.refundId) : (await tx.refund.findUnique({ where: { shop_refundId: { shop: data.shop, refundId: data.refundId } }, select: { id: true } })) !== null;
  if (known) return { status: "duplicate" };
  await tx.refund.create({ data });
  ctx?.refundIds.add(data.refundId);
  if (purchase && financialStatus) await tx.purchase.updateMany({ where: { shop: data.shop, orderId: data.orderId }, data: { financialStatus } });
  // Not for the backfill (a context): it changes no member by itself, and its
  // purchases queue no refresh either; the recalculation's Apply, or the
  // member's next order, brings their account up to date.
  if (purchase && !ctx) await refreshSpendShown(tx, data.shop, purchase.customerId);
  return { status: "recorded", amountCents: data.amountCents };
}

export function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "payload"}: ${i.message}`).join("; ");
}
