// One identity per platform (issue 12): a customer's Shopify id and Commerce7
// id sit side by side, a known platform id under a new email updates our row
// (never a second one, never a 500), and each platform's processors use only
// their own id. Through the real wizard route and the real signed order
// webhook, with the fake platforms and the real worker.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeCommerce7, type FakeCommerce7 } from "../../sandbox/fakes/commerce7";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const SHOP = "identity.myshopify.com";
const C7_SHOP = "identity-wine.myshopify.com";
const TENANT = { tenantId: "identity-wine", appId: "app", appSecret: "secret" };
let shopify: FakeShopify;
let c7: FakeCommerce7;
let app: App & {
  review: typeof import("~/routes/app.members.new_.review");
  orders: typeof import("~/routes/webhooks.orders.create");
  queueCrmSync: typeof import("~/queue/enqueue.server").queueCrmSync;
};
const tiers: Record<string, string> = {};
let clubId = "";

beforeAll(async () => {
  shopify = await createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: "shpat_test" }, { domain: C7_SHOP, accessToken: "shpat_test" }] });
  c7 = await createFakeCommerce7({ tenants: [TENANT] });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  process.env.COMMERCE7_API_URL = `${c7.url}/v1`;
  app = {
    ...(await importApp()),
    review: await import("~/routes/app.members.new_.review"),
    orders: await import("~/routes/webhooks.orders.create"),
    queueCrmSync: (await import("~/queue/enqueue.server")).queueCrmSync,
  };
  await app.prisma.shop.create({ data: { domain: SHOP } });
  const { setCommerce7Credentials } = await import("~/domain/shops.server");
  await setCommerce7Credentials(app.prisma, C7_SHOP, { tenant: TENANT.tenantId, appId: TENANT.appId, appSecret: TENANT.appSecret });
  await app.prisma.shop.update({ where: { domain: C7_SHOP }, data: { crm: "commerce7" } });
  clubId = c7.addClub(TENANT.tenantId, { title: "Silver" }).id;
  for (const shop of [SHOP, C7_SHOP]) {
    const t = await app.prisma.tier.create({
      data: { shop, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 500_000, initialPurchaseCents: 0, durationMonths: 12, c7ClubId: shop === C7_SHOP ? clubId : null },
    });
    tiers[shop] = t.id;
    await app.auth.storeOfflineSession(shop, "shpat_test");
  }
});

afterAll(async () => {
  await shopify?.close();
  await c7?.close();
});

let n = 0;
const numericId = (gid: string) => Number(gid.split("/").pop());

/** An orders/create delivery, signed, through the real route. */
async function deliverOrder(shop: string, customer: { gid: string; email: string }, amount = "100.00") {
  n++;
  const id = 6_000_000_000 + n;
  const body = {
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    created_at: new Date().toISOString(),
    cancelled_at: null,
    test: false,
    financial_status: "paid",
    email: customer.email,
    current_subtotal_price_set: { shop_money: { amount, currency_code: "USD" } },
    customer: { id: numericId(customer.gid), admin_graphql_api_id: customer.gid, email: customer.email, first_name: "Ada", last_name: "Vine" },
  };
  const request = app.auth.webhookRequest(shop, "orders/create", body);
  return (await app.orders.action(app.auth.routeArgs(request)).catch((e: unknown) => e)) as Response;
}

/** The wizard's last step, as the browser posts it: the customer chosen from the platform's search. */
async function enrollThroughWizard(shop: string, form: { email: string; platformId: string }) {
  n++;
  const request = await app.auth.adminPost(shop, "/app/members/new/review", { firstName: "Ada", lastName: "Vine", tierId: tiers[shop]!, idempotencyKey: `identity-${n}-key`, ...form });
  return app.review.action(app.auth.routeArgs(request)).catch((e: unknown) => e);
}

function memberPageOf(response: unknown): string {
  expect(response).toBeInstanceOf(Response);
  const res = response as Response;
  expect(res.status).toBe(302);
  return new URL(res.headers.get("Location")!, "http://x").pathname.split("/").pop()!;
}

const drain = () => drainQueue(app.prisma, app.Worker);
const customersOf = (shop: string, where: Record<string, unknown> = {}) => app.prisma.customer.findMany({ where: { shop, ...where }, orderBy: { createdAt: "asc" } });

describe("a known platform id under a new email", () => {
  it("Enrolling a customer whose email changed on Shopify succeeds, and the customer row is updated, not duplicated", async () => {
    // We stored the customer from an order, under their old email.
    const remote = shopify.addCustomer(SHOP, { email: "ada.old@example.com", firstName: "Ada", lastName: "Vine" });
    expect((await deliverOrder(SHOP, { gid: remote.id, email: "ada.old@example.com" }, "80.00")).status).toBe(200);
    const [stored] = await customersOf(SHOP, { shopifyCustomerId: remote.id });
    // They change it on Shopify; the wizard's search returns the same Shopify id with the new email.
    shopify.shop(SHOP).customers.get(remote.id)!.email = "ada.new@example.com";

    const memberId = memberPageOf(await enrollThroughWizard(SHOP, { email: "ada.new@example.com", platformId: remote.id }));

    expect(memberId).toBe(stored!.id);
    const rows = await customersOf(SHOP, { OR: [{ shopifyCustomerId: remote.id }, { email: { in: ["ada.old@example.com", "ada.new@example.com"] } }] });
    expect(rows).toMatchObject([{ id: stored!.id, email: "ada.new@example.com", shopifyCustomerId: remote.id, searchText: "ada vine ada.new@example.com" }]);
    // The order they placed under the old email is theirs.
    expect(await app.enrollments.recordedSpendCents(app.prisma, SHOP, stored!.id)).toBe(8_000);
    expect(await app.prisma.enrollment.count({ where: { customerId: stored!.id, status: "active" } })).toBe(1);
    // The sync writes to that same Shopify customer: no second one is created there.
    await drain();
    expect([...shopify.shop(SHOP).customers.values()].filter((c) => c.email === "ada.new@example.com").map((c) => c.id)).toEqual([remote.id]);
    expect(shopify.shop(SHOP).customers.get(remote.id)!.tags).toEqual(["club:silver"]);
  });

  it("the same for an order: a known Shopify customer id under a new email updates the member's row, and the order counts for them", async () => {
    const remote = shopify.addCustomer(SHOP, { email: "bo.old@example.com", firstName: "Bo" });
    const memberId = memberPageOf(await enrollThroughWizard(SHOP, { email: "bo.old@example.com", platformId: remote.id }));

    const res = await deliverOrder(SHOP, { gid: remote.id, email: "Bo.New@Example.com" }, "120.00");

    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "recorded", customerId: memberId, amountCents: 12_000, spendCents: 12_000 });
    const rows = await customersOf(SHOP, { OR: [{ shopifyCustomerId: remote.id }, { email: { in: ["bo.old@example.com", "bo.new@example.com"] } }] });
    expect(rows).toMatchObject([{ id: memberId, email: "bo.new@example.com", shopifyCustomerId: remote.id }]);
  });

  it("when the new email already belongs to another of our customers, the platform id's row is kept (old email) and the other is left alone: no 500, for the wizard or an order", async () => {
    const remote = shopify.addCustomer(SHOP, { email: "cy.old@example.com" });
    expect((await deliverOrder(SHOP, { gid: remote.id, email: "cy.old@example.com" })).status).toBe(200);
    const [known] = await customersOf(SHOP, { shopifyCustomerId: remote.id });
    // Someone entered by hand earlier under the address Cy uses now (no Shopify id).
    const other = await app.prisma.customer.create({ data: { shop: SHOP, email: "cy.new@example.com", firstName: "Typed", searchText: "typed cy.new@example.com" } });

    const memberId = memberPageOf(await enrollThroughWizard(SHOP, { email: "cy.new@example.com", platformId: remote.id }));
    const res = await deliverOrder(SHOP, { gid: remote.id, email: "cy.new@example.com" }, "40.00");

    expect(memberId).toBe(known!.id);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "recorded", customerId: known!.id });
    expect(await app.prisma.customer.findUniqueOrThrow({ where: { id: known!.id } })).toMatchObject({ email: "cy.old@example.com", shopifyCustomerId: remote.id });
    expect(await app.prisma.customer.findUniqueOrThrow({ where: { id: other.id } })).toMatchObject({ email: "cy.new@example.com", shopifyCustomerId: null, firstName: "Typed" });
    expect(await app.prisma.enrollment.count({ where: { customerId: other.id } })).toBe(0);
    expect(await app.prisma.purchase.count({ where: { customerId: other.id } })).toBe(0);
  });

  it("on a Commerce7 shop, a known Commerce7 id under a new email updates the row too", async () => {
    const remote = c7.addCustomer(TENANT.tenantId, { email: "di.old@example.com", firstName: "Di", withAddress: true });
    const row = await app.prisma.customer.create({ data: { shop: C7_SHOP, email: "di.old@example.com", firstName: "Di", commerce7CustomerId: remote.id } });
    n++;
    const request = await app.auth.adminPost(C7_SHOP, "/app/members/new/review", {
      email: "di.new@example.com",
      firstName: "Di",
      lastName: "",
      platformId: remote.id,
      tierId: tiers[C7_SHOP]!,
      idempotencyKey: `identity-${n}-key`,
      deliveryMethod: "Ship",
    });
    const memberId = memberPageOf(await app.review.action(app.auth.routeArgs(request)));
    expect(memberId).toBe(row.id);
    expect(await customersOf(C7_SHOP, { OR: [{ commerce7CustomerId: remote.id }, { email: { startsWith: "di." } }] })).toMatchObject([{ id: row.id, email: "di.new@example.com", commerce7CustomerId: remote.id }]);
  });
});

describe("each platform's processors use their own id", () => {
  async function member(shop: string, data: { email: string; shopifyCustomerId?: string; commerce7CustomerId?: string }) {
    const customer = await app.prisma.customer.create({ data: { shop, firstName: "Ev", lastName: "Ans", ...data } });
    const enrollment = await app.prisma.enrollment.create({ data: { shop, customerId: customer.id, tierId: tiers[shop]!, expiresAt: new Date(Date.now() + 1e10) } });
    await app.queueCrmSync({ shop, enrollmentId: enrollment.id, actionType: "add_membership", stageId: tiers[shop]!, customerId: customer.id });
    return customer;
  }

  it("Commerce7: a member known only by a Shopify id (from orders) gets a Commerce7 customer of their own; the Shopify id is never sent there and is kept", async () => {
    const shopifyGid = shopify.addCustomer(C7_SHOP, { email: "ev@example.com" }).id;
    const customer = await member(C7_SHOP, { email: "ev@example.com", shopifyCustomerId: shopifyGid });
    c7.addCustomer(TENANT.tenantId, { email: "ev@example.com", firstName: "Ev", withAddress: true });

    await drain();

    const after = await app.prisma.customer.findUniqueOrThrow({ where: { id: customer.id } });
    expect(after.shopifyCustomerId).toBe(shopifyGid);
    expect(after.commerce7CustomerId).not.toBeNull();
    expect(after.commerce7CustomerId).not.toContain("gid://");
    expect(c7.memberships(TENANT.tenantId, after.commerce7CustomerId!).map((m) => [m.clubId, m.status])).toEqual([[clubId, "Active"]]);
    expect(c7.memberships(TENANT.tenantId).filter((m) => m.customerId.includes("gid://"))).toEqual([]);
    // Nothing was written to the Shopify customer.
    expect(shopify.shop(C7_SHOP).customers.get(shopifyGid)!.tags).toEqual([]);
  });

  it("Shopify: a member who also has a Commerce7 id is synced on their Shopify id, and the Commerce7 id stays as it was", async () => {
    const remote = shopify.addCustomer(SHOP, { email: "fay@example.com" });
    const customer = await member(SHOP, { email: "fay@example.com", shopifyCustomerId: remote.id, commerce7CustomerId: "c7-from-before" });

    await drain();

    const item = await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { customerId: customer.id } });
    expect(item.status).toBe("completed");
    expect(JSON.parse(item.result!)).toMatchObject({ customerGid: remote.id });
    expect(shopify.shop(SHOP).customers.get(remote.id)!.tags).toEqual(["club:silver"]);
    expect(await app.prisma.customer.findUniqueOrThrow({ where: { id: customer.id } })).toMatchObject({ shopifyCustomerId: remote.id, commerce7CustomerId: "c7-from-before" });
  });

  it("Shopify: a member known only by a Commerce7 id is found or created on Shopify by email, and only the Shopify column is written", async () => {
    const customer = await member(SHOP, { email: "gus@example.com", commerce7CustomerId: "c7-gus" });

    await drain();

    const after = await app.prisma.customer.findUniqueOrThrow({ where: { id: customer.id } });
    expect(after.commerce7CustomerId).toBe("c7-gus");
    expect(after.shopifyCustomerId).toMatch(/^gid:\/\/shopify\/Customer\//);
    expect(shopify.shop(SHOP).customers.get(after.shopifyCustomerId!)).toMatchObject({ email: "gus@example.com", tags: ["club:silver"] });
  });
});
