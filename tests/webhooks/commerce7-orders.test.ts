// Commerce7 orders as spend (issue 14 item 4, ADR 0021), through the real
// route with the URL Settings shows (its key made by the real Settings
// action), on a real database; the upgrade reaches the fake Commerce7 through
// the real queue and worker. Create, Update and a refund order move spend;
// redeliveries and updates change nothing twice; a wrong key or Basic auth is
// a 401 that records nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeCommerce7, type FakeCommerce7 } from "../../sandbox/fakes/commerce7";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const SHOP = "c7-orders.myshopify.com";
const TENANT = { tenantId: "c7-orders-wine", appId: "app", appSecret: "secret" };
let c7: FakeCommerce7;
let app: App & {
  route: typeof import("~/routes/webhooks.commerce7.$key");
  settings: typeof import("~/routes/app.settings");
};
let clubs: { silver: string; gold: string };
const tiers: Record<string, string> = {};

beforeAll(async () => {
  c7 = await createFakeCommerce7({ tenants: [TENANT] });
  process.env.COMMERCE7_API_URL = `${c7.url}/v1`;
  app = { ...(await importApp()), route: await import("~/routes/webhooks.commerce7.$key"), settings: await import("~/routes/app.settings") };
  const { setCommerce7Credentials } = await import("~/domain/shops.server");
  await setCommerce7Credentials(app.prisma, SHOP, { tenant: TENANT.tenantId, appId: TENANT.appId, appSecret: TENANT.appSecret });
  await app.prisma.shop.update({ where: { domain: SHOP }, data: { crm: "commerce7" } });
  await app.auth.storeOfflineSession(SHOP);
  clubs = { silver: c7.addClub(TENANT.tenantId, { title: "Silver" }).id, gold: c7.addClub(TENANT.tenantId, { title: "Gold" }).id };
  for (const [rank, handle, threshold] of [
    [1, "silver", 60_000],
    [2, "gold", 120_000],
  ] as const) {
    const t = await app.prisma.tier.create({
      data: { shop: SHOP, name: handle, handle, rank, annualThresholdCents: threshold, initialPurchaseCents: 0, durationMonths: 12, c7ClubId: clubs[handle] },
    });
    tiers[handle] = t.id;
  }
});

afterAll(async () => {
  await c7?.close();
  await app?.prisma.$disconnect();
});

/** The webhook URL as the merchant reads it on the Settings page, after pressing the button. */
async function settingsUrl(intent = "c7-webhook-rotate"): Promise<string> {
  const done = await app.settings.action(app.auth.routeArgs(await app.auth.adminPost(SHOP, "/app/settings", { intent })));
  expect(done).toEqual({ intent: "c7-webhook", ok: true });
  const page = (await app.settings.loader(app.auth.routeArgs(await app.auth.adminGet(SHOP, "/app/settings")))) as Awaited<ReturnType<typeof app.settings.loader>>;
  expect(page.c7.webhook.url).toMatch(/\/webhooks\/commerce7\/[A-Za-z0-9_-]{43}$/);
  return page.c7.webhook.url!;
}

let url = "";
beforeAll(async () => {
  url = await settingsUrl();
});

/** A delivery as Commerce7 makes it: a POST of `{ object, action, payload, user, tenantId }` to the URL. */
async function deliver(action: "Create" | "Update" | "Delete", payload: unknown, opts: { to?: string; authorization?: string; tenantId?: string; object?: string } = {}): Promise<[number, Record<string, unknown>]> {
  const target = opts.to ?? url;
  const body = { object: opts.object ?? "Order", action, payload, user: "staff@winery.example", tenantId: opts.tenantId ?? TENANT.tenantId };
  const request = new Request(target, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", ...(opts.authorization ? { Authorization: opts.authorization } : {}) },
  });
  const res = await app.route.action(app.auth.routeArgs(request, { key: new URL(target).pathname.split("/").pop()! }));
  const text = await res.text();
  return [res.status, text ? (JSON.parse(text) as Record<string, unknown>) : {}];
}

let n = 0;
/** A Silver member known to the fake Commerce7 (with an address), their membership synced there. */
async function member() {
  n++;
  const email = `c7buyer${n}@example.com`;
  const remote = c7.addCustomer(TENANT.tenantId, { email, firstName: "Vera", lastName: `Vine${n}`, withAddress: true });
  const r = await app.enrollments.enroll(app.prisma, SHOP, { idempotencyKey: `c7-orders-${n}`, tierId: tiers.silver!, email, platformId: remote.id });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const enrollment = await app.prisma.enrollment.findUniqueOrThrow({ where: { id: r.enrollmentId } });
  return { remote, email, customerId: enrollment.customerId };
}

let orders = 0;
/** Commerce7's Order object (the fields spend reads, and a few it ignores); money in cents. */
function order(customer: { id: string; email: string }, subTotal: number, over: Record<string, unknown> = {}) {
  orders++;
  return {
    id: `9f0c${String(orders).padStart(4, "0")}-5a1e-4d0b-9c33-0b8a3f2e1d7c`,
    orderNumber: 1000 + orders,
    channel: "POS",
    orderSubmittedDate: new Date().toISOString(),
    orderPaidDate: null,
    paymentStatus: "Unpaid",
    subTotal,
    shipTotal: 1500,
    taxTotal: 900,
    total: subTotal + 2400,
    customerId: customer.id,
    customer: { id: customer.id, firstName: "Vera", lastName: "Vine", emails: [{ email: customer.email }] },
    ...over,
  };
}
const paid = (o: ReturnType<typeof order>) => ({ ...o, orderPaidDate: new Date().toISOString(), paymentStatus: "Paid" });

const spendOf = (customerId: string) => app.enrollments.recordedSpendCents(app.prisma, SHOP, customerId);
const historyOf = async (customerId: string) =>
  (await app.prisma.enrollment.findMany({ where: { shop: SHOP, customerId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], include: { tier: true } })).map((e) => [e.tier.handle, e.status]);
const upgradesOf = (customerId: string) => app.prisma.crmSyncQueue.count({ where: { shop: SHOP, customerId, actionType: "upgrade_membership" } });
const activeClubs = (remoteId: string) => c7.memberships(TENANT.tenantId, remoteId).filter((m) => m.status === "Active").map((m) => m.clubId);
const rows = async () => ({ purchases: await app.prisma.purchase.count({ where: { shop: SHOP } }), refunds: await app.prisma.refund.count({ where: { shop: SHOP } }), items: await app.prisma.crmSyncQueue.count({ where: { shop: SHOP } }) });

describe("Commerce7 order webhooks move spend", () => {
  it("Create (unpaid) records it without counting; Update (paid) counts it and upgrades through the queue to Commerce7; redeliveries change nothing", async () => {
    const m = await member();
    await drainQueue(app.prisma, app.Worker);
    expect(activeClubs(m.remote.id)).toEqual([clubs.silver]);

    const o = order({ id: m.remote.id, email: m.email }, 130_000);
    expect(await deliver("Create", o)).toEqual([200, { status: "not_counted", reason: "unpaid", customerId: m.customerId, amountCents: 130_000, financialStatus: "unpaid" }]);
    expect(await spendOf(m.customerId)).toBe(0);
    expect(await historyOf(m.customerId)).toEqual([["silver", "active"]]);

    // The order is edited (still unpaid): nothing changes.
    expect(await deliver("Update", { ...o, shipTotal: 0 })).toEqual([200, { status: "duplicate" }]);
    // Paid at the counter: the update counts it, once, and upgrades the member.
    expect(await deliver("Update", paid(o))).toEqual([
      200,
      { status: "recorded", customerId: m.customerId, amountCents: 130_000, spendCents: 130_000, membership: "upgraded", enrollmentId: expect.any(String) },
    ]);
    expect(await historyOf(m.customerId)).toEqual([
      ["silver", "upgraded"],
      ["gold", "active"],
    ]);
    expect(await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { shop: SHOP, customerId: m.customerId, actionType: "upgrade_membership" } })).toMatchObject({ platform: "commerce7", status: "pending" });

    // Commerce7 delivers again, and sends one more update: nothing twice.
    const before = await rows();
    expect(await deliver("Update", paid(o))).toEqual([200, { status: "duplicate" }]);
    expect(await deliver("Create", paid(o))).toEqual([200, { status: "duplicate" }]);
    expect(await rows()).toEqual(before);
    expect(await spendOf(m.customerId)).toBe(130_000);
    expect(await upgradesOf(m.customerId)).toBe(1);

    // The queue takes the upgrade to Commerce7: Gold, and Silver cancelled.
    await drainQueue(app.prisma, app.Worker);
    expect(activeClubs(m.remote.id)).toEqual([clubs.gold]);
  });

  it("a paid Create counts at once; a refund order (negative total, previousOrderId) takes its subtotal back out, once, and never downgrades", async () => {
    const m = await member();
    const o = paid(order({ id: m.remote.id, email: m.email }, 125_000));
    expect((await deliver("Create", o))[1]).toMatchObject({ status: "recorded", spendCents: 125_000, membership: "upgraded" });

    const refund = paid(order({ id: m.remote.id, email: m.email }, -25_000, { previousOrderId: o.id, total: -27_400 }));
    expect(await deliver("Create", refund)).toEqual([200, { status: "recorded", amountCents: 25_000, refund: true }]);
    expect(await spendOf(m.customerId)).toBe(100_000);
    // Redelivered, or updated: the refund is taken once.
    expect(await deliver("Create", refund)).toEqual([200, { status: "duplicate", refund: true }]);
    expect(await deliver("Update", refund)).toEqual([200, { status: "duplicate", refund: true }]);
    expect(await spendOf(m.customerId)).toBe(100_000);
    expect(await historyOf(m.customerId)).toEqual([
      ["silver", "upgraded"],
      ["gold", "active"],
    ]);
  });

  it("an Update of an order never delivered records it (paid: counted); the late Create is a duplicate", async () => {
    const m = await member();
    const o = paid(order({ id: m.remote.id, email: m.email }, 10_000));
    expect((await deliver("Update", o))[1]).toMatchObject({ status: "recorded", spendCents: 10_000, membership: "unchanged" });
    expect(await deliver("Create", o)).toEqual([200, { status: "duplicate" }]);
    expect(await app.prisma.purchase.count({ where: { shop: SHOP, customerId: m.customerId } })).toBe(1);
  });

  it("an order by a customer we do not know yet is kept for later, under their Commerce7 id; a guest order is acknowledged", async () => {
    const o = paid(order({ id: "c7-new-customer-1", email: "New.Buyer@Example.com" }, 5_000));
    expect((await deliver("Create", o))[1]).toMatchObject({ status: "recorded", membership: "none" });
    expect(await app.prisma.customer.findFirstOrThrow({ where: { shop: SHOP, commerce7CustomerId: "c7-new-customer-1" } })).toMatchObject({ email: "new.buyer@example.com", shopifyCustomerId: null });
    expect(await deliver("Create", { ...order({ id: "x", email: "x@example.com" }, 100), customerId: null, customer: null })).toEqual([200, { status: "ignored", reason: "guest" }]);
  });

  it("other objects and actions are acknowledged and change nothing", async () => {
    const before = await rows();
    expect(await deliver("Create", { id: "cust-1" }, { object: "Customer" })).toEqual([200, { status: "ignored", reason: "not_an_order" }]);
    expect(await deliver("Delete", { id: "o" })).toEqual([200, { status: "ignored", reason: "action" }]);
    expect(await rows()).toEqual(before);
  });

  it("an order payload we cannot read is a 400 naming the field, and writes nothing", async () => {
    const before = await rows();
    const [status, body] = await deliver("Create", { ...order({ id: "c", email: "c@example.com" }, 100), subTotal: "12.50" });
    expect(status).toBe(400);
    expect(body.error).toMatch(/payload\.subTotal/);
    const refundWithoutOrder = await deliver("Create", order({ id: "c", email: "c@example.com" }, -100));
    expect(refundWithoutOrder[0]).toBe(400);
    expect(refundWithoutOrder[1].error).toMatch(/previousOrderId/);
    expect(await rows()).toEqual(before);
  });
});

describe("the endpoint's key and Basic auth", () => {
  it("a wrong key gets 401 and records nothing", async () => {
    const m = await member();
    const before = await rows();
    const o = paid(order({ id: m.remote.id, email: m.email }, 130_000));
    const wrong = url.replace(/[A-Za-z0-9_-]{43}$/, (k) => (k[0] === "A" ? "B" : "A") + k.slice(1));
    expect((await deliver("Create", o, { to: wrong }))[0]).toBe(401);
    expect((await deliver("Create", o, { to: url.replace(/\/[^/]+$/, "/short") }))[0]).toBe(401);
    // The right key, but a body from another Commerce7 tenant.
    expect((await deliver("Create", o, { tenantId: "someone-else" }))[0]).toBe(401);
    expect(await rows()).toEqual(before);
    expect(await spendOf(m.customerId)).toBe(0);
  });

  it("with Basic auth set in Settings, a delivery must carry it; rotating the URL retires the old one", async () => {
    const m = await member();
    const set = await app.settings.action(app.auth.routeArgs(await app.auth.adminPost(SHOP, "/app/settings", { intent: "c7-webhook-auth", c7WebhookUsername: "c7", c7WebhookPassword: "pa55-word" })));
    expect(set).toEqual({ intent: "c7-webhook", ok: true });
    const half = await app.settings.action(app.auth.routeArgs(await app.auth.adminPost(SHOP, "/app/settings", { intent: "c7-webhook-auth", c7WebhookUsername: "c7", c7WebhookPassword: "" })));
    expect(half).toMatchObject({ intent: "c7-webhook", ok: false, error: expect.stringMatching(/both/) });
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;
    const o = paid(order({ id: m.remote.id, email: m.email }, 1_000));

    const before = await rows();
    expect((await deliver("Create", o))[0]).toBe(401);
    expect((await deliver("Create", o, { authorization: basic("c7", "wrong") }))[0]).toBe(401);
    expect(await rows()).toEqual(before);
    expect((await deliver("Create", o, { authorization: basic("c7", "pa55-word") }))[1]).toMatchObject({ status: "recorded" });

    const old = url;
    url = await settingsUrl();
    expect(url).not.toBe(old);
    const next = paid(order({ id: m.remote.id, email: m.email }, 1_000));
    expect((await deliver("Create", next, { to: old, authorization: basic("c7", "pa55-word") }))[0]).toBe(401);
    expect((await deliver("Create", next, { authorization: basic("c7", "pa55-word") }))[1]).toMatchObject({ status: "recorded" });

    // Cleared: no Basic auth needed any more.
    await app.settings.action(app.auth.routeArgs(await app.auth.adminPost(SHOP, "/app/settings", { intent: "c7-webhook-auth", c7WebhookUsername: "", c7WebhookPassword: "" })));
    expect((await deliver("Create", paid(order({ id: m.remote.id, email: m.email }, 1_000))))[1]).toMatchObject({ status: "recorded" });
  });

  it("the key is stored only hashed and encrypted, and Settings never shows the Basic auth password", async () => {
    const key = url.split("/").pop()!;
    const row = await app.prisma.shop.findUniqueOrThrow({ where: { domain: SHOP } });
    expect(JSON.stringify(row)).not.toContain(key);
    await app.settings.action(app.auth.routeArgs(await app.auth.adminPost(SHOP, "/app/settings", { intent: "c7-webhook-auth", c7WebhookUsername: "c7user", c7WebhookPassword: "hidden-pass" })));
    const page = await app.settings.loader(app.auth.routeArgs(await app.auth.adminGet(SHOP, "/app/settings")));
    expect(JSON.stringify(page)).not.toContain("hidden-pass");
    expect(JSON.stringify(await app.prisma.shop.findUniqueOrThrow({ where: { domain: SHOP } }))).not.toContain("hidden-pass");
    expect(page.c7.webhook.username).toBe("c7user");
    await app.settings.action(app.auth.routeArgs(await app.auth.adminPost(SHOP, "/app/settings", { intent: "c7-webhook-auth", c7WebhookUsername: "", c7WebhookPassword: "" })));
  });

  it("Settings sets the shop's Commerce7 pace (requests per minute), 100 by default, refusing one below 10", async () => {
    const page = async () => app.settings.loader(app.auth.routeArgs(await app.auth.adminGet(SHOP, "/app/settings")));
    const save = async (c7RequestsPerMinute: string) =>
      app.settings.action(app.auth.routeArgs(await app.auth.adminPost(SHOP, "/app/settings", { intent: "save", crm: "commerce7", c7Tenant: TENANT.tenantId, c7AppId: TENANT.appId, c7RequestsPerMinute })));
    expect((await page()).c7.requestsPerMinute).toBe(100);
    expect(await save("5")).toMatchObject({ intent: "save", ok: false, errors: { c7RequestsPerMinute: expect.any(String) } });
    expect((await page()).c7.requestsPerMinute).toBe(100);
    expect(await save("120")).toEqual({ intent: "save", ok: true });
    expect((await page()).c7.requestsPerMinute).toBe(120);
    expect((await app.prisma.shop.findUniqueOrThrow({ where: { domain: SHOP } })).c7RequestsPerMinute).toBe(120);
  });
});
