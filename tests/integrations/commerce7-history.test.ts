// The Commerce7 order history (issue 15 item 4, ADR 0022) against the fake
// Commerce7: a year of orders (paid and unpaid, guests', refunds, and older
// orders outside the year) listed by cursor pages with a date filter, read by
// the real queue worker through the real client into the spend ledger. The
// net paid spend recorded per customer equals the fake's own sum; nobody's
// tier changes; a second read counts nothing again; a live Order webhook of
// an order the history read is a duplicate, and the history counts nothing
// a webhook recorded first. Connecting Commerce7 in Settings queues a read.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeCommerce7, type C7Order, type FakeCommerce7 } from "../../sandbox/fakes/commerce7";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const SHOP = "c7-history.myshopify.com";
const TENANT = { tenantId: "history-wine", appId: "app", appSecret: "secret" };
const DAY = 86_400_000;
let c7: FakeCommerce7;
let app: App & { history: typeof import("~/domain/commerce7-history.server"); c7Route: typeof import("~/routes/webhooks.commerce7.$key") };
let key = "";
let silver = "";
let gold = "";
const remote: { id: string; email: string }[] = [];
const members = new Map<string, string>(); // Commerce7 customer id → our customer id

// A deterministic spread (no Math.random: a failure must be reproducible).
let seed = 7;
const rand = (n: number) => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed % n;
};

beforeAll(async () => {
  c7 = await createFakeCommerce7({ tenants: [TENANT] });
  process.env.COMMERCE7_API_URL = `${c7.url}/v1`;
  app = { ...(await importApp()), history: await import("~/domain/commerce7-history.server"), c7Route: await import("~/routes/webhooks.commerce7.$key") };
  const { setCommerce7Credentials } = await import("~/domain/shops.server");
  await setCommerce7Credentials(app.prisma, SHOP, { tenant: TENANT.tenantId, appId: TENANT.appId, appSecret: TENANT.appSecret });
  // The pace is the shop's: high here, so the test waits on no bucket.
  await app.prisma.shop.update({ where: { domain: SHOP }, data: { crm: "commerce7", timezone: "America/Los_Angeles", c7RequestsPerMinute: 6_000 } });
  const { rotateCommerce7WebhookKey } = await import("~/domain/commerce7-webhook.server");
  key = (await rotateCommerce7WebhookKey(app.prisma, SHOP)).split("/").pop()!;
  const club = (title: string) => c7.addClub(TENANT.tenantId, { title }).id;
  silver = (await app.prisma.tier.create({ data: { shop: SHOP, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 60_000, initialPurchaseCents: 0, durationMonths: 12, c7ClubId: club("Silver") } })).id;
  gold = (await app.prisma.tier.create({ data: { shop: SHOP, name: "Gold", handle: "gold", rank: 2, annualThresholdCents: 120_000, initialPurchaseCents: 0, durationMonths: 12, c7ClubId: club("Gold") } })).id;
  for (let i = 0; i < 24; i++) {
    const c = c7.addCustomer(TENANT.tenantId, { email: `history${i}@example.com`, firstName: `Hist${i}`, withAddress: true });
    remote.push({ id: c.id, email: `history${i}@example.com` });
  }
  // Ten of them are Silver members already (the rest are customers we have never seen).
  for (const c of remote.slice(0, 10)) {
    const r = await app.enrollments.enroll(app.prisma, SHOP, { idempotencyKey: `history-${c.id}`, tierId: silver, email: c.email, platformId: c.id });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    members.set(c.id, (await app.prisma.enrollment.findUniqueOrThrow({ where: { id: r.enrollmentId } })).customerId);
  }
  await drainQueue(app.prisma, app.Worker);
});

afterAll(async () => {
  await c7?.close();
  await app?.prisma.$disconnect();
});

let orderNo = 0;
function sale(c: { id: string; email: string } | null, at: number, subTotal: number, paid: boolean): C7Order {
  orderNo++;
  const when = new Date(at).toISOString();
  return {
    id: `hist-order-${orderNo}`,
    orderNumber: orderNo,
    orderSubmittedDate: when,
    orderPaidDate: paid ? when : null,
    paymentStatus: paid ? "Paid" : "Unpaid",
    subTotal,
    total: subTotal + 1_500,
    customerId: c?.id ?? null,
    customer: c ? { id: c.id, emails: [{ email: c.email }] } : null,
  };
}

async function readHistory() {
  const started = await app.history.startCommerce7History(app.prisma, SHOP);
  if (!started.ok) throw new Error(started.message);
  await drainQueue(app.prisma, app.Worker, { timeoutMs: 150_000 });
  return app.prisma.commerce7History.findUniqueOrThrow({ where: { id: started.id } });
}

const ours = async (c7Id: string) => (await app.prisma.customer.findFirst({ where: { shop: SHOP, commerce7CustomerId: c7Id }, select: { id: true } }))?.id;
const since = async () => {
  const { spendWindowStart } = await import("~/domain/dates");
  return spendWindowStart(new Date(), "America/Los_Angeles");
};

describe("the Commerce7 order history", () => {
  it("reads a year of orders by cursor pages: the net paid spend recorded is the fake's own sum, and nobody's tier changes", async () => {
    const now = Date.now();
    let refunds = 0;
    const sales: C7Order[] = [];
    for (let i = 0; i < 420; i++) {
      const guest = i % 25 === 0;
      const buyer = guest ? null : remote[rand(remote.length)]!;
      // Spread over the last 360 days; a few from 13 and 14 months ago, outside the year.
      const at = i % 40 === 0 ? now - (395 + rand(30)) * DAY : now - (1 + rand(359)) * DAY - rand(DAY);
      const o = c7.addOrder(TENANT.tenantId, sale(buyer, at, 1_000 + rand(60_000), i % 9 !== 0));
      sales.push(o);
      // Refunds: a part, the whole, or more than the subtotal (shipping refunded too), some days later.
      if (buyer && i % 6 === 0) {
        refunds++;
        const part = [Math.floor(o.subTotal / 3), o.subTotal, o.subTotal + 1_500][rand(3)]!;
        c7.addOrder(TENANT.tenantId, {
          id: `hist-refund-${refunds}`,
          orderSubmittedDate: new Date(Math.min(now - 1000, at + rand(20) * DAY + 1000)).toISOString(),
          orderPaidDate: new Date(Math.min(now - 1000, at + 1000)).toISOString(),
          paymentStatus: "Paid",
          subTotal: -part,
          total: -part,
          previousOrderId: o.id,
          customerId: buyer.id,
        });
      }
    }
    const window = await since();
    const expected = c7.netPaidSpend(TENANT.tenantId, window);
    const listed = c7.orders(TENANT.tenantId).filter((o) => Date.parse(o.orderSubmittedDate) >= window.getTime()).length;
    expect(listed).toBeGreaterThan(400); // more than 8 pages of 50
    // Some members' year passes Gold's threshold: the history must not upgrade them.
    expect([...members.keys()].some((id) => (expected.get(id) ?? 0) >= 120_000)).toBe(true);

    const read = await readHistory();
    expect(read).toMatchObject({ status: "completed", ordersRead: listed, ordersTotal: listed, pagesRead: Math.ceil(listed / 50), ordersKnown: 0, error: null });
    expect(read.ordersRecorded + read.refundsRecorded + read.ordersSkipped).toBe(listed);

    // Every customer's net paid spend over the year is the fake's.
    for (const c of remote) {
      const id = await ours(c.id);
      const spend = id ? await app.enrollments.recordedSpendCents(app.prisma, SHOP, id) : 0;
      expect(spend, `customer ${c.email}`).toBe(expected.get(c.id) ?? 0);
    }
    // Nothing older than the year was read.
    const old = sales.filter((o) => Date.parse(o.orderSubmittedDate) < window.getTime()).map((o) => `commerce7/Order/${o.id}`);
    expect(old.length).toBeGreaterThan(0);
    expect(await app.prisma.purchase.count({ where: { shop: SHOP, orderId: { in: old } } })).toBe(0);
    // No renewal, no upgrade: every member is still Silver, with nothing queued for them.
    for (const customerId of members.values()) {
      expect(await app.prisma.enrollment.findMany({ where: { shop: SHOP, customerId }, select: { tierId: true, status: true } })).toEqual([{ tierId: silver, status: "active" }]);
    }
    expect(await app.prisma.crmSyncQueue.count({ where: { shop: SHOP, actionType: "upgrade_membership" } })).toBe(0);
    expect(await app.prisma.enrollment.count({ where: { shop: SHOP, tierId: gold } })).toBe(0);
  }, 180_000);

  it("read twice, counts each order once: the second read finds every order known", async () => {
    const before = { purchases: await app.prisma.purchase.count({ where: { shop: SHOP } }), refunds: await app.prisma.refund.count({ where: { shop: SHOP } }) };
    const again = await readHistory();
    expect(again).toMatchObject({ status: "completed", ordersRecorded: 0, refundsRecorded: 0 });
    expect(again.ordersKnown + again.ordersSkipped).toBe(again.ordersRead);
    expect({ purchases: await app.prisma.purchase.count({ where: { shop: SHOP } }), refunds: await app.prisma.refund.count({ where: { shop: SHOP } }) }).toEqual(before);
    const expected = c7.netPaidSpend(TENANT.tenantId, await since());
    for (const c of remote) {
      const id = await ours(c.id);
      expect(id ? await app.enrollments.recordedSpendCents(app.prisma, SHOP, id) : 0, c.email).toBe(expected.get(c.id) ?? 0);
    }
  }, 180_000);

  it("beside live Order webhooks: an order read first is a duplicate when delivered, and one delivered first is known to the read", async () => {
    const buyer = remote[3]!;
    const customerId = (await ours(buyer.id))!;
    const spend0 = await app.enrollments.recordedSpendCents(app.prisma, SHOP, customerId);
    const deliver = async (o: C7Order) => {
      const request = new Request(`http://app.test/webhooks/commerce7/${key}`, { method: "POST", body: JSON.stringify({ object: "Order", action: "Create", payload: o, tenantId: TENANT.tenantId }) });
      const res = await app.c7Route.action(app.auth.routeArgs(request, { key }));
      expect(res.status).toBe(200);
      return ((await res.json()) as { status: string }).status;
    };
    // Delivered live first (counted, and judged, live), then read: known.
    const live = c7.addOrder(TENANT.tenantId, sale(buyer, Date.now() - 1000, 2_500, true));
    expect(await deliver(live)).toBe("recorded");
    // Sold in Commerce7 but its webhook not delivered yet: the read records it, then the delivery is a duplicate.
    const late = c7.addOrder(TENANT.tenantId, sale(buyer, Date.now() - 500, 3_500, true));
    const read = await readHistory();
    expect(read).toMatchObject({ status: "completed", ordersRecorded: 1 });
    expect(await deliver(late)).toBe("duplicate");
    expect(await app.enrollments.recordedSpendCents(app.prisma, SHOP, customerId)).toBe(spend0 + 2_500 + 3_500);
    expect(await app.prisma.purchase.count({ where: { shop: SHOP, orderId: { in: [live.id, late.id].map((id) => `commerce7/Order/${id}`) } } })).toBe(2);
  }, 180_000);

  it("is queued when a shop connects Commerce7 (a switch to it, or its first credentials), once while it runs", async () => {
    const { saveSettings } = await import("~/domain/settings.server");
    const reads = (shop: string) => app.prisma.commerce7History.findMany({ where: { shop }, select: { trigger: true, status: true } });
    const items = (shop: string) => app.prisma.crmSyncQueue.count({ where: { shop, actionType: "commerce7_history" } });
    const form = { crm: "commerce7", c7Tenant: TENANT.tenantId, c7AppId: TENANT.appId, c7AppSecret: TENANT.appSecret, countOrdersWhen: "paid" };
    // A Shopify shop switching to Commerce7 (no members, so nothing else moves).
    const switching = "switch-to-c7.myshopify.com";
    await app.prisma.shop.create({ data: { domain: switching } });
    expect(await saveSettings(app.prisma, switching, form)).toMatchObject({ ok: true, switched: { from: "shopify", to: "commerce7" } });
    expect(await reads(switching)).toEqual([{ trigger: "connect", status: "running" }]);
    expect(await items(switching)).toBe(1);
    // Saved again while it runs: the same read, nothing more queued.
    expect(await saveSettings(app.prisma, switching, form)).toMatchObject({ ok: true });
    expect(await reads(switching)).toHaveLength(1);
    expect(await items(switching)).toBe(1);
    // A shop on Commerce7 already, saving its first credentials.
    const fresh = "first-c7-credentials.myshopify.com";
    await app.prisma.shop.create({ data: { domain: fresh, crm: "commerce7" } });
    expect(await saveSettings(app.prisma, fresh, form)).toMatchObject({ ok: true });
    expect(await reads(fresh)).toEqual([{ trigger: "connect", status: "running" }]);
    // Saving other settings later queues nothing (credentials were there already).
    const other = "c7-no-credentials-change.myshopify.com";
    await app.prisma.shop.create({ data: { domain: other, crm: "commerce7" } });
    const { setCommerce7Credentials } = await import("~/domain/shops.server");
    await setCommerce7Credentials(app.prisma, other, { tenant: TENANT.tenantId, appId: TENANT.appId, appSecret: TENANT.appSecret });
    expect(await saveSettings(app.prisma, other, { ...form, c7AppSecret: "" })).toMatchObject({ ok: true });
    expect(await reads(other)).toEqual([]);
  });

  it("is for Commerce7 shops with credentials only", async () => {
    await app.prisma.shop.create({ data: { domain: "not-c7.myshopify.com" } });
    expect(await app.history.startCommerce7History(app.prisma, "not-c7.myshopify.com")).toEqual({ ok: false, message: expect.stringMatching(/on Shopify/) });
    expect(await app.prisma.commerce7History.count({ where: { shop: "not-c7.myshopify.com" } })).toBe(0);
  });
});
