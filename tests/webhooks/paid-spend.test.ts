// Paid spend (ADR 0019) through the real routes: HMAC-signed orders/create,
// orders/paid and orders/cancelled deliveries, a real database. An order is
// recorded when it is created, and its spend counts toward renewals and
// upgrades once it is paid, or at creation on a shop that counts orders when
// created (the Settings choice). The decision is taken once, when the spend
// starts to count.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importApp, type App } from "../support/app";

const SHOP = "paid-spend.myshopify.com";
const AT_CREATION = "paid-at-creation.myshopify.com";
const DAY = 86_400_000;
let app: App & {
  created: typeof import("~/routes/webhooks.orders.create");
  paid: typeof import("~/routes/webhooks.orders.paid");
  cancelled: typeof import("~/routes/webhooks.orders.cancelled");
  settings: typeof import("~/routes/app.settings");
  memberPage: typeof import("~/routes/app.members.$id");
  expiry: typeof import("~/domain/expiry.server");
  dates: typeof import("~/domain/dates");
};
const tiers: Record<string, string> = {};

beforeAll(async () => {
  app = {
    ...(await importApp()),
    created: await import("~/routes/webhooks.orders.create"),
    paid: await import("~/routes/webhooks.orders.paid"),
    cancelled: await import("~/routes/webhooks.orders.cancelled"),
    settings: await import("~/routes/app.settings"),
    memberPage: await import("~/routes/app.members.$id"),
    expiry: await import("~/domain/expiry.server"),
    dates: await import("~/domain/dates"),
  };
  await app.prisma.shop.createMany({ data: [{ domain: SHOP }, { domain: AT_CREATION }] });
  for (const shop of [SHOP, AT_CREATION]) {
    for (const [rank, handle, threshold] of [
      [1, "silver", 60_000],
      [2, "gold", 120_000],
    ] as const) {
      const t = await app.prisma.tier.create({ data: { shop, name: handle, handle, rank, annualThresholdCents: threshold, initialPurchaseCents: threshold / 12, durationMonths: 12 } });
      tiers[`${shop}:${handle}`] = t.id;
    }
    await app.auth.storeOfflineSession(shop);
  }
  // The merchant chooses "When created" in Settings, through the real page.
  const saved = await app.settings.action(app.auth.routeArgs(await app.auth.adminPost(AT_CREATION, "/app/settings", { intent: "save", crm: "shopify", timezone: "UTC", countOrdersWhen: "created" })));
  expect(saved).toEqual({ intent: "save", ok: true });
});

afterAll(async () => {
  await app?.prisma.$disconnect();
});

let n = 0;
/** A Silver member of `shop`, known to Shopify as customer `number`. */
async function member(shop = SHOP, opts: { expiresAt?: Date } = {}) {
  n++;
  const number = 8_800 + n;
  const email = `paid${n}@example.com`;
  const r = await app.enrollments.enroll(app.prisma, shop, { idempotencyKey: `paid-spend-${n}`, tierId: tiers[`${shop}:silver`]!, email, platformId: `gid://shopify/Customer/${number}` });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const enrollment = await app.prisma.enrollment.update({ where: { id: r.enrollmentId }, data: opts.expiresAt ? { expiresAt: opts.expiresAt } : {} });
  return { enrollment, customerId: enrollment.customerId, customer: { id: number, email } };
}

let orders = 0;
/** Shopify's order payload (the REST shape all three topics carry). */
function order(customer: { id: number; email: string }, amount: string, over: Record<string, unknown> = {}) {
  orders++;
  const id = 6_600_000_000 + orders;
  return {
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    created_at: new Date().toISOString(),
    cancelled_at: null,
    test: false,
    currency: "USD",
    financial_status: "pending",
    email: customer.email,
    current_subtotal_price_set: { shop_money: { amount, currency_code: "USD" } },
    subtotal_price_set: { shop_money: { amount, currency_code: "USD" } },
    customer: { id: customer.id, admin_graphql_api_id: `gid://shopify/Customer/${customer.id}`, email: customer.email, first_name: "Ada", last_name: "Vine" },
    ...over,
  };
}

type Topic = "orders/create" | "orders/paid" | "orders/cancelled";
/** Delivers a signed webhook through its route; resolves to [HTTP status, JSON answer]. */
async function deliver(topic: Topic, body: unknown, shop = SHOP, opts: { webhookId?: string } = {}): Promise<[number, Record<string, unknown>]> {
  const route = { "orders/create": app.created, "orders/paid": app.paid, "orders/cancelled": app.cancelled }[topic];
  const res = (await route.action(app.auth.routeArgs(app.auth.webhookRequest(shop, topic, body, opts)))) as Response;
  return [res.status, (await res.json()) as Record<string, unknown>];
}

/** What Shopify's orders/paid carries: the same order, now paid. */
const paidVersion = (o: ReturnType<typeof order>) => ({ ...o, financial_status: "paid" });

const spendOf = (shop: string, customerId: string) => app.enrollments.recordedSpendCents(app.prisma, shop, customerId);
const historyOf = async (customerId: string) =>
  (await app.prisma.enrollment.findMany({ where: { customerId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], include: { tier: true } })).map((e) => [e.tier.handle, e.status]);
const upgradesOf = (customerId: string) => app.prisma.crmSyncQueue.count({ where: { customerId, actionType: "upgrade_membership" } });
const purchaseOf = (orderGid: string, shop = SHOP) => app.prisma.purchase.findUniqueOrThrow({ where: { shop_orderId: { shop, orderId: orderGid } } });

describe("a shop that counts orders when paid (the default)", () => {
  it("an order created pending and then voided never upgrades anyone", async () => {
    const m = await member();
    const o = order(m.customer, "1300.00");
    expect(await deliver("orders/create", o)).toEqual([200, { status: "not_counted", reason: "unpaid", customerId: m.customerId, amountCents: 130_000, financialStatus: "pending" }]);
    expect(await spendOf(SHOP, m.customerId)).toBe(0);
    expect(await historyOf(m.customerId)).toEqual([["silver", "active"]]);

    // The merchant cancels the unpaid order: Shopify voids the authorization.
    const voided = { ...o, financial_status: "voided", cancelled_at: new Date().toISOString(), current_subtotal_price_set: { shop_money: { amount: "0.00", currency_code: "USD" } } };
    expect(await deliver("orders/cancelled", voided)).toEqual([200, { status: "recorded", amountCents: 130_000 }]);
    expect(await purchaseOf(o.admin_graphql_api_id)).toMatchObject({ financialStatus: "voided", countedAt: null });
    // A late orders/paid of the cancelled order (its payload cancelled or not) never makes it count.
    expect(await deliver("orders/paid", { ...paidVersion(o), cancelled_at: voided.cancelled_at })).toEqual([200, { status: "ignored", reason: "cancelled" }]);
    expect(await deliver("orders/paid", paidVersion(o))).toEqual([200, { status: "ignored", reason: "cancelled" }]);

    // Its 1,300.00 never joins later spend: a paid 100.00 order is 100.00 of spend, no upgrade.
    const [, next] = await deliver("orders/create", order(m.customer, "100.00", { financial_status: "paid" }));
    expect(next).toMatchObject({ status: "recorded", spendCents: 10_000, membership: "unchanged" });
    expect(await historyOf(m.customerId)).toEqual([["silver", "active"]]);
    expect(await upgradesOf(m.customerId)).toBe(0);
  });

  it("the same order followed by orders/paid upgrades once; redelivering orders/paid (or orders/create) changes nothing", async () => {
    const m = await member();
    const o = order(m.customer, "1300.00");
    expect((await deliver("orders/create", o))[1]).toMatchObject({ status: "not_counted", reason: "unpaid" });
    expect(await historyOf(m.customerId)).toEqual([["silver", "active"]]);

    const webhookId = "paid-delivery-1";
    expect(await deliver("orders/paid", paidVersion(o), SHOP, { webhookId })).toEqual([
      200,
      { status: "recorded", customerId: m.customerId, amountCents: 130_000, spendCents: 130_000, membership: "upgraded", enrollmentId: expect.any(String) },
    ]);
    const after = { history: await historyOf(m.customerId), items: await app.prisma.crmSyncQueue.count({ where: { customerId: m.customerId } }), purchase: await purchaseOf(o.admin_graphql_api_id) };
    expect(after.history).toEqual([
      ["silver", "upgraded"],
      ["gold", "active"],
    ]);
    expect(after.purchase).toMatchObject({ financialStatus: "paid", countedAt: expect.any(Date) });
    expect(await upgradesOf(m.customerId)).toBe(1);

    // Shopify redelivers (same webhook id), re-sends the event (a new id), and orders/create comes again.
    expect(await deliver("orders/paid", paidVersion(o), SHOP, { webhookId })).toEqual([200, { status: "duplicate" }]);
    expect(await deliver("orders/paid", paidVersion(o))).toEqual([200, { status: "duplicate" }]);
    expect(await deliver("orders/create", o)).toEqual([200, { status: "duplicate" }]);
    expect(await historyOf(m.customerId)).toEqual(after.history);
    expect(await app.prisma.crmSyncQueue.count({ where: { customerId: m.customerId } })).toBe(after.items);
    expect(await purchaseOf(o.admin_graphql_api_id)).toEqual(after.purchase);
    expect(await spendOf(SHOP, m.customerId)).toBe(130_000);
  });

  it("paid or partially paid at creation counts at once; authorized waits for orders/paid", async () => {
    const m = await member();
    expect((await deliver("orders/create", order(m.customer, "300.00", { financial_status: "paid" })))[1]).toMatchObject({ status: "recorded", spendCents: 30_000, membership: "unchanged" });
    expect((await deliver("orders/create", order(m.customer, "300.00", { financial_status: "partially_paid" })))[1]).toMatchObject({ status: "recorded", spendCents: 60_000, membership: "renewed" });
    const authorized = order(m.customer, "700.00", { financial_status: "authorized" });
    expect((await deliver("orders/create", authorized))[1]).toMatchObject({ status: "not_counted", reason: "unpaid", financialStatus: "authorized" });
    expect(await historyOf(m.customerId)).toEqual([["silver", "active"]]);
    // Captured: counted with the earlier spend, and the member moves up.
    expect((await deliver("orders/paid", paidVersion(authorized)))[1]).toMatchObject({ status: "recorded", spendCents: 130_000, membership: "upgraded" });
  });

  it("orders/paid before orders/create records the order once and counts it once; orders/create after it is a duplicate", async () => {
    const m = await member();
    const o = order(m.customer, "1300.00");
    expect((await deliver("orders/paid", paidVersion(o)))[1]).toMatchObject({ status: "recorded", amountCents: 130_000, spendCents: 130_000, membership: "upgraded" });
    expect(await deliver("orders/create", o)).toEqual([200, { status: "duplicate" }]);
    expect(await deliver("orders/paid", paidVersion(o))).toEqual([200, { status: "duplicate" }]);
    expect(await app.prisma.purchase.count({ where: { shop: SHOP, orderId: o.admin_graphql_api_id } })).toBe(1);
    expect(await purchaseOf(o.admin_graphql_api_id)).toMatchObject({ financialStatus: "paid", countedAt: expect.any(Date), amountCents: 130_000n });
    expect(await spendOf(SHOP, m.customerId)).toBe(130_000);
    expect(await upgradesOf(m.customerId)).toBe(1);

    // A customer we do not know yet: orders/paid creates them, once.
    const stranger = { id: 8_899_001, email: "first.paid@example.com" };
    const first = order(stranger, "45.00");
    expect((await deliver("orders/paid", paidVersion(first)))[1]).toMatchObject({ status: "recorded", amountCents: 4_500, membership: "none" });
    expect(await deliver("orders/create", first)).toEqual([200, { status: "duplicate" }]);
    expect(await app.prisma.customer.count({ where: { shop: SHOP, email: stranger.email } })).toBe(1);
  });

  it("the order's time against the expiry decides, however late it is paid", async () => {
    // Placed 60 s before the expiry, paid after the expiry job ended the membership: it renews it.
    const now = new Date();
    const expiresAt = new Date(now.getTime() - 10_000);
    const m = await member(SHOP, { expiresAt });
    await app.prisma.purchase.create({
      data: { shop: SHOP, orderId: `gid://shopify/Order/prior-paid-${n}`, customerId: m.customerId, amountCents: 60_000, currency: "USD", occurredAt: new Date(now.getTime() - 60 * DAY), countedAt: new Date(now.getTime() - 60 * DAY) },
    });
    const placed = new Date(expiresAt.getTime() - 60_000);
    const before = order(m.customer, "10.00", { created_at: placed.toISOString() });
    expect((await deliver("orders/create", before))[1]).toMatchObject({ status: "not_counted" });
    expect(await app.expiry.expireLapsedForShop(app.prisma, SHOP, now)).toBe(1);
    expect((await deliver("orders/paid", paidVersion(before)))[1]).toMatchObject({ status: "recorded", membership: "renewed", enrollmentId: m.enrollment.id });
    const renewed = await app.prisma.enrollment.findUniqueOrThrow({ where: { id: m.enrollment.id } });
    // Renewed from the order's date, not the payment's.
    expect(renewed).toMatchObject({ status: "active", expiresAt: app.dates.addMonths(placed, 12, "UTC") });
    // Recorded once as a renewal at the order's time; a redelivery adds none.
    await deliver("orders/paid", paidVersion(before));
    expect(await app.prisma.renewal.findMany({ where: { enrollmentId: m.enrollment.id }, select: { renewedAt: true } })).toEqual([{ renewedAt: placed }]);

    // Placed after the expiry and paid: it counts for no membership (the spend is kept).
    const other = await member(SHOP, { expiresAt });
    await app.prisma.purchase.create({
      data: { shop: SHOP, orderId: `gid://shopify/Order/prior-paid-${n}`, customerId: other.customerId, amountCents: 60_000, currency: "USD", occurredAt: new Date(now.getTime() - 60 * DAY), countedAt: new Date(now.getTime() - 60 * DAY) },
    });
    const after = order(other.customer, "10.00", { created_at: new Date(expiresAt.getTime() + 5_000).toISOString() });
    await deliver("orders/create", after);
    expect(await app.expiry.expireLapsedForShop(app.prisma, SHOP, now)).toBe(1);
    expect((await deliver("orders/paid", paidVersion(after)))[1]).toMatchObject({ status: "recorded", membership: "none", spendCents: 61_000 });
    expect(await app.prisma.enrollment.findUniqueOrThrow({ where: { id: other.enrollment.id } })).toMatchObject({ status: "expired", expiresAt });
  });

  it("the member page shows an unpaid order as recorded but not counted", async () => {
    const m = await member();
    const o = order(m.customer, "250.00", { financial_status: "partially_refunded", created_at: "2026-11-20T10:00:00Z" });
    const pending = order(m.customer, "80.00", { created_at: "2026-11-21T10:00:00Z" });
    await deliver("orders/create", o);
    await deliver("orders/create", pending);
    const page = await app.memberPage.loader(app.auth.routeArgs(await app.auth.adminGet(SHOP, `/app/members/${m.customerId}`), { id: m.customerId }));
    expect(page.member.spend).toBe("$250.00");
    expect(page.purchases.map((p) => [p.order, p.amount, p.notCounted])).toEqual([
      [String(pending.id), "$80.00", "not counted: pending"],
      [String(o.id), "$250.00", null],
    ]);
  });
});

describe('a shop that counts orders "when created"', () => {
  it("Settings keeps the choice, validated: an unknown value is refused and changes nothing", async () => {
    const page = await app.settings.loader(app.auth.routeArgs(await app.auth.adminGet(AT_CREATION, "/app/settings")));
    expect(page.settings.countOrdersWhen).toBe("created");
    const refused = await app.settings.action(app.auth.routeArgs(await app.auth.adminPost(AT_CREATION, "/app/settings", { intent: "save", crm: "shopify", timezone: "UTC", countOrdersWhen: "sometimes" })));
    expect(refused).toMatchObject({ intent: "save", ok: false, errors: { countOrdersWhen: expect.any(String) } });
    expect((await app.prisma.shop.findUniqueOrThrow({ where: { domain: AT_CREATION } })).countOrdersWhen).toBe("created");
    // A new shop starts with "When paid".
    expect((await app.settings.loader(app.auth.routeArgs(await app.auth.adminGet(SHOP, "/app/settings")))).settings.countOrdersWhen).toBe("paid");
  });

  it("a pending order counts and upgrades at creation; its orders/paid changes nothing; a voided one never counts", async () => {
    const m = await member(AT_CREATION);
    const o = order(m.customer, "1300.00");
    expect((await deliver("orders/create", o, AT_CREATION))[1]).toMatchObject({ status: "recorded", spendCents: 130_000, membership: "upgraded" });
    expect(await deliver("orders/paid", paidVersion(o), AT_CREATION)).toEqual([200, { status: "duplicate" }]);
    expect(await historyOf(m.customerId)).toEqual([
      ["silver", "upgraded"],
      ["gold", "active"],
    ]);
    expect(await upgradesOf(m.customerId)).toBe(1);

    const other = await member(AT_CREATION);
    const voided = order(other.customer, "1300.00", { financial_status: "voided" });
    expect((await deliver("orders/create", voided, AT_CREATION))[1]).toMatchObject({ status: "not_counted", reason: "unpaid", financialStatus: "voided" });
    expect(await historyOf(other.customerId)).toEqual([["silver", "active"]]);
    expect(await spendOf(AT_CREATION, other.customerId)).toBe(0);
  });
});
