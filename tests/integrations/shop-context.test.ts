// Each shop's own clock and money, end to end: the zone and currency are read
// from Shopify (the fake Admin API, validated against the real schema) at
// install and kept current by signed shop/update webhooks; amounts are typed,
// stored, summed and shown in the shop's currency with its own minor units
// (JPY none, KWD three), and pages show dates on the shop's calendar.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const TOKYO = "tokyo-sake.myshopify.com";
const KUWAIT = "kuwait-dates.myshopify.com";
let shopify: FakeShopify;
let app: App & {
  shops: typeof import("~/domain/shops.server");
  tiers: typeof import("~/domain/tiers.server");
  orders: typeof import("~/domain/orders.server");
  tierList: typeof import("~/routes/app.tiers._index");
  tierForm: typeof import("~/routes/app.tiers.$id");
  memberPage: typeof import("~/routes/app.members.$id");
  settings: typeof import("~/routes/app.settings");
  shopUpdate: typeof import("~/routes/webhooks.shop.update");
};

beforeAll(async () => {
  shopify = await createFakeShopifyAdmin({
    shops: [
      { domain: TOKYO, accessToken: "shpat_tokyo", currencyCode: "JPY", ianaTimezone: "Asia/Tokyo" },
      { domain: KUWAIT, accessToken: "shpat_kuwait", currencyCode: "KWD", ianaTimezone: "Asia/Kuwait" },
    ],
  });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  app = {
    ...(await importApp()),
    shops: await import("~/domain/shops.server"),
    tiers: await import("~/domain/tiers.server"),
    orders: await import("~/domain/orders.server"),
    tierList: await import("~/routes/app.tiers._index"),
    tierForm: await import("~/routes/app.tiers.$id"),
    memberPage: await import("~/routes/app.members.$id"),
    settings: await import("~/routes/app.settings"),
    shopUpdate: await import("~/routes/webhooks.shop.update"),
  };
  await app.auth.storeOfflineSession(TOKYO, "shpat_tokyo");
  await app.auth.storeOfflineSession(KUWAIT, "shpat_kuwait");
});
afterAll(() => shopify.close());

const load = async <T,>(route: { loader: (args: never) => Promise<T> }, shop: string, path: string, params: Record<string, string> = {}) =>
  route.loader(app.auth.routeArgs(await app.auth.adminGet(shop, path), params) as never);

let n = 0;
function order(customer: { id: string; email: string }, amount: string, currency: string, createdAt = new Date().toISOString()) {
  n++;
  return {
    id: String(8_100_000 + n),
    admin_graphql_api_id: `gid://shopify/Order/${8_100_000 + n}`,
    created_at: createdAt,
    test: false,
    financial_status: "paid",
    email: customer.email,
    current_subtotal_price_set: { shop_money: { amount, currency_code: currency }, presentment_money: { amount: "1.00", currency_code: "EUR" } },
    customer: { id: customer.id.split("/").pop()!, admin_graphql_api_id: customer.id, email: customer.email },
  };
}

describe("the shop context", () => {
  it("is read from Shopify at install (zone and currency), and shown in Settings, read-only", async () => {
    await app.shops.recordInstall(app.prisma, TOKYO);
    await app.shops.recordInstall(app.prisma, KUWAIT);
    // Until the worker has read it, the defaults stand.
    expect(await app.shops.shopContext(app.prisma, TOKYO)).toEqual({ timezone: "UTC", currency: "USD" });
    await drainQueue(app.prisma, app.Worker);
    expect(await app.shops.shopContext(app.prisma, TOKYO)).toEqual({ timezone: "Asia/Tokyo", currency: "JPY" });
    expect(await app.shops.shopContext(app.prisma, KUWAIT)).toEqual({ timezone: "Asia/Kuwait", currency: "KWD" });
    expect(await app.prisma.crmSyncQueue.findMany({ where: { actionType: "refresh_shop_context" }, select: { status: true } })).toEqual([{ status: "completed" }, { status: "completed" }]);

    const page = await load(app.settings, TOKYO, "/app/settings");
    expect(page.settings).toMatchObject({ timezone: "Asia/Tokyo", currency: "JPY" });
    // Saving Settings cannot change them: they are Shopify's.
    const saved = await app.settings.action(app.auth.routeArgs(await app.auth.adminPost(TOKYO, "/app/settings", { intent: "save", crm: "shopify", alertEmail: "", timezone: "UTC" })) as never);
    expect(saved).toMatchObject({ ok: true });
    expect(await app.shops.shopContext(app.prisma, TOKYO)).toEqual({ timezone: "Asia/Tokyo", currency: "JPY" });
  });

  it("shop/update keeps it current; a late delivery of an older update changes nothing; an unknown zone is a 400 and writes nothing", async () => {
    const deliver = async (body: unknown, triggeredAt: Date) => {
      const request = app.auth.webhookRequest(KUWAIT, "shop/update", body, { triggeredAt });
      return (await app.shopUpdate.action(app.auth.routeArgs(request)).catch((e: unknown) => e)) as Response;
    };
    const later = new Date(Date.now() + 60_000);
    const newer = await deliver({ id: 1, iana_timezone: "Asia/Riyadh", currency: "KWD" }, later);
    expect(newer.status).toBe(200);
    expect(await newer.json()).toEqual({ stored: true });
    const older = await deliver({ id: 1, iana_timezone: "Europe/London", currency: "GBP" }, new Date(later.getTime() - 30_000));
    expect(await older.json()).toEqual({ stored: false });
    expect(await app.shops.shopContext(app.prisma, KUWAIT)).toEqual({ timezone: "Asia/Riyadh", currency: "KWD" });
    const bad = await deliver({ id: 1, iana_timezone: "Mars/Olympus", currency: "KWD" }, new Date(later.getTime() + 60_000));
    expect(bad.status).toBe(400);
    expect(await app.shops.shopContext(app.prisma, KUWAIT)).toEqual({ timezone: "Asia/Riyadh", currency: "KWD" });
  });
});

describe("money in the shop's currency", () => {
  it("a JPY shop: tiers typed and shown in whole yen (¥12,000), orders recorded in yen, the member page in yen", async () => {
    const saved = await app.tiers.saveTier(app.prisma, TOKYO, undefined, { name: "Gold", annualThreshold: "¥12,000", initialPurchase: "", durationMonths: "12", rank: "1", discountPercent: "10" });
    if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
    const tier = await app.prisma.tier.findUniqueOrThrow({ where: { id: saved.id } });
    expect([tier.annualThresholdCents, tier.initialPurchaseCents]).toEqual([12_000n, 1_000n]);
    expect(await app.tiers.saveTier(app.prisma, TOKYO, undefined, { name: "Half", annualThreshold: "12000.5", durationMonths: "12", rank: "2", discountPercent: "5" })).toEqual({
      ok: false,
      errors: { annualThreshold: "JPY amounts have no decimals" },
    });

    const list = await load(app.tierList, TOKYO, "/app/tiers");
    expect(list.tiers).toMatchObject([{ name: "Gold", annual: "¥12,000", initial: "¥1,000" }]);
    const form = await load(app.tierForm, TOKYO, `/app/tiers/${tier.id}`, { id: tier.id });
    expect(form).toMatchObject({ tier: { annualField: "12000", initialField: "1000" }, money: { currency: "JPY", symbol: "¥", decimals: 0 } });

    const remote = shopify.addCustomer(TOKYO, { email: "kenji@example.com", firstName: "Kenji", lastName: "Sato" });
    const enrolled = await app.enrollments.enroll(app.prisma, TOKYO, { idempotencyKey: "kenji-enroll-1", tierId: tier.id, email: "kenji@example.com", firstName: "Kenji", platformId: remote.id });
    if (!enrolled.ok) throw new Error(JSON.stringify(enrolled.errors));
    const recorded = await app.orders.recordOrderWebhook(app.prisma, TOKYO, order({ id: remote.id, email: "kenji@example.com" }, "12000", "JPY"));
    expect(recorded).toMatchObject({ status: "recorded", amountCents: 12_000, spendCents: 12_000 });
    const page = await load(app.memberPage, TOKYO, `/app/members/${enrolled.customerId}`, { id: enrolled.customerId });
    expect(page.member.spend).toBe("¥12,000");
    expect(page.purchases).toMatchObject([{ amount: "¥12,000", refunded: null }]);
  });

  it("a KWD shop: three decimals, summed exactly, shown with three decimals", async () => {
    const saved = await app.tiers.saveTier(app.prisma, KUWAIT, undefined, { name: "Gold", annualThreshold: "3.375", initialPurchase: "0.5", durationMonths: "12", rank: "1", discountPercent: "10" });
    if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
    const remote = shopify.addCustomer(KUWAIT, { email: "noura@example.com", firstName: "Noura", lastName: "Ali" });
    const enrolled = await app.enrollments.enroll(app.prisma, KUWAIT, { idempotencyKey: "noura-enroll-1", tierId: saved.id, email: "noura@example.com", firstName: "Noura", platformId: remote.id });
    if (!enrolled.ok) throw new Error(JSON.stringify(enrolled.errors));
    for (const amount of ["1.250", "2.125"]) await app.orders.recordOrderWebhook(app.prisma, KUWAIT, order({ id: remote.id, email: "noura@example.com" }, amount, "KWD"));
    expect(await app.enrollments.recordedSpendCents(app.prisma, KUWAIT, enrolled.customerId)).toBe(3_375);
    const page = await load(app.memberPage, KUWAIT, `/app/members/${enrolled.customerId}`, { id: enrolled.customerId });
    expect(page.member.spend).toBe("KWD\u00a03.375");
    const list = await load(app.tierList, KUWAIT, "/app/tiers");
    expect(list.tiers).toMatchObject([{ annual: "KWD\u00a03.375", initial: "KWD\u00a00.500" }]);
  });
});

describe("dates on the shop's calendar", () => {
  it("a Tokyo member's page shows Tokyo dates: an order at 08:30 on 1 June in Tokyo is on 1 June, not 31 May (UTC)", async () => {
    const remote = shopify.addCustomer(TOKYO, { email: "early@example.com", firstName: "Early", lastName: "Bird" });
    const tier = await app.prisma.tier.findFirstOrThrow({ where: { shop: TOKYO, handle: "gold" } });
    const enrolled = await app.enrollments.enroll(app.prisma, TOKYO, { idempotencyKey: "early-enroll-1", tierId: tier.id, email: "early@example.com", firstName: "Early", platformId: remote.id }, { now: new Date("2026-06-01T08:30:00+09:00") });
    if (!enrolled.ok) throw new Error(JSON.stringify(enrolled.errors));
    await app.orders.recordOrderWebhook(app.prisma, TOKYO, order({ id: remote.id, email: "early@example.com" }, "500", "JPY", "2026-06-01T08:30:00+09:00"));
    const page = await load(app.memberPage, TOKYO, `/app/members/${enrolled.customerId}`, { id: enrolled.customerId });
    expect(page.purchases).toMatchObject([{ at: "2026-06-01" }]);
    expect(page.member.expiresAt).toBe("2027-06-01");
  });
});
