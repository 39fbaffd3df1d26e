// Shopify Flow triggers end to end (ADR 0028): the real domain writes each
// membership event with its change, the real worker sends it with
// flowTriggerReceive, and the fake Shopify checks every payload against the
// extensions' declared fields (extensions/flow-*/shopify.extension.toml)
// before it records it. Each event fires once: a redelivered signed webhook,
// a re-run expiry job, retries and a lost reply send no second trigger.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const SHOP = "flow.myshopify.com";
const C7_SHOP = "flow-cellar.myshopify.com";
const DAY = 86_400_000;
let shopify: FakeShopify;
let app: App & {
  expiry: typeof import("~/domain/expiry.server");
  orderWebhook: typeof import("~/routes/webhooks.orders.create");
  admin: typeof import("~/integrations/shopify/admin.server");
  ops: typeof import("~/integrations/shopify/operations");
};
const tier: Record<string, string> = {};

beforeAll(async () => {
  shopify = await createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: "shpat_flow" }] });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  app = {
    ...(await importApp()),
    expiry: await import("~/domain/expiry.server"),
    orderWebhook: await import("~/routes/webhooks.orders.create"),
    admin: await import("~/integrations/shopify/admin.server"),
    ops: await import("~/integrations/shopify/operations"),
  };
  await app.prisma.shop.createMany({ data: [{ domain: SHOP }, { domain: C7_SHOP, crm: "commerce7" }] });
  for (const shop of [SHOP, C7_SHOP]) {
    for (const [rank, name, threshold] of [
      [1, "Silver", 60_000],
      [2, "Gold", 120_000],
    ] as const) {
      const t = await app.prisma.tier.create({
        data: { shop, name, handle: name.toLowerCase(), rank, annualThresholdCents: threshold, initialPurchaseCents: 0, durationMonths: 12, discountPercent: 5 * rank, c7ClubId: shop === C7_SHOP ? `club-${rank}` : null },
      });
      tier[`${shop}:${name}`] = t.id;
    }
  }
  await app.auth.storeOfflineSession(SHOP, "shpat_flow");
  await app.auth.storeOfflineSession(C7_SHOP);
});
afterAll(() => shopify?.close());
beforeEach(() => {
  shopify.faults.clear();
  shopify.clearRequests();
});

const drain = () => drainQueue(app.prisma, app.Worker, { backoff: { baseMs: 10, capMs: 30 } });
let n = 0;
async function enroll(tierName = "Silver", shop = SHOP) {
  const email = `flow-${++n}@example.com`;
  const r = await app.enrollments.enroll(app.prisma, shop, { idempotencyKey: `flow-enroll-${n}`, tierId: tier[`${shop}:${tierName}`]!, email, firstName: "Flo", lastName: "W" }, { inlineDeadlineMs: 50 });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return { enrollmentId: r.enrollmentId, customerId: r.customerId, email };
}
const numericId = async (customerId: string) => Number((await app.prisma.customer.findUniqueOrThrow({ where: { id: customerId } })).shopifyCustomerId!.split("/").pop());
const sent = (customerNumericId: number) => shopify.flowTriggers(SHOP).filter((t) => t.payload.customer_id === customerNumericId);
const flowItems = (customerId: string) =>
  app.prisma.crmSyncQueue.findMany({ where: { shop: SHOP, customerId, actionType: "flow_trigger" }, include: { attemptsLog: { orderBy: { startedAt: "asc" } } }, orderBy: { createdAt: "asc" } });

function order(email: string, shopifyId: number, amount: string) {
  const id = 7_000_000_000 + ++n;
  return {
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    created_at: new Date().toISOString(),
    cancelled_at: null,
    test: false,
    currency: "USD",
    financial_status: "paid",
    email,
    current_subtotal_price_set: { shop_money: { amount, currency_code: "USD" } },
    customer: { id: shopifyId, admin_graphql_api_id: `gid://shopify/Customer/${shopifyId}`, email, first_name: "Flo", last_name: "W" },
  };
}
async function deliver(body: unknown) {
  const request = app.auth.webhookRequest(SHOP, "orders/create", body);
  return (await app.orderWebhook.action(app.auth.routeArgs(request))) as Response;
}

describe("each membership event fires its Flow trigger once, with its declared fields", () => {
  it("enrolled, tier changed up and down, renewed (the signed webhook delivered twice), cancelled", async () => {
    const m = await enroll("Silver");
    await drain();
    const id = await numericId(m.customerId);
    expect(sent(id).map((t) => t.handle)).toEqual(["club-member-enrolled"]);
    const enrolled = sent(id)[0]!.payload;
    expect(enrolled).toMatchObject({ customer_id: id, "Tier name": "Silver", "Spend in window": 0, Currency: "USD" });
    expect(enrolled["Started on"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(enrolled["Expires on"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    const up = await app.enrollments.changeTier(app.prisma, SHOP, m.enrollmentId, tier[`${SHOP}:Gold`]!);
    if (!up.ok) throw new Error(up.message);
    const down = await app.enrollments.changeTier(app.prisma, SHOP, up.enrollmentId, tier[`${SHOP}:Silver`]!);
    if (!down.ok) throw new Error(down.message);
    await drain();
    expect(sent(id).slice(1).map((t) => [t.handle, t.payload["From tier"], t.payload["To tier"], t.payload.Direction])).toEqual([
      ["club-member-tier-changed", "Silver", "Gold", "up"],
      ["club-member-tier-changed", "Gold", "Silver", "down"],
    ]);

    // $700 renews Silver ($600 a year) for 12 months from the order, past its expiry 30 days out;
    // the same signed delivery twice is one renewal and one trigger.
    const previous = new Date(Date.now() + 30 * DAY);
    await app.prisma.enrollment.update({ where: { id: down.enrollmentId }, data: { expiresAt: previous } });
    const body = order(m.email, id, "700.00");
    expect((await deliver(body)).status).toBe(200);
    expect((await deliver(body)).status).toBe(200);
    await drain();
    const renewed = sent(id).filter((t) => t.handle === "club-membership-renewed");
    expect(renewed).toHaveLength(1);
    expect(renewed[0]!.payload).toMatchObject({ "Tier name": "Silver", "Spend in window": 700, Currency: "USD" });
    // The shop's zone is UTC here: its local dates are the ISO dates.
    expect(renewed[0]!.payload["Previous expiry"]).toBe(previous.toISOString().slice(0, 10));
    expect(String(renewed[0]!.payload["Expires on"]) > String(renewed[0]!.payload["Previous expiry"])).toBe(true);

    const cancelled = await app.enrollments.cancelMembership(app.prisma, SHOP, down.enrollmentId, { reason: "Moved abroad" });
    expect(cancelled.ok).toBe(true);
    expect((await app.enrollments.cancelMembership(app.prisma, SHOP, down.enrollmentId)).ok).toBe(false);
    await drain();
    expect(sent(id).map((t) => t.handle)).toEqual([
      "club-member-enrolled",
      "club-member-tier-changed",
      "club-member-tier-changed",
      "club-membership-renewed",
      "club-membership-cancelled",
    ]);
    expect(sent(id)[4]!.payload).toMatchObject({ "Tier name": "Silver", Reason: "Moved abroad", "Spend in window": 700 });
    const items = await flowItems(m.customerId);
    expect(items.map((i) => [i.status, i.attemptsLog.map((a) => a.outcome)])).toEqual(Array(5).fill(["completed", ["success"]]));
    // The enrollment's sync state follows its membership items, not its Flow triggers.
    expect(items.every((i) => i.enrollmentId === null)).toBe(true);
  });

  it("expired: the expiry job run three times at once, then again, fires one trigger", async () => {
    const m = await enroll("Gold");
    await drain();
    await app.prisma.enrollment.update({ where: { id: m.enrollmentId }, data: { expiresAt: new Date(Date.now() - DAY) } });
    await Promise.all([1, 2, 3].map(() => app.expiry.expireLapsedMemberships(app.prisma)));
    await app.expiry.expireLapsedMemberships(app.prisma);
    await drain();
    await app.expiry.expireLapsedMemberships(app.prisma);
    await drain();
    const id = await numericId(m.customerId);
    expect(sent(id).map((t) => t.handle)).toEqual(["club-member-enrolled", "club-membership-expired"]);
    expect(sent(id)[1]!.payload).toMatchObject({ "Tier name": "Gold", "Spend in window": 0 });
    expect(sent(id)[1]!.payload["Expired on"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

describe("retries send no duplicates", () => {
  it("an error Shopify answered (HTTP 500) is retried and sends the trigger once", async () => {
    shopify.faults.set({ mode: "500", match: "ClubFlowTriggerReceive", times: 1 });
    const m = await enroll();
    await drain();
    expect(sent(await numericId(m.customerId))).toHaveLength(1);
    expect((await flowItems(m.customerId)).map((i) => [i.status, i.attemptsLog.map((a) => a.outcome)])).toEqual([["completed", ["retry", "success"]]]);
  });

  it("a lost reply (ghost: Shopify ran it, the connection dropped) is not sent again, and says so", async () => {
    shopify.faults.set({ mode: "ghost", match: "ClubFlowTriggerReceive", times: 1 });
    const m = await enroll();
    await drain();
    const id = await numericId(m.customerId);
    expect(shopify.requests().filter((r) => r.operationName === "ClubFlowTriggerReceive" && r.fault === "ghost")).toHaveLength(1);
    expect(shopify.requests().filter((r) => r.operationName === "ClubFlowTriggerReceive")).toHaveLength(1);
    expect(sent(id)).toHaveLength(1);
    const [item] = await flowItems(m.customerId);
    expect(item!.status).toBe("failed");
    expect(item!.lastError).toMatch(/may or may not have started its workflows\. It was not sent again/);
    // The membership itself is synced: a Flow trigger does not touch the enrollment's sync state.
    expect((await app.prisma.enrollment.findUniqueOrThrow({ where: { id: m.enrollmentId } })).syncState).toBe("synced");
  });

  it("an attempt that died while sending (the mark left behind) is not sent again by the next run", async () => {
    const m = await enroll();
    await app.prisma.membershipEvent.updateMany({ where: { shop: SHOP, customerId: m.customerId }, data: { sendStartedAt: new Date() } });
    await drain();
    expect(shopify.requests().filter((r) => r.operationName === "ClubFlowTriggerReceive")).toHaveLength(0);
    const [item] = await flowItems(m.customerId);
    expect(item).toMatchObject({ status: "failed" });
    expect(item!.lastError).toMatch(/an earlier attempt stopped while sending it/);
    // The mark is cleared: the merchant's Retry is a deliberate resend.
    expect((await app.prisma.membershipEvent.findFirstOrThrow({ where: { shop: SHOP, customerId: m.customerId } })).sendStartedAt).toBeNull();
  });
});

describe("payloads are checked against the declared fields", () => {
  const request = (handle: string, payload: unknown) =>
    new app.admin.ShopifyAdmin(SHOP, "shpat_flow").request(app.ops.FLOW_TRIGGER_RECEIVE_MUTATION, { handle, payload: payload as never });

  it("the fake refuses an unknown handle, a missing field, a wrong type, an undeclared key and an unknown customer", async () => {
    const customer = shopify.addCustomer(SHOP, { email: "payload-check@example.com" });
    const id = Number(customer.id.split("/").pop());
    const good = { customer_id: id, "Tier name": "Silver", "Started on": "2026-12-01", "Expires on": "2027-12-01", "Spend in window": 12.5, Currency: "USD" };
    const before = shopify.flowTriggers(SHOP).length;
    const errors = async (handle: string, payload: unknown) => (await request(handle, payload)).flowTriggerReceive!.userErrors.map((e) => [e.field?.join("."), e.message]);
    expect(await errors("club-member-joined", good)).toEqual([["handle", 'Could not find a trigger with handle "club-member-joined"']]);
    const { Currency: _dropped, ...missing } = good;
    expect(await errors("club-member-enrolled", missing)).toEqual([["payload.Currency", "Currency is required"]]);
    expect(await errors("club-member-enrolled", { ...good, "Spend in window": "12.50" })).toEqual([["payload.Spend in window", "Spend in window must be a number"]]);
    expect(await errors("club-member-enrolled", { ...good, "Tier name": "Silver\nGold" })).toEqual([["payload.Tier name", "Tier name must be a single line of text"]]);
    expect(await errors("club-member-enrolled", { ...good, tier: "Silver" })).toEqual([["payload.tier", "tier is not a field of trigger club-member-enrolled"]]);
    expect(await errors("club-member-enrolled", { ...good, customer_id: 999_999_999 })).toEqual([["payload.customer_id", "Customer 999999999 does not exist"]]);
    expect(shopify.flowTriggers(SHOP)).toHaveLength(before);
    expect(await errors("club-member-enrolled", good)).toEqual([]);
    expect(shopify.flowTriggers(SHOP)).toHaveLength(before + 1);
  });

  it("an event whose payload does not match its trigger fails with the fake's reason, and nothing is recorded", async () => {
    const m = await enroll();
    await app.prisma.membershipEvent.updateMany({ where: { shop: SHOP, customerId: m.customerId }, data: { payload: JSON.stringify({ "Tier name": 3 }) } });
    await drain();
    expect(sent(await numericId(m.customerId))).toEqual([]);
    const [item] = await flowItems(m.customerId);
    expect(item!.status).toBe("failed");
    expect(item!.lastError).toContain("Tier name must be a single line of text");
    expect(item!.lastError).toContain("Currency is required");
  });
});

describe("Commerce7 shops", () => {
  it("record no Flow events: their members are Commerce7 customers, and Commerce7 sends its own club emails", async () => {
    const customer = await app.prisma.customer.create({ data: { shop: C7_SHOP, email: "c7-flow@example.com" } });
    await app.prisma.enrollment.create({
      data: { shop: C7_SHOP, customerId: customer.id, tierId: tier[`${C7_SHOP}:Silver`]!, status: "active", startedAt: new Date(Date.now() - 400 * DAY), expiresAt: new Date(Date.now() - DAY) },
    });
    expect(await app.expiry.expireLapsedForShop(app.prisma, C7_SHOP)).toBe(1);
    expect(await app.prisma.membershipEvent.count({ where: { shop: C7_SHOP } })).toBe(0);
    expect(await app.prisma.crmSyncQueue.count({ where: { shop: C7_SHOP, actionType: "flow_trigger" } })).toBe(0);
  });
});
