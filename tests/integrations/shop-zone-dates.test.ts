// Membership dates in a Los Angeles shop, end to end through the domain, the
// database, the real worker and the fake Shopify Admin: an enrollment made at
// 23:30 local on a month's last day ends on the right local date in our
// database, on the member page and in the metafield the discount function reads; the spend window
// starts at local midnight of the same date a year earlier.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const SHOP = "la-cellar.myshopify.com";
const TOKEN = "shpat_la";
const LA = "America/Los_Angeles";
let shopify: FakeShopify;
let app: App & { dates: typeof import("~/domain/dates"); orders: typeof import("~/domain/orders.server") };
let tierId: string;

beforeAll(async () => {
  shopify = await createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: TOKEN }] });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  app = { ...(await importApp()), dates: await import("~/domain/dates"), orders: await import("~/domain/orders.server") };
  await app.prisma.shop.create({ data: { domain: SHOP, timezone: LA } });
  await app.auth.storeOfflineSession(SHOP, TOKEN);
  const tier = await app.prisma.tier.create({
    data: { shop: SHOP, name: "Half year", handle: "half", rank: 1, annualThresholdCents: 50_000, initialPurchaseCents: 0, durationMonths: 6, discountPercent: 10 },
  });
  tierId = tier.id;
});
afterAll(() => shopify.close());

describe("a Los Angeles shop's membership dates", () => {
  it("an enrollment at 23:30 on 30 November (07:30 on 1 December in UTC) for 6 months ends on 30 May, and an order at 23:30 on 31 January renews it to 31 July, in the database and in the metafield", async () => {
    const remote = shopify.addCustomer(SHOP, { email: "late@example.com", firstName: "Late", lastName: "Evening" });
    const now = new Date("2026-11-30T23:30:00-08:00");
    const r = await app.enrollments.enroll(app.prisma, SHOP, { idempotencyKey: "late-evening-1", tierId, email: "late@example.com", firstName: "Late", platformId: remote.id }, { now });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));

    const row = await app.prisma.enrollment.findUniqueOrThrow({ where: { id: r.enrollmentId } });
    // 30 May 23:30 PDT. UTC calendar months gave 1 June 07:30 UTC, 1 June local.
    expect(row.expiresAt.toISOString()).toBe("2027-05-31T06:30:00.000Z");
    expect(app.dates.localDate(row.expiresAt, LA)).toBe("2027-05-30");

    await drainQueue(app.prisma, app.Worker);
    expect(await app.prisma.crmSyncQueue.findMany({ where: { shop: SHOP, status: { not: "completed" } } })).toEqual([]);
    expect(shopify.appMetafield(SHOP, remote.id, "membership")).toMatchObject({ tier: "half", expiresAt: "2027-05-30" });
    // The member page shows the same local date (a UTC page showed 31 May).
    const memberPage = await import("~/routes/app.members.$id");
    const page = await memberPage.loader(app.auth.routeArgs(await app.auth.adminGet(SHOP, `/app/members/${r.customerId}`), { id: r.customerId }));
    expect(page.member.expiresAt).toBe("2027-05-30");

    // A qualifying order at 23:30 on 31 January renews to 31 July local (UTC months gave 1 August local).
    const numericId = Number(remote.id.split("/").pop());
    const renewal = await app.orders.recordOrderWebhook(app.prisma, SHOP, {
      id: "7000000001",
      admin_graphql_api_id: "gid://shopify/Order/7000000001",
      created_at: "2027-01-31T23:30:00-08:00",
      test: false,
      financial_status: "paid",
      email: "late@example.com",
      current_subtotal_price_set: { shop_money: { amount: "600.00", currency_code: "USD" } },
      customer: { id: String(numericId), admin_graphql_api_id: remote.id, email: "late@example.com" },
    });
    expect(renewal).toMatchObject({ status: "recorded", membership: "renewed" });
    const renewed = await app.prisma.enrollment.findUniqueOrThrow({ where: { id: r.enrollmentId } });
    expect(renewed.expiresAt.toISOString()).toBe("2027-08-01T06:30:00.000Z");
    expect(app.dates.localDate(renewed.expiresAt, LA)).toBe("2027-07-31");
    await drainQueue(app.prisma, app.Worker);
    expect(shopify.appMetafield(SHOP, remote.id, "membership")).toMatchObject({ tier: "half", expiresAt: "2027-07-31" });
  });

  it("spend counts from local midnight of the same date 12 months before", async () => {
    const customer = await app.prisma.customer.create({ data: { shop: SHOP, email: "window@example.com" } });
    const purchase = (orderId: string, occurredAt: string, amountCents: number) =>
      app.prisma.purchase.create({ data: { shop: SHOP, orderId, customerId: customer.id, amountCents, currency: "USD", occurredAt: new Date(occurredAt), countedAt: new Date(occurredAt) } });
    await purchase("gid://shopify/Order/1", "2025-11-29T23:59:59-08:00", 1); // the day before the window
    await purchase("gid://shopify/Order/2", "2025-11-30T00:00:00-08:00", 10); // its first instant
    await purchase("gid://shopify/Order/3", "2026-06-01T12:00:00-07:00", 100);
    const asOf = new Date("2026-11-30T23:30:00-08:00"); // 1 December in UTC: a UTC window would start on 1 December 2025
    expect(await app.enrollments.recordedSpendCents(app.prisma, SHOP, customer.id, asOf)).toBe(110);
  });
});
