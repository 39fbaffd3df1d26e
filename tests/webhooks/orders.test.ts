// orders/create through the real route: HMAC-signed deliveries verified by
// Shopify's library, a real database, and the fake Shopify Admin for what the
// worker mirrors afterwards. Spend is recorded once per order, renewals and
// upgrades follow the tier rules (ADR 0007), and nothing is ever doubled.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const SHOP = "orders.myshopify.com";
const C7_SHOP = "orders-c7.myshopify.com";
const OTHER = "elsewhere.myshopify.com";
const DAY = 86_400_000;
let shopify: FakeShopify;
let app: App & {
  webhook: typeof import("~/routes/webhooks.orders.create");
  refunds: typeof import("~/routes/webhooks.refunds.create");
  cancelled: typeof import("~/routes/webhooks.orders.cancelled");
  memberPage: typeof import("~/routes/app.members.$id");
};
const tiers: Record<string, string> = {};

beforeAll(async () => {
  shopify = await createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: "shpat_test" }, { domain: OTHER, accessToken: "shpat_test" }] });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  app = {
    ...(await importApp()),
    webhook: await import("~/routes/webhooks.orders.create"),
    refunds: await import("~/routes/webhooks.refunds.create"),
    cancelled: await import("~/routes/webhooks.orders.cancelled"),
    memberPage: await import("~/routes/app.members.$id"),
  };
  await app.prisma.shop.createMany({ data: [{ domain: SHOP }, { domain: C7_SHOP, crm: "commerce7" }, { domain: OTHER }] });
  for (const shop of [SHOP, C7_SHOP, OTHER]) {
    for (const [rank, handle, threshold, extra] of [
      [1, "silver", 60_000, {}],
      [2, "gold", 120_000, {}],
      [3, "reserve", 300_000, { upgradeOnly: true }],
    ] as const) {
      const t = await app.prisma.tier.create({
        data: { shop, name: handle, handle, rank, annualThresholdCents: threshold, initialPurchaseCents: threshold / 12, durationMonths: 12, discountPercent: 5 * rank, c7ClubId: shop === C7_SHOP ? `club-${handle}` : null, ...extra },
      });
      tiers[`${shop}:${handle}`] = t.id;
    }
  }
  // Installed shops only: a delivery for a shop without an offline session is ignored (tests/webhooks/hostile.test.ts).
  for (const shop of [SHOP, OTHER, C7_SHOP]) await app.auth.storeOfflineSession(shop);
});

afterAll(async () => {
  await shopify?.close();
});

let n = 0;
/** A Shopify order payload (the REST shape webhooks carry), for `customer`. */
function order(customer: { id: number; email: string } | null, over: Record<string, unknown> = {}) {
  n++;
  const id = 5_000_000_000 + n;
  return {
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    created_at: new Date().toISOString(),
    cancelled_at: null,
    test: false,
    currency: "USD",
    financial_status: "paid",
    email: customer?.email ?? "guest@example.com",
    current_subtotal_price_set: { shop_money: { amount: "100.00", currency_code: "USD" }, presentment_money: { amount: "90.00", currency_code: "EUR" } },
    total_price_set: { shop_money: { amount: "112.50", currency_code: "USD" } },
    customer: customer && { id: customer.id, admin_graphql_api_id: `gid://shopify/Customer/${customer.id}`, email: customer.email, first_name: "Ada", last_name: "Vine" },
    line_items: [{ id: 1, title: "Cabernet 2019", price: "100.00", quantity: 1 }],
    ...over,
  };
}

async function deliver(shop: string, body: unknown, opts: Parameters<App["auth"]["webhookRequest"]>[3] = {}, topic = "orders/create") {
  const request = app.auth.webhookRequest(shop, topic, body, opts);
  const handler = { "orders/create": app.webhook, "refunds/create": app.refunds, "orders/cancelled": app.cancelled }[topic]!;
  return (await handler.action(app.auth.routeArgs(request)).catch((e: unknown) => e)) as Response;
}

let refundNo = 0;
/** A refunds/create payload giving back `amounts` (one refunded line each) on `orderId`. */
function refund(orderId: number, ...amounts: string[]) {
  refundNo++;
  return {
    id: 700_000 + refundNo,
    order_id: orderId,
    created_at: new Date().toISOString(),
    note: "Corked bottle",
    refund_line_items: amounts.map((a, i) => ({ id: i + 1, quantity: 1, subtotal: Number(a), subtotal_set: { shop_money: { amount: a, currency_code: "USD" } } })),
    transactions: [{ kind: "refund", amount: amounts[0] }],
  };
}

/** Enrolls a customer who exists in the shop's Shopify (the fake); `remoteId` is their numeric Shopify id, as orders carry it. */
async function enrolled(shop: string, tier: string, email: string) {
  const remote = shop === C7_SHOP ? null : shopify.addCustomer(shop, { email, firstName: "Ada", lastName: "Vine" });
  const result = await app.enrollments.enroll(app.prisma, shop, {
    idempotencyKey: `enroll-${email}`,
    tierId: tiers[`${shop}:${tier}`],
    email,
    firstName: "Ada",
    lastName: "Vine",
    platformId: remote?.id,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  const enrollment = await app.prisma.enrollment.findUniqueOrThrow({ where: { id: result.enrollmentId } });
  return { ...enrollment, remoteId: remote ? Number(remote.id.split("/").pop()) : 900_000 + n++ };
}

const activeOf = (customerId: string) => app.prisma.enrollment.findFirstOrThrow({ where: { customerId, status: "active" }, include: { tier: true } });

describe("delivery", () => {
  it("a delivery signed with another key is refused with 401 and writes nothing", async () => {
    const res = await deliver(SHOP, order({ id: 800001, email: "forged@example.com" }), { secret: "not-the-app-secret" });
    expect(res.status).toBe(401);
    expect(await app.prisma.webhookEvent.count()).toBe(0);
    expect(await app.prisma.purchase.count()).toBe(0);
  });

  it("a payload we cannot read gets a 400 naming the field, and writes nothing", async () => {
    const res = await deliver(SHOP, order({ id: 800002, email: "bad@example.com" }, { current_subtotal_price_set: { shop_money: { amount: "12,00", currency_code: "USD" } } }));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'current_subtotal_price_set.shop_money.amount: Not an amount in USD: "12,00"' });
    expect(await app.prisma.customer.count({ where: { email: "bad@example.com" } })).toBe(0);
    expect(await app.prisma.webhookEvent.count()).toBe(0);
  });

  it("guest, test and cancelled orders are acknowledged and record nothing", async () => {
    const someone = { id: 800003, email: "someone@example.com" };
    const answers = [
      await deliver(SHOP, order(null)),
      await deliver(SHOP, order(someone, { test: true })),
      await deliver(SHOP, order(someone, { cancelled_at: new Date().toISOString() })),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await Promise.all(answers.map((r) => r.json()))).toEqual([
      { status: "ignored", reason: "guest" },
      { status: "ignored", reason: "test" },
      { status: "ignored", reason: "cancelled" },
    ]);
    expect(await app.prisma.purchase.count()).toBe(0);
  });

  it("the same order delivered again, or three times at once, is recorded once", async () => {
    const body = order({ id: 800004, email: "twice@example.com" }, { current_subtotal_price_set: { shop_money: { amount: "42.10", currency_code: "USD" } } });
    const first = await deliver(SHOP, body);
    expect(await first.json()).toMatchObject({ status: "recorded", amountCents: 4210 });
    expect(await (await deliver(SHOP, body)).json()).toEqual({ status: "duplicate" });

    const racing = order({ id: 800005, email: "race@example.com" });
    const answers = await Promise.all([deliver(SHOP, racing), deliver(SHOP, racing), deliver(SHOP, racing)]);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    const statuses = (await Promise.all(answers.map((r) => r.json()))).map((o: { status: string }) => o.status).sort();
    expect(statuses).toEqual(["duplicate", "duplicate", "recorded"]);
    expect(await app.prisma.purchase.count({ where: { shop: SHOP, orderId: { in: [body.admin_graphql_api_id, racing.admin_graphql_api_id] } } })).toBe(2);
    expect(await app.prisma.customer.count({ where: { shop: SHOP, email: "race@example.com" } })).toBe(1);
  });
});

describe("spend", () => {
  it("an order of a customer we do not know yet is kept, and counts when the merchant enrolls them", async () => {
    const res = await deliver(SHOP, order({ id: 800006, email: "New.Buyer@Example.com" }, { current_subtotal_price_set: { shop_money: { amount: "75.5", currency_code: "USD" } } }));
    expect(await res.json()).toMatchObject({ status: "recorded", amountCents: 7550, spendCents: 7550, membership: "none" });
    const customer = await app.prisma.customer.findUniqueOrThrow({ where: { shop_email: { shop: SHOP, email: "new.buyer@example.com" } } });
    expect(customer).toMatchObject({ shopifyCustomerId: "gid://shopify/Customer/800006", firstName: "Ada", lastName: "Vine" });
    expect(await app.enrollments.recordedSpendCents(app.prisma, SHOP, customer.id)).toBe(7550);
  });

  it("orders are matched within the delivering shop only", async () => {
    const theirs = await enrolled(OTHER, "silver", "shared@example.com");
    await deliver(SHOP, order({ id: theirs.remoteId, email: "shared@example.com" }, { current_subtotal_price_set: { shop_money: { amount: "900.00", currency_code: "USD" } } }));
    expect(await app.prisma.purchase.count({ where: { shop: OTHER } })).toBe(0);
    expect(await activeOf(theirs.customerId)).toMatchObject({ id: theirs.id, expiresAt: theirs.expiresAt });
  });
});

describe("renewals and upgrades", () => {
  const amount = (dollars: string) => ({ current_subtotal_price_set: { shop_money: { amount: dollars, currency_code: "USD" } } });

  it("spend below the tier's threshold is recorded only; reaching it renews from the order date, and Shopify gets the new expiry", async () => {
    const member = await enrolled(SHOP, "silver", "renew@example.com");
    // Enrolled 11 months ago: the expiry is a month away.
    const joined = new Date(Date.now() - 335 * DAY);
    await app.prisma.enrollment.update({ where: { id: member.id }, data: { startedAt: joined, expiresAt: new Date(joined.getTime() + 365 * DAY) } });
    const before = await activeOf(member.customerId);

    const small = await deliver(SHOP, order({ id: member.remoteId, email: "renew@example.com" }, amount("400.00")));
    expect(await small.json()).toMatchObject({ status: "recorded", spendCents: 40_000, membership: "unchanged" });
    expect((await activeOf(member.customerId)).expiresAt).toEqual(before.expiresAt);

    const at = new Date();
    const reach = await deliver(SHOP, order({ id: member.remoteId, email: "renew@example.com" }, { ...amount("200.00"), created_at: at.toISOString() }));
    expect(await reach.json()).toMatchObject({ status: "recorded", spendCents: 60_000, membership: "renewed", enrollmentId: member.id });
    const renewed = await activeOf(member.customerId);
    expect(renewed.tier.handle).toBe("silver");
    const expected = new Date(at);
    expected.setUTCMonth(expected.getUTCMonth() + 12);
    expect(Math.abs(renewed.expiresAt.getTime() - expected.getTime())).toBeLessThan(3 * DAY);
    expect(renewed.expiresAt.getTime()).toBeGreaterThan(before.expiresAt.getTime());
    // The renewal reaches Shopify through the member's coalesced refresh (ADR 0027), which the first order had queued already.
    expect(await app.prisma.crmSyncQueue.count({ where: { shop: SHOP, enrollmentId: member.id, actionType: "refresh_member", status: "pending" } })).toBe(1);

    await drainQueue(app.prisma, app.Worker);
    const remote = [...shopify.shop(SHOP).customers.values()].find((c) => c.email === "renew@example.com")!;
    expect(shopify.appMetafield(SHOP, remote.id, "membership")).toMatchObject({ tier: "silver", expiresAt: renewed.expiresAt.toISOString().slice(0, 10) });
  });

  it("spend that reaches higher tiers upgrades to the highest one reached (upgrade-only included), and Shopify follows", async () => {
    const member = await enrolled(SHOP, "silver", "climb@example.com");
    const gold = await deliver(SHOP, order({ id: member.remoteId, email: "climb@example.com" }, amount("1300.00")));
    expect(await gold.json()).toMatchObject({ status: "recorded", spendCents: 130_000, membership: "upgraded" });
    expect((await activeOf(member.customerId)).tier.handle).toBe("gold");

    const reserve = await deliver(SHOP, order({ id: member.remoteId, email: "climb@example.com" }, amount("2000.00")));
    expect(await reserve.json()).toMatchObject({ spendCents: 330_000, membership: "upgraded" });
    const now = await activeOf(member.customerId);
    expect(now.tier.handle).toBe("reserve");
    const history = await app.prisma.enrollment.findMany({ where: { customerId: member.customerId }, orderBy: { createdAt: "asc" }, include: { tier: true } });
    expect(history.map((e) => [e.tier.handle, e.status])).toEqual([
      ["silver", "upgraded"],
      ["gold", "upgraded"],
      ["reserve", "active"],
    ]);
    const upgrades = await app.prisma.crmSyncQueue.findMany({ where: { customerId: member.customerId, actionType: "upgrade_membership" }, orderBy: { createdAt: "asc" } });
    expect(upgrades.map((u) => [u.oldStageId, u.stageId])).toEqual([
      [tiers[`${SHOP}:silver`], tiers[`${SHOP}:gold`]],
      [tiers[`${SHOP}:gold`], tiers[`${SHOP}:reserve`]],
    ]);

    await drainQueue(app.prisma, app.Worker);
    const remote = [...shopify.shop(SHOP).customers.values()].find((c) => c.email === "climb@example.com")!;
    expect(remote.tags).toEqual(["club:reserve"]);
    expect(shopify.appMetafield(SHOP, remote.id, "membership")).toMatchObject({ tier: "reserve" });
  });

  it("one order that passes two tiers lands in the higher one", async () => {
    const member = await enrolled(SHOP, "silver", "leap@example.com");
    const res = await deliver(SHOP, order({ id: member.remoteId, email: "leap@example.com" }, amount("3500.00")));
    expect(await res.json()).toMatchObject({ membership: "upgraded" });
    expect((await activeOf(member.customerId)).tier.handle).toBe("reserve");
    expect(await app.prisma.enrollment.count({ where: { customerId: member.customerId } })).toBe(2);
  });

  it("a member of a tier that is not upgradable is renewed, never upgraded", async () => {
    await app.prisma.tier.update({ where: { id: tiers[`${SHOP}:silver`] }, data: { upgradable: false } });
    try {
      const member = await enrolled(SHOP, "silver", "stay@example.com");
      const res = await deliver(SHOP, order({ id: member.remoteId, email: "stay@example.com" }, amount("5000.00")));
      expect(await res.json()).toMatchObject({ membership: "renewed" });
      expect((await activeOf(member.customerId)).tier.handle).toBe("silver");
    } finally {
      await app.prisma.tier.update({ where: { id: tiers[`${SHOP}:silver`] }, data: { upgradable: true } });
    }
  });

  it("an old order delivered late never lowers a tier or shortens a membership", async () => {
    const member = await enrolled(SHOP, "gold", "late@example.com");
    const late = await deliver(SHOP, order({ id: member.remoteId, email: "late@example.com" }, { ...amount("700.00"), created_at: new Date(Date.now() - 200 * DAY).toISOString() }));
    expect(await late.json()).toMatchObject({ status: "recorded", membership: "unchanged" });
    expect(await activeOf(member.customerId)).toMatchObject({ id: member.id, expiresAt: member.expiresAt });
  });

  it("on a Commerce7 shop the customer is matched by email; an upgrade is queued for Commerce7, a renewal sends nothing", async () => {
    const member = await enrolled(C7_SHOP, "silver", "cellar@example.com");
    const queued = () => app.prisma.crmSyncQueue.findMany({ where: { shop: C7_SHOP, customerId: member.customerId }, orderBy: { createdAt: "asc" }, select: { actionType: true } });
    const renew = await deliver(C7_SHOP, order({ id: member.remoteId, email: "CELLAR@example.com" }, amount("650.00")));
    expect(await renew.json()).toMatchObject({ customerId: member.customerId, membership: "renewed" });
    expect((await queued()).map((q) => q.actionType)).toEqual(["add_membership"]);
    const up = await deliver(C7_SHOP, order({ id: member.remoteId, email: "cellar@example.com" }, amount("600.00")));
    expect(await up.json()).toMatchObject({ membership: "upgraded" });
    expect((await queued()).map((q) => q.actionType)).toEqual(["add_membership", "upgrade_membership"]);
    expect(await app.prisma.customer.count({ where: { shop: C7_SHOP, email: "cellar@example.com" } })).toBe(1);
  });
});

describe("refunds and cancellations", () => {
  const amount = (dollars: string) => ({ current_subtotal_price_set: { shop_money: { amount: dollars, currency_code: "USD" } } });
  const spend = async (email: string, shop = SHOP) => {
    const c = await app.prisma.customer.findUniqueOrThrow({ where: { shop_email: { shop, email } } });
    return app.enrollments.recordedSpendCents(app.prisma, shop, c.id);
  };

  it("a refund gives back its lines' subtotal once, however often it is delivered; the membership is never lowered", async () => {
    const member = await enrolled(SHOP, "silver", "returns@example.com");
    const big = order({ id: member.remoteId, email: "returns@example.com" }, amount("1300.00"));
    expect(await (await deliver(SHOP, big)).json()).toMatchObject({ membership: "upgraded" });
    const r = refund(big.id, "200.00", "100.50");
    expect(await (await deliver(SHOP, r, {}, "refunds/create")).json()).toEqual({ status: "recorded", amountCents: 30_050 });
    expect(await (await deliver(SHOP, r, {}, "refunds/create")).json()).toEqual({ status: "duplicate" });
    expect(await spend("returns@example.com")).toBe(130_000 - 30_050);
    const gold = await activeOf(member.customerId);
    expect(gold.tier.handle).toBe("gold"); // never down

    // The member page shows what the spend is made of.
    const page = await app.memberPage.loader(app.auth.routeArgs(await app.auth.adminGet(SHOP, `/app/members/${member.customerId}`), { id: member.customerId }));
    expect(page.member.spend).toBe("$999.50");
    // Each order opens in the Shopify admin (App Bridge navigation).
    expect(page.purchases).toEqual([{ order: String(big.id), url: `shopify://admin/orders/${big.id}`, at: big.created_at.slice(0, 10), amount: "$1,300.00", refunded: "$300.50", notCounted: null }]);
  });

  it("a 30,000,000.00 order (past 32-bit cents) is recorded to the cent, and so is a refund of one cent of it", async () => {
    const member = await enrolled(SHOP, "silver", "b2b@example.com");
    const bulk = order({ id: member.remoteId, email: "b2b@example.com" }, amount("30000000.00"));
    const res = await deliver(SHOP, bulk);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "recorded", amountCents: 3_000_000_000, spendCents: 3_000_000_000, membership: "upgraded" });
    // Stored as a 64-bit integer, read back exactly.
    const row = await app.prisma.purchase.findUniqueOrThrow({ where: { shop_orderId: { shop: SHOP, orderId: bulk.admin_graphql_api_id } } });
    expect(row.amountCents).toBe(3_000_000_000n);
    expect(await (await deliver(SHOP, refund(bulk.id, "0.01"), {}, "refunds/create")).json()).toEqual({ status: "recorded", amountCents: 1 });
    expect(await spend("b2b@example.com")).toBe(2_999_999_999);
    const page = await app.memberPage.loader(app.auth.routeArgs(await app.auth.adminGet(SHOP, `/app/members/${member.customerId}`), { id: member.customerId }));
    expect(page.member.spend).toBe("$29,999,999.99");
    expect(page.purchases[0]).toMatchObject({ amount: "$30,000,000.00", refunded: "$0.01" });
  });

  it("a refund delivered before its order counts once the order arrives; refunds never make an order count below zero", async () => {
    await enrolled(SHOP, "silver", "early@example.com");
    const customer = await app.prisma.customer.findUniqueOrThrow({ where: { shop_email: { shop: SHOP, email: "early@example.com" } } });
    const remoteId = Number(customer.shopifyCustomerId!.split("/").pop());
    const o = order({ id: remoteId, email: "early@example.com" }, amount("80.00"));
    await deliver(SHOP, refund(o.id, "50.00"), {}, "refunds/create");
    await deliver(SHOP, refund(o.id, "50.00"), {}, "refunds/create"); // a second refund: 100 back on an 80 order
    expect(await spend("early@example.com")).toBe(0);
    expect(await (await deliver(SHOP, o)).json()).toMatchObject({ status: "recorded", amountCents: 8_000, spendCents: 0, membership: "unchanged" });
    await deliver(SHOP, order({ id: remoteId, email: "early@example.com" }, amount("25.00")));
    expect(await spend("early@example.com")).toBe(2_500);
  });

  it("a cancelled order stops counting, and the refund that comes with the cancellation is not taken twice", async () => {
    await enrolled(SHOP, "silver", "cancels@example.com");
    const customer = await app.prisma.customer.findUniqueOrThrow({ where: { shop_email: { shop: SHOP, email: "cancels@example.com" } } });
    const remoteId = Number(customer.shopifyCustomerId!.split("/").pop());
    const keep = order({ id: remoteId, email: "cancels@example.com" }, amount("300.00"));
    const drop = order({ id: remoteId, email: "cancels@example.com" }, amount("500.00"));
    await deliver(SHOP, keep);
    await deliver(SHOP, drop);
    expect(await spend("cancels@example.com")).toBe(80_000);
    // Shopify's cancellation payload: the same order, now cancelled, its current subtotal 0.
    const cancelled = { ...drop, cancelled_at: new Date().toISOString(), ...amount("0.00"), subtotal_price_set: { shop_money: { amount: "500.00", currency_code: "USD" } } };
    expect(await (await deliver(SHOP, cancelled, {}, "orders/cancelled")).json()).toEqual({ status: "recorded", amountCents: 50_000 });
    expect(await (await deliver(SHOP, refund(drop.id, "500.00"), {}, "refunds/create")).json()).toMatchObject({ status: "recorded" });
    expect(await (await deliver(SHOP, cancelled, {}, "orders/cancelled")).json()).toEqual({ status: "duplicate" });
    expect(await spend("cancels@example.com")).toBe(30_000);
  });

  it("a refund payload we cannot read gets a 400 and writes nothing; a forged one a 401", async () => {
    const before = await app.prisma.refund.count();
    const bad = await deliver(SHOP, { ...refund(1, "10.00"), order_id: "not-an-id" }, {}, "refunds/create");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: expect.stringContaining("order_id") });
    expect((await deliver(SHOP, refund(1, "10.00"), { secret: "forged" }, "refunds/create")).status).toBe(401);
    expect(await app.prisma.refund.count()).toBe(before);
  });
});
