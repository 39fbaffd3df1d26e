// Shopify's mandatory privacy (compliance) webhooks, and uninstall.
//
// Invariants:
// - Every deletion is scoped to the shop that sent the request, and is one
//   transaction: a customer or a shop is erased whole, or not at all.
// - Repeats are harmless: deleting what is already gone deletes nothing.
// - Only our local copy is erased; the platforms own their data (Shopify erases
//   its customer itself; a Commerce7 tenant is the merchant's own CRM).
import { z } from "zod";
import { chunks, type Db, type Tx } from "../db.server";
import { cents } from "./money";
import { lockMember } from "../member-lock.server";
import { queueCrmSync, wakeWorker } from "../queue/enqueue.server";

const customerRef = z.object({
  id: z.union([z.number(), z.string()]).transform(String).optional(),
  email: z.string().nullish(),
});
export const customerRequest = z.object({ customer: customerRef });

/** The local customer a privacy request names: by Shopify id, else by email. */
async function findCustomer(tx: Db | Tx, shop: string, ref: z.output<typeof customerRef>) {
  if (ref.id) {
    // Shopify names its customer: our Shopify id, on any platform (orders record it everywhere).
    const byId = await tx.customer.findUnique({ where: { shop_shopifyCustomerId: { shop, shopifyCustomerId: `gid://shopify/Customer/${ref.id}` } } });
    if (byId) return byId;
  }
  const email = ref.email?.trim().toLowerCase();
  return email ? tx.customer.findUnique({ where: { shop_email: { shop, email } } }) : null;
}

export const customerDataRequest = z.object({
  customer: customerRef,
  data_request: z.object({ id: z.union([z.number(), z.string()]).transform(String) }).optional(),
});

/**
 * customers/data_request: "give the merchant what we hold". A queue item does
 * it (email to the shop's alert address, retried if mail is down), so the
 * webhook answers at once and nothing is lost. Nothing is queued for a
 * customer we do not hold.
 */
export async function requestCustomerData(db: Db, shop: string, raw: unknown): Promise<{ held: boolean }> {
  const { customer: ref, data_request } = customerDataRequest.parse(raw);
  const customer = await findCustomer(db, shop, ref);
  if (!customer) return { held: false };
  await queueCrmSync({
    shop,
    actionType: "send_data_export",
    stageId: "data_request",
    customerId: customer.id,
    idempotencyKey: `data_request:${data_request?.id ?? `${customer.id}:${Date.now()}`}`,
  });
  wakeWorker();
  return { held: true };
}

/** Everything we hold on one customer of the shop, or null when we hold nothing. */
export async function customerExport(db: Db, shop: string, customerId: string) {
  const customer = await db.customer.findFirst({ where: { id: customerId, shop } });
  if (!customer) return null;
  const [enrollments, purchases, addresses] = await Promise.all([
    db.enrollment.findMany({ where: { shop, customerId }, include: { tier: { select: { name: true } } }, orderBy: { createdAt: "asc" } }),
    db.purchase.findMany({ where: { shop, customerId }, orderBy: { occurredAt: "asc" } }),
    db.customerAddress.findMany({ where: { shop, customerId }, orderBy: { kind: "asc" } }),
  ]);
  const refunds = [];
  for (const part of chunks(purchases.map((p) => p.orderId))) refunds.push(...(await db.refund.findMany({ where: { shop, orderId: { in: part } } })));
  return {
    customer: { email: customer.email, firstName: customer.firstName, lastName: customer.lastName, shopifyCustomerId: customer.shopifyCustomerId, commerce7CustomerId: customer.commerce7CustomerId, since: customer.createdAt },
    memberships: enrollments.map((e) => ({ tier: e.tier.name, status: e.status, startedAt: e.startedAt, expiresAt: e.expiresAt, endedAt: e.endedAt, endReason: e.endReason })),
    addresses: addresses.map((a) => ({ kind: a.kind, address: a.address, address2: a.address2, city: a.city, stateCode: a.stateCode, zipCode: a.zipCode, countryCode: a.countryCode })),
    purchases: purchases.map((p) => ({ orderId: p.orderId, amountCents: cents(p.amountCents), currency: p.currency, at: p.occurredAt })),
    refunds: refunds.map((r) => ({ orderId: r.orderId, amountCents: cents(r.amountCents), at: r.occurredAt })),
  };
}

/** customers/redact: erase the customer, their addresses, memberships, spend (and its refunds) and sync items. */
export async function redactCustomer(db: Db, shop: string, raw: unknown): Promise<{ erased: boolean }> {
  const { customer: ref } = customerRequest.parse(raw);
  return db.$transaction(async (tx) => {
    const customer = await findCustomer(tx, shop, ref);
    // A member import's staged rows hold the email and name as the file had
    // them, also for a row that never became a customer (ADR 0022).
    const emails = [...new Set([customer?.email, ref.email?.trim().toLowerCase()].filter((e): e is string => !!e))];
    const staged = emails.length ? (await tx.memberImportRow.deleteMany({ where: { shop, email: { in: emails } } })).count : 0;
    if (!customer) return { erased: staged > 0 };
    // One writer per member (ADR 0009): an order or the worker's outcome in
    // flight for this customer commits before the erasure, or after it and
    // finds nothing.
    await lockMember(tx, shop, customer.id);
    // Queue rows key on the customer without a foreign key (they outlive
    // enrollments for ordering); their attempts go with them (cascade).
    await tx.crmSyncQueue.deleteMany({ where: { shop, customerId: customer.id } });
    // Flow events carry the member's tier, dates and spend (ADR 0028).
    await tx.membershipEvent.deleteMany({ where: { shop, customerId: customer.id } });
    await tx.enrollment.deleteMany({ where: { shop, customerId: customer.id } });
    const orders = await tx.purchase.findMany({ where: { shop, customerId: customer.id }, select: { orderId: true } });
    for (const part of chunks(orders.map((o) => o.orderId))) await tx.refund.deleteMany({ where: { shop, orderId: { in: part } } });
    await tx.purchase.deleteMany({ where: { shop, customerId: customer.id } });
    await tx.customerAddress.deleteMany({ where: { shop, customerId: customer.id } });
    await tx.customer.deleteMany({ where: { shop, id: customer.id } });
    return { erased: true };
  });
}

/** shop/redact (48 h after uninstall): erase every row the shop owns. */
export async function redactShop(db: Db, shop: string): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.crmSyncQueue.deleteMany({ where: { shop } });
    await tx.membershipEvent.deleteMany({ where: { shop } });
    // Staged import rows go with their import (cascade).
    await tx.memberImport.deleteMany({ where: { shop } });
    await tx.commerce7History.deleteMany({ where: { shop } });
    await tx.enrollment.deleteMany({ where: { shop } });
    // The home page's counts (ADR 0029), with the deltas the deletion above appended.
    await tx.membershipDayCount.deleteMany({ where: { shop } });
    await tx.membershipDayDelta.deleteMany({ where: { shop } });
    await tx.purchase.deleteMany({ where: { shop } });
    await tx.refund.deleteMany({ where: { shop } });
    await tx.customerAddress.deleteMany({ where: { shop } });
    await tx.customer.deleteMany({ where: { shop } });
    await tx.tier.deleteMany({ where: { shop } });
    await tx.webhookEvent.deleteMany({ where: { shop } });
    await tx.paceBucket.deleteMany({ where: { shop } });
    await tx.session.deleteMany({ where: { shop } });
    await tx.shop.deleteMany({ where: { domain: shop } });
  });
}
