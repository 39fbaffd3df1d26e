// The Commerce7 order catch-up (ADR 0021) after a 2-hour outage of our
// endpoint: the fake Commerce7 delivers Order webhooks over real HTTP to the
// real route (the URL Settings shows), logs what fails in its web hook log,
// and the catch-up reads GET /web-hook-log?isSuccess=false back through the
// real client and records each missed order once. Spend, the upgrade through
// the queue and the fake's membership follow; a second catch-up (or a
// delivery that also got through) changes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeCommerce7, type FakeCommerce7 } from "../../sandbox/fakes/commerce7";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";
import { serveAction } from "../support/route-server";

const SHOP = "c7-catch-up.myshopify.com";
const TENANT = { tenantId: "catch-up-wine", appId: "app", appSecret: "secret" };
const HOUR = 3_600_000;
let clock = Date.now() - 3 * HOUR;
let c7: FakeCommerce7;
let endpoint: Awaited<ReturnType<typeof serveAction>>;
let app: App & { catchUp: typeof import("~/domain/commerce7-catch-up.server") };
let clubs: { silver: string; gold: string };
let silver = "";

beforeAll(async () => {
  c7 = await createFakeCommerce7({ tenants: [TENANT], now: () => clock });
  process.env.COMMERCE7_API_URL = `${c7.url}/v1`;
  app = { ...(await importApp()), catchUp: await import("~/domain/commerce7-catch-up.server") };
  const route = await import("~/routes/webhooks.commerce7.$key");
  endpoint = await serveAction(route.action, (path) => ({ key: path.split("/").pop() ?? "" }));
  const { setCommerce7Credentials } = await import("~/domain/shops.server");
  await setCommerce7Credentials(app.prisma, SHOP, { tenant: TENANT.tenantId, appId: TENANT.appId, appSecret: TENANT.appSecret });
  await app.prisma.shop.update({ where: { domain: SHOP }, data: { crm: "commerce7" } });
  const { rotateCommerce7WebhookKey } = await import("~/domain/commerce7-webhook.server");
  const url = new URL(await rotateCommerce7WebhookKey(app.prisma, SHOP));
  // The merchant pastes it into Commerce7, with Basic auth on both web hooks.
  const { setCommerce7WebhookAuth } = await import("~/domain/commerce7-webhook.server");
  await setCommerce7WebhookAuth(app.prisma, SHOP, { c7WebhookUsername: "c7", c7WebhookPassword: "hook-pass" });
  for (const action of ["Create", "Update"]) c7.addWebhook(TENANT.tenantId, { object: "Order", action, url: `${endpoint.origin}${url.pathname}`, username: "c7", password: "hook-pass" });
  clubs = { silver: c7.addClub(TENANT.tenantId, { title: "Silver" }).id, gold: c7.addClub(TENANT.tenantId, { title: "Gold" }).id };
  silver = (await app.prisma.tier.create({ data: { shop: SHOP, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 60_000, initialPurchaseCents: 0, durationMonths: 12, c7ClubId: clubs.silver } })).id;
  await app.prisma.tier.create({ data: { shop: SHOP, name: "Gold", handle: "gold", rank: 2, annualThresholdCents: 120_000, initialPurchaseCents: 0, durationMonths: 12, c7ClubId: clubs.gold } });
});

afterAll(async () => {
  await endpoint?.close();
  await c7?.close();
  await app?.prisma.$disconnect();
});

let orders = 0;
function order(customer: { id: string; email: string }, subTotal: number, over: Record<string, unknown> = {}) {
  orders++;
  const at = new Date(clock).toISOString();
  return { id: `catch-up-order-${orders}`, orderSubmittedDate: at, orderPaidDate: at, paymentStatus: "Paid", subTotal, total: subTotal + 1_000, customerId: customer.id, customer: { id: customer.id, emails: [{ email: customer.email }] }, ...over };
}
const state = async () => ({
  purchases: await app.prisma.purchase.findMany({ where: { shop: SHOP }, select: { orderId: true, countedAt: true }, orderBy: { orderId: "asc" } }),
  refunds: await app.prisma.refund.count({ where: { shop: SHOP } }),
  items: await app.prisma.crmSyncQueue.count({ where: { shop: SHOP } }),
});

describe("the Commerce7 order catch-up", () => {
  it("after a 2-hour outage records every missed order once: spend, the refund, and the upgrade through the queue", async () => {
    const remote = c7.addCustomer(TENANT.tenantId, { email: "late@example.com", firstName: "Lou", withAddress: true });
    const buyer = { id: remote.id, email: "late@example.com" };
    const r = await app.enrollments.enroll(app.prisma, SHOP, { idempotencyKey: "catch-up-1", tierId: silver, email: buyer.email, platformId: remote.id });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const customerId = (await app.prisma.enrollment.findUniqueOrThrow({ where: { id: r.enrollmentId } })).customerId;
    await drainQueue(app.prisma, app.Worker);

    // A first run sets the checkpoint; nothing has failed yet.
    expect(await app.catchUp.catchUpCommerce7Orders(app.prisma, new Date(clock))).toMatchObject({ shops: 1, read: 0, failedShops: 0 });

    // Before the outage: delivered live.
    clock += 10 * 60_000;
    const first = order(buyer, 50_000);
    expect((await c7.emit(TENANT.tenantId, "Order", "Create", first)).map((l) => l.isSuccess)).toEqual([true]);
    expect(await app.enrollments.recordedSpendCents(app.prisma, SHOP, customerId)).toBe(50_000);

    // Our endpoint is down for two hours; Commerce7 keeps selling.
    endpoint.down();
    clock += 20 * 60_000;
    const unpaid = order(buyer, 40_000, { orderPaidDate: null, paymentStatus: "Unpaid" });
    const missed = [
      await c7.emit(TENANT.tenantId, "Order", "Create", unpaid),
      (clock += 30 * 60_000, await c7.emit(TENANT.tenantId, "Order", "Update", { ...unpaid, orderPaidDate: new Date(clock).toISOString(), paymentStatus: "Paid" })),
      (clock += 30 * 60_000, await c7.emit(TENANT.tenantId, "Order", "Create", order(buyer, 45_000))),
      (clock += 30 * 60_000, await c7.emit(TENANT.tenantId, "Order", "Create", order(buyer, -5_000, { previousOrderId: first.id, total: -5_500 }))),
    ].flat();
    expect(missed.map((l) => [l.isSuccess, l.error?.status])).toEqual(Array(4).fill([false, 503]));
    clock += 30 * 60_000;
    endpoint.up();
    expect(await state()).toMatchObject({ purchases: [{ orderId: `commerce7/Order/${first.id}` }], refunds: 0 });

    // Back: a live order, then the catch-up.
    clock += 5 * 60_000;
    expect((await c7.emit(TENANT.tenantId, "Order", "Create", order(buyer, 1_000))).map((l) => l.isSuccess)).toEqual([true]);
    clock += 10 * 60_000;
    expect(await app.catchUp.catchUpCommerce7Orders(app.prisma, new Date(clock))).toEqual({ shops: 1, read: 4, recorded: 4, duplicates: 0, invalid: 0, failedShops: 0 });

    // 500 + 400 + 450 + 10 counted, 50 refunded: 1,310.00 over Gold's 1,200.00.
    expect(await app.enrollments.recordedSpendCents(app.prisma, SHOP, customerId)).toBe(131_000);
    const after = await state();
    expect(after.purchases).toHaveLength(4);
    expect(after.purchases.every((p) => p.countedAt)).toBe(true);
    expect(after.refunds).toBe(1);
    expect(await app.prisma.crmSyncQueue.count({ where: { shop: SHOP, customerId, actionType: "upgrade_membership" } })).toBe(1);
    await drainQueue(app.prisma, app.Worker);
    expect(c7.memberships(TENANT.tenantId, remote.id).filter((m) => m.status === "Active").map((m) => m.clubId)).toEqual([clubs.gold]);

    // The next run starts from the new checkpoint; a run that reads the whole
    // window again (another instance, an older checkpoint) changes nothing.
    clock += 15 * 60_000;
    const settled = await state();
    expect(await app.catchUp.catchUpCommerce7Orders(app.prisma, new Date(clock))).toMatchObject({ read: 0, recorded: 0 });
    expect(await app.catchUp.catchUpShop(app.prisma, SHOP, null, new Date(clock))).toEqual({ read: 4, recorded: 0, duplicates: 4, invalid: 0 });
    expect(await state()).toEqual(settled);
    expect((await app.prisma.shop.findUniqueOrThrow({ where: { domain: SHOP } })).c7WebhookLogCheckedAt).toEqual(new Date(clock));
  });

  it("Commerce7 down: the run fails for that shop, the checkpoint stays, and the next run reads the window again", async () => {
    const before = (await app.prisma.shop.findUniqueOrThrow({ where: { domain: SHOP } })).c7WebhookLogCheckedAt;
    c7.faults.set({ mode: "500", match: "/web-hook-log" });
    clock += 15 * 60_000;
    expect(await app.catchUp.catchUpCommerce7Orders(app.prisma, new Date(clock))).toMatchObject({ shops: 1, failedShops: 1 });
    expect((await app.prisma.shop.findUniqueOrThrow({ where: { domain: SHOP } })).c7WebhookLogCheckedAt).toEqual(before);
    await c7.faults.clear();
    expect(await app.catchUp.catchUpCommerce7Orders(app.prisma, new Date(clock))).toMatchObject({ failedShops: 0 });
  });
});
