// Commerce7 orders as spend (issue 14, ADR 0021): what one Commerce7 Order
// webhook body (or one failed delivery read back from its web-hook-log) does.
//
// Invariants:
// - One path for every Commerce7 order, live or caught up: the order is turned
//   into OrderFacts and recorded by the same recordOrderFacts as Shopify's
//   orders (orders.server.ts): once per order id, under the member's lock,
//   spend counting once the order is paid (ADR 0019), upgrades and renewals
//   decided when it starts to count and sent to the platform through the queue.
// - Create and Update are the same order: the first delivery records it; a
//   later one counts it if it has been paid since, and otherwise changes
//   nothing (a redelivery, an edit, a catch-up of what was delivered after all).
// - A refund is an order of its own with a negative total and the refunded
//   order's id in previousOrderId: recorded once (by its own id) as a Refund of
//   that order, like Shopify's refunds/create: it lowers later spend, never
//   downgrades.
// - Money is Commerce7's: integer cents. Spend is the order's subTotal (before
//   shipping and taxes), as a Shopify order's subtotal.
// - No remote call: a webhook answers in one short transaction.
import { z } from "zod";
import type { Db } from "../db.server";
import {
  insertRefund,
  InvalidPayload,
  isRetryableRace,
  ORDERS_BACKFILL,
  ORDERS_CREATE,
  ORDERS_PAID,
  recordOrderFacts,
  recordOrderFactsIn,
  type OrderFacts,
  type OrderOutcome,
  type RefundOutcome,
  type RefundRow,
} from "./orders.server";
import { shopContext } from "./shops.server";

/** Our Purchase/Refund order id for a Commerce7 order id (never a Shopify GID). */
export const commerce7OrderId = (id: string) => `commerce7/Order/${id}`;

/** Commerce7's webhook body: `{ object, action, payload, user, tenantId }`. */
export const commerce7WebhookBody = z.looseObject({
  object: z.string().max(100),
  action: z.string().max(100),
  payload: z.unknown(),
  tenantId: z.string().max(200).optional(),
});
export type Commerce7WebhookBody = z.infer<typeof commerce7WebhookBody>;

const c7Id = z.string().trim().min(1).max(100);
const when = z.iso.datetime({ offset: true });
const centsField = z.number().int().safe();

/** The fields of Commerce7's Order object that spend needs (others are ignored). */
export const commerce7OrderPayload = z.looseObject({
  id: c7Id,
  orderSubmittedDate: when.nullish(),
  createdAt: when.nullish(),
  // Set once the order is paid; with paymentStatus, whether its spend counts yet.
  orderPaidDate: when.nullish(),
  paymentStatus: z.string().trim().max(50).nullish(),
  subTotal: centsField,
  total: centsField,
  previousOrderId: c7Id.nullish(),
  customerId: c7Id.nullish(),
  customer: z
    .looseObject({
      id: c7Id.optional(),
      firstName: z.string().max(200).nullish(),
      lastName: z.string().max(200).nullish(),
      email: z.string().max(254).nullish(),
      emails: z.array(z.looseObject({ email: z.string().max(254) })).nullish(),
    })
    .nullish(),
});
export type Commerce7OrderPayload = z.infer<typeof commerce7OrderPayload>;

export type Commerce7Outcome =
  | OrderOutcome
  | (RefundOutcome & { refund: true })
  | { status: "ignored"; reason: "not_an_order" | "action" | "guest" };

/** Whether Commerce7 says the order is paid: a paid date, or a "Paid" payment status. */
function isPaid(order: Commerce7OrderPayload) {
  return Boolean(order.orderPaidDate) || order.paymentStatus?.toLowerCase() === "paid";
}

/** A Commerce7 Order payload read: a refund of another order, a guest's order, or a customer's order as OrderFacts. */
type ReadOrder =
  | { kind: "refund"; refund: RefundRow }
  | { kind: "guest" }
  | { kind: "order"; paid: boolean; facts: OrderFacts };

/** Reads an Order payload; throws InvalidPayload (nothing written) for one we cannot read. */
async function readOrder(db: Db, shop: string, payload: unknown): Promise<ReadOrder> {
  const parsed = commerce7OrderPayload.safeParse(payload);
  if (!parsed.success) throw new InvalidPayload(parsed.error.issues.map((i) => `payload.${i.path.join(".")}: ${i.message}`).join("; "));
  const order = parsed.data;
  const at = new Date(order.orderSubmittedDate ?? order.createdAt ?? order.orderPaidDate ?? Date.now());

  if (order.total < 0 || order.subTotal < 0) {
    if (!order.previousOrderId) throw new InvalidPayload("payload.previousOrderId: a refund order (negative total) must name the order it refunds");
    return {
      kind: "refund",
      refund: { shop, orderId: commerce7OrderId(order.previousOrderId), refundId: commerce7OrderId(order.id), amountCents: Math.abs(order.subTotal < 0 ? order.subTotal : order.total), occurredAt: at },
    };
  }

  const customerId = order.customerId ?? order.customer?.id;
  if (!customerId) return { kind: "guest" };
  const email = (order.customer?.emails?.[0]?.email ?? order.customer?.email ?? "").trim().toLowerCase();
  const paid = isPaid(order);
  const { currency } = await shopContext(db, shop);
  return {
    kind: "order",
    paid,
    facts: {
      orderId: commerce7OrderId(order.id),
      platform: "commerce7",
      customer: { id: customerId, email, firstName: order.customer?.firstName ?? "", lastName: order.customer?.lastName ?? "" },
      at,
      amountCents: order.subTotal,
      // Commerce7's cents are taken in the shop's currency (its tenant sells in it).
      currency,
      // Shopify's spelling, which the paid-spend rules read: paid, or not yet.
      financialStatus: paid ? "paid" : (order.paymentStatus?.toLowerCase() ?? "pending"),
    },
  };
}

/**
 * One Commerce7 webhook body, already authenticated as this shop's. Throws
 * InvalidPayload (nothing written) for an Order payload we cannot read.
 */
export async function recordCommerce7Delivery(db: Db, shop: string, body: Commerce7WebhookBody): Promise<Commerce7Outcome> {
  if (body.object !== "Order") return { status: "ignored", reason: "not_an_order" };
  if (body.action !== "Create" && body.action !== "Update") return { status: "ignored", reason: "action" };
  const read = await readOrder(db, shop, body.payload);
  if (read.kind === "refund") return { ...(await insertRefund(db, read.refund)), refund: true };
  if (read.kind === "guest") return { status: "ignored", reason: "guest" };
  // A paid Update counts an order recorded unpaid (or records it counted),
  // as orders/paid does; anything else records it once, as orders/create.
  return recordOrderFacts(db, shop, read.facts, read.paid && body.action === "Update" ? ORDERS_PAID : ORDERS_CREATE);
}

export type HistoryOutcome = "recorded" | "known" | "skipped" | "refund" | "refund_known";

/**
 * One order of the Commerce7 order history (ADR 0022), as its list gave it:
 * the same reading as a webhook's, recorded by the history mode of the same
 * recording code (ORDERS_BACKFILL): once per order id, under the member's lock, paid
 * spend counted by the same rule, but deciding nothing: no renewal, no
 * upgrade. An order a webhook recorded already is "known"; so is one an
 * earlier history read recorded. Unreadable orders and guests are "skipped".
 */
export async function recordCommerce7HistoryOrder(db: Db, shop: string, payload: unknown): Promise<HistoryOutcome> {
  let read: ReadOrder;
  try {
    read = await readOrder(db, shop, payload);
  } catch (error) {
    if (error instanceof InvalidPayload) return "skipped";
    throw error;
  }
  if (read.kind === "refund") return (await insertRefund(db, read.refund)).status === "recorded" ? "refund" : "refund_known";
  if (read.kind === "guest") return "skipped";
  for (let attempt = 1; ; attempt++) {
    try {
      const outcome = await db.$transaction((tx) => recordOrderFactsIn(tx, shop, read.facts, ORDERS_BACKFILL));
      if (outcome.status === "backfilled") return "recorded";
      if (outcome.status === "duplicate") return "known";
      return "skipped";
    } catch (error) {
      // A live delivery of the same order committed first: the next attempt finds it.
      if (!isRetryableRace(error) || attempt >= 3) throw error;
    }
  }
}
