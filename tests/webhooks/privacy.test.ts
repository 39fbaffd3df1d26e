// Privacy webhooks and uninstall through the real routes, with HMAC-signed
// deliveries: erasure is whole, scoped to the shop that asked, and repeatable.
import { beforeAll, describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { enroll } from "~/domain/enrollments.server";
import { action as compliance } from "~/routes/webhooks.compliance";
import { action as ordersCreate } from "~/routes/webhooks.orders.create";
import { action as refundsCreate } from "~/routes/webhooks.refunds.create";
import { action as uninstalled } from "~/routes/webhooks.app.uninstalled";
import { routeArgs, storeOfflineSession, webhookRequest } from "../support/auth";

const SHOP = "privacy.myshopify.com";
const OTHER = "neighbour.myshopify.com";

async function send(handler: typeof compliance, shop: string, topic: string, body: unknown, opts: Parameters<typeof webhookRequest>[3] = {}) {
  return (await handler(routeArgs(webhookRequest(shop, topic, body, opts))).catch((e: unknown) => e)) as Response;
}

let orderNo = 0;
/** A member with an order and queued sync items, on `shop`; the same email on every shop. */
async function memberWithHistory(shop: string, email: string, shopifyId: number) {
  const tier = await prisma.tier.findFirstOrThrow({ where: { shop } });
  const r = await enroll(prisma, shop, { idempotencyKey: `k-${shop}-${email}`, tierId: tier.id, email, firstName: "Ada", lastName: "Vine", platformId: `gid://shopify/Customer/${shopifyId}` });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  orderNo++;
  const orderId = 7_000 + orderNo + (shop === OTHER ? 500 : 0);
  const res = await send(ordersCreate, shop, "orders/create", {
    id: orderId,
    created_at: new Date().toISOString(),
    financial_status: "paid",
    current_subtotal_price_set: { shop_money: { amount: "900.00", currency_code: "USD" } },
    customer: { id: shopifyId, email },
  });
  expect(res.status).toBe(200);
  const refunded = await send(refundsCreate, shop, "refunds/create", {
    id: orderId,
    order_id: orderId,
    created_at: new Date().toISOString(),
    refund_line_items: [{ subtotal_set: { shop_money: { amount: "10.00", currency_code: "USD" } } }],
  });
  expect(refunded.status).toBe(200);
  const enrollment = await prisma.enrollment.findUniqueOrThrow({ where: { id: r.enrollmentId } });
  await prisma.syncAttempt.create({
    data: { shop, queueId: (await prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId: enrollment.id } })).id, attempt: 1, outcome: "retry", error: "Shopify is down", durationMs: 5, startedAt: new Date() },
  });
  return enrollment.customerId;
}

const held = async (shop: string) => ({
  customers: await prisma.customer.count({ where: { shop } }),
  enrollments: await prisma.enrollment.count({ where: { shop } }),
  purchases: await prisma.purchase.count({ where: { shop } }),
  refunds: await prisma.refund.count({ where: { shop } }),
  queue: await prisma.crmSyncQueue.count({ where: { shop } }),
  attempts: await prisma.syncAttempt.count({ where: { shop } }),
});

beforeAll(async () => {
  for (const shop of [SHOP, OTHER]) {
    await prisma.shop.create({ data: { domain: shop } });
    await prisma.tier.create({ data: { shop, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 60_000, initialPurchaseCents: 5_000, durationMonths: 12, discountPercent: 10 } });
    await storeOfflineSession(shop);
  }
});

describe("customers/data_request and customers/redact", () => {
  it("a forged request is refused with 401 and erases nothing", async () => {
    await memberWithHistory(SHOP, "forged@example.com", 41);
    const before = await held(SHOP);
    const res = await send(compliance, SHOP, "customers/redact", { customer: { id: 41, email: "forged@example.com" } }, { secret: "wrong" });
    expect(res.status).toBe(401);
    expect(await held(SHOP)).toEqual(before);
  });

  it("reports whether we hold the customer's data", async () => {
    await memberWithHistory(SHOP, "asked@example.com", 42);
    expect(await (await send(compliance, SHOP, "customers/data_request", { customer: { id: 42, email: "asked@example.com" }, data_request: { id: 1 } })).json()).toEqual({ held: true });
    expect(await (await send(compliance, SHOP, "customers/data_request", { customer: { id: 999, email: "nobody@example.com" } })).json()).toEqual({ held: false });
  });

  it("erases the customer whole (memberships, spend, sync items and their attempts) in the asking shop only; a repeat erases nothing", async () => {
    const mine = await memberWithHistory(SHOP, "forget.me@example.com", 43);
    const theirs = await memberWithHistory(OTHER, "forget.me@example.com", 43);
    const otherBefore = await held(OTHER);
    const before = await held(SHOP);

    const res = await send(compliance, SHOP, "customers/redact", { shop_domain: SHOP, customer: { id: 43, email: "forget.me@example.com" }, orders_to_redact: [7001] });
    expect(await res.json()).toEqual({ erased: true });
    expect(await prisma.customer.findUnique({ where: { id: mine } })).toBeNull();
    expect(await prisma.enrollment.count({ where: { customerId: mine } })).toBe(0);
    expect(await prisma.purchase.count({ where: { customerId: mine } })).toBe(0);
    expect(await prisma.crmSyncQueue.count({ where: { customerId: mine } })).toBe(0);
    const after = await held(SHOP);
    expect(after.customers).toBe(before.customers - 1);
    expect(after.refunds).toBe(before.refunds - 1);
    expect(after.attempts).toBe(before.attempts - 1);
    expect(await held(OTHER)).toEqual(otherBefore);
    expect(await prisma.customer.findUnique({ where: { id: theirs } })).not.toBeNull();

    expect(await (await send(compliance, SHOP, "customers/redact", { customer: { id: 43, email: "forget.me@example.com" } })).json()).toEqual({ erased: false });
  });

  it("a payload without a customer gets a 400 and erases nothing", async () => {
    const before = await held(SHOP);
    const res = await send(compliance, SHOP, "customers/redact", { shop_domain: SHOP });
    expect(res.status).toBe(400);
    expect(await held(SHOP)).toEqual(before);
  });
});

describe("app/uninstalled and shop/redact", () => {
  it("uninstall deletes the sessions, marks the shop and cancels its pending sync items; shop/redact then erases every row of that shop only", async () => {
    const shop = "leaving.myshopify.com";
    await prisma.shop.create({ data: { domain: shop } });
    await prisma.tier.create({ data: { shop, name: "Gold", handle: "gold", rank: 1, annualThresholdCents: 1, initialPurchaseCents: 1, durationMonths: 12, discountPercent: 5 } });
    await storeOfflineSession(shop);
    await memberWithHistory(shop, "leaving@example.com", 44);
    const done = await prisma.crmSyncQueue.create({
      data: { shop, customerId: "c", actionType: "add_membership", stageId: "t", status: "completed", idempotencyKey: "already-done", completedAt: new Date() },
    });
    const otherBefore = await held(OTHER);

    expect((await send(uninstalled, shop, "app/uninstalled", { id: 1, domain: shop })).status).toBe(200);
    expect(await prisma.session.count({ where: { shop } })).toBe(0);
    expect((await prisma.shop.findUniqueOrThrow({ where: { domain: shop } })).uninstalledAt).not.toBeNull();
    const items = await prisma.crmSyncQueue.findMany({ where: { shop, NOT: { id: done.id } } });
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((q) => q.status === "cancelled" && q.discardReason === "App uninstalled")).toBe(true);
    expect((await prisma.crmSyncQueue.findUniqueOrThrow({ where: { id: done.id } })).status).toBe("completed");

    expect((await send(compliance, shop, "shop/redact", { shop_id: 1, shop_domain: shop })).status).toBe(200);
    expect(await held(shop)).toEqual({ customers: 0, enrollments: 0, purchases: 0, refunds: 0, queue: 0, attempts: 0 });
    expect(await prisma.tier.count({ where: { shop } })).toBe(0);
    expect(await prisma.webhookEvent.count({ where: { shop } })).toBe(0);
    // The home page's membership counts (ADR 0029) go with the shop.
    expect([await prisma.membershipDayCount.count({ where: { shop } }), await prisma.membershipDayDelta.count({ where: { shop } })]).toEqual([0, 0]);
    expect(await prisma.membershipDayDelta.count({ where: { shop: OTHER } })).toBeGreaterThan(0);
    expect(await prisma.shop.findUnique({ where: { domain: shop } })).toBeNull();
    expect(await held(OTHER)).toEqual(otherBefore);
    expect(await prisma.session.count({ where: { shop: OTHER } })).toBe(1);

    expect((await send(compliance, shop, "shop/redact", { shop_id: 1, shop_domain: shop })).status).toBe(200);
  });
});
