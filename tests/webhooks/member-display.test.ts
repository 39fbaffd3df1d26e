// The member's `$app:membership` metafield follows their spend (ADR 0027):
// signed order webhooks through the real route, the real worker, and the fake
// Shopify Admin's request log to count what was written. A burst of orders is
// one coalesced refresh per member, not one write per order.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const SHOP = "display.myshopify.com";
let shopify: FakeShopify;
let app: App & { webhook: typeof import("~/routes/webhooks.orders.create"); refunds: typeof import("~/routes/webhooks.refunds.create") };
const tiers: Record<string, string> = {};

beforeAll(async () => {
  shopify = await createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: "shpat_test" }] });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  app = { ...(await importApp()), webhook: await import("~/routes/webhooks.orders.create"), refunds: await import("~/routes/webhooks.refunds.create") };
  await app.prisma.shop.create({ data: { domain: SHOP, timezone: "America/Los_Angeles", currency: "USD" } });
  for (const [rank, handle, name, threshold] of [
    [1, "silver", "Silver", 60_000],
    [2, "gold", "Gold", 1_000_000],
  ] as const) {
    tiers[handle] = (await app.prisma.tier.create({ data: { shop: SHOP, name, handle, rank, annualThresholdCents: threshold, initialPurchaseCents: 0, durationMonths: 12, discountPercent: 5 * rank } })).id;
  }
  await app.auth.storeOfflineSession(SHOP);
});

afterAll(async () => {
  await shopify?.close();
});

let n = 0;
function order(customer: { id: number; email: string }, amount: string) {
  n++;
  const id = 6_000_000_000 + n;
  return {
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    created_at: new Date().toISOString(),
    cancelled_at: null,
    test: false,
    currency: "USD",
    financial_status: "paid",
    email: customer.email,
    current_subtotal_price_set: { shop_money: { amount, currency_code: "USD" } },
    customer: { id: customer.id, admin_graphql_api_id: `gid://shopify/Customer/${customer.id}`, email: customer.email, first_name: "Ada", last_name: "Vine" },
  };
}

/**
 * One signed delivery, delivered again after a 503 as Shopify does: 20 orders
 * of one member at once wait for each other's member lock, and on a loaded
 * PostgreSQL some wait past Prisma's 2 s to start a transaction (the route
 * answers 503 and records nothing).
 */
async function deliver(topic: "orders/create" | "refunds/create", body: unknown) {
  const handler = topic === "orders/create" ? app.webhook : app.refunds;
  for (let attempt = 1; ; attempt++) {
    const res = (await handler.action(app.auth.routeArgs(app.auth.webhookRequest(SHOP, topic, body)))) as Response;
    if (res.status === 503 && attempt < 5) continue;
    expect(res.status).toBe(200);
    return res;
  }
}

/** A synced Silver member: their Shopify customer and numeric id, as orders carry it. */
async function member(email: string) {
  const remote = shopify.addCustomer(SHOP, { email, firstName: "Ada", lastName: "Vine" });
  const result = await app.enrollments.enroll(app.prisma, SHOP, { idempotencyKey: `enroll-${email}`, tierId: tiers.silver, email, firstName: "Ada", lastName: "Vine", platformId: remote.id });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  await drainQueue(app.prisma, app.Worker);
  return { gid: remote.id, id: Number(remote.id.split("/").pop()), email };
}

/** metafieldsSet requests the fake answered for this customer. */
const metafieldWrites = (gid: string) =>
  shopify.requests().filter((r) => r.operationName === "ClubMetafieldsSet" && JSON.stringify((r.body as { variables?: unknown }).variables).includes(`"ownerId":"${gid}"`)).length;

type Shown = { status: string; spendMinor: number; next: { name: string; thresholdMinor: number; by: string } | null; expiresAt: string };
const shown = (gid: string) => shopify.appMetafield(SHOP, gid, "membership") as Shown;

describe("the member's metafield follows their spend", () => {
  it("an order's spend is in the metafield once the queue drains, with the next tier and its deadline; a refund takes it back out", async () => {
    const m = await member("spend@example.com");
    expect(shown(m.gid)).toMatchObject({ status: "active", spendMinor: 0, next: { name: "Gold", thresholdMinor: 1_000_000 } });

    await deliver("orders/create", order(m, "123.45"));
    // Nothing reaches Shopify from the webhook itself: the refresh is queued.
    expect(shown(m.gid).spendMinor).toBe(0);
    await drainQueue(app.prisma, app.Worker);
    const after = shown(m.gid);
    expect(after).toMatchObject({ status: "active", spendMinor: 12_345, currency: "USD", zone: "America/Los_Angeles", tier: "silver" });
    // Spend more by the membership's last local day (orders after it count for no membership).
    expect(after.next!.by).toBe(after.expiresAt);

    const placed = order(m, "50.00");
    await deliver("orders/create", placed);
    await drainQueue(app.prisma, app.Worker);
    expect(shown(m.gid).spendMinor).toBe(17_345);
    await deliver("refunds/create", {
      id: 990_001,
      order_id: placed.id,
      created_at: new Date().toISOString(),
      refund_line_items: [{ id: 1, quantity: 1, subtotal_set: { shop_money: { amount: "50.00", currency_code: "USD" } } }],
    });
    await drainQueue(app.prisma, app.Worker);
    expect(shown(m.gid).spendMinor).toBe(12_345);
  });

  it("20 orders at once are one refresh and one metafield write, not 20", async () => {
    const m = await member("burst@example.com");
    const before = metafieldWrites(m.gid);
    await Promise.all(Array.from({ length: 20 }, () => deliver("orders/create", order(m, "10.00"))));
    const customer = await app.prisma.customer.findFirstOrThrow({ where: { shop: SHOP, email: m.email } });
    expect(await app.prisma.crmSyncQueue.count({ where: { shop: SHOP, customerId: customer.id, actionType: "refresh_member", status: "pending" } })).toBe(1);
    await drainQueue(app.prisma, app.Worker);
    expect(metafieldWrites(m.gid) - before).toBe(1);
    expect(shown(m.gid).spendMinor).toBe(20_000);
  });

  it("20 orders arriving while a refresh is running queue one more: two writes, the last with all 20", async () => {
    const m = await member("running@example.com");
    const customer = await app.prisma.customer.findFirstOrThrow({ where: { shop: SHOP, email: m.email } });
    await deliver("orders/create", order(m, "1.00"));
    const before = metafieldWrites(m.gid);
    // The refresh starts (gives its key up, reads the member) and then waits on Shopify's answer.
    shopify.faults.set({ mode: "slow", delayMs: 1_500, match: "ClubMemberState", times: 1 });
    const worker = new app.Worker({ db: app.prisma, concurrency: 1, pollIntervalMs: 20, leaseMs: 30_000, backoff: { baseMs: 10, capMs: 50 }, paceRates: {}, pruneEveryMs: 0 });
    worker.start();
    try {
      for (let i = 0; i < 200; i++) {
        const running = await app.prisma.crmSyncQueue.count({ where: { shop: SHOP, customerId: customer.id, actionType: "refresh_member", status: "processing", NOT: { idempotencyKey: `refresh:${customer.id}` } } });
        if (running) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await Promise.all(Array.from({ length: 20 }, () => deliver("orders/create", order(m, "10.00"))));
    } finally {
      await worker.stop();
    }
    shopify.faults.set();
    await drainQueue(app.prisma, app.Worker);
    const refreshes = await app.prisma.crmSyncQueue.count({ where: { shop: SHOP, customerId: customer.id, actionType: "refresh_member", createdAt: { gt: new Date(Date.now() - 60_000) } } });
    expect(refreshes).toBe(2);
    const writes = metafieldWrites(m.gid) - before;
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(writes).toBeLessThanOrEqual(2);
    expect(shown(m.gid).spendMinor).toBe(20_100);
  });

  it("a cancelled member's metafield says so with the merchant's line from Settings, and keeps no benefit", async () => {
    const m = await member("ended@example.com");
    const settings = await import("~/domain/settings.server");
    expect(await settings.saveSettings(app.prisma, SHOP, { crm: "shopify", memberEndedMessage: "  Rejoin any time at the cellar door.  " })).toMatchObject({ ok: true });
    expect(await settings.saveSettings(app.prisma, SHOP, { crm: "shopify", memberEndedMessage: "x".repeat(301) })).toMatchObject({ ok: false, errors: { memberEndedMessage: expect.any(String) } });
    const customer = await app.prisma.customer.findFirstOrThrow({ where: { shop: SHOP, email: m.email } });
    const enrollment = await app.prisma.enrollment.findFirstOrThrow({ where: { shop: SHOP, customerId: customer.id, status: "active" } });
    expect(await app.enrollments.cancelMembership(app.prisma, SHOP, enrollment.id)).toMatchObject({ ok: true });
    await drainQueue(app.prisma, app.Worker);
    const value = shopify.appMetafield(SHOP, m.gid, "membership");
    expect(value).toMatchObject({ status: "cancelled", tierName: "Silver", message: "Rejoin any time at the cellar door." });
    expect(value).not.toHaveProperty("tier");
    expect(shopify.shop(SHOP).customers.get(m.gid)!.tags).toEqual([]);
  });

  it("a new Settings line reaches members who had already ended, and a renamed tier its members, each through one shop item", async () => {
    const gone = await member("gone-before@example.com");
    const stays = await member("stays@example.com");
    const customer = await app.prisma.customer.findFirstOrThrow({ where: { shop: SHOP, email: gone.email } });
    const enrollment = await app.prisma.enrollment.findFirstOrThrow({ where: { shop: SHOP, customerId: customer.id, status: "active" } });
    expect(await app.enrollments.cancelMembership(app.prisma, SHOP, enrollment.id)).toMatchObject({ ok: true });
    await drainQueue(app.prisma, app.Worker);
    const settings = await import("~/domain/settings.server");
    // Saved twice before the worker runs: one shop item.
    for (const line of ["Our next tasting is in May.", "Our next tasting is on 3 May."]) {
      expect(await settings.saveSettings(app.prisma, SHOP, { crm: "shopify", memberEndedMessage: line })).toMatchObject({ ok: true });
    }
    expect(await app.prisma.crmSyncQueue.count({ where: { shop: SHOP, actionType: "refresh_members_display", status: "pending" } })).toBe(1);
    // Saving the same line again queues nothing new.
    await drainQueue(app.prisma, app.Worker);
    expect(await settings.saveSettings(app.prisma, SHOP, { crm: "shopify", memberEndedMessage: "Our next tasting is on 3 May." })).toMatchObject({ ok: true });
    expect(await app.prisma.crmSyncQueue.count({ where: { shop: SHOP, actionType: "refresh_members_display", status: "pending" } })).toBe(0);
    expect(shopify.appMetafield(SHOP, gone.gid, "membership")).toMatchObject({ status: "cancelled", message: "Our next tasting is on 3 May." });

    const tiersApi = await import("~/domain/tiers.server");
    const silver = await app.prisma.tier.findUniqueOrThrow({ where: { id: tiers.silver } });
    const saved = await tiersApi.saveTier(app.prisma, SHOP, silver.id, {
      name: "Silver Circle",
      annualThreshold: "600",
      initialPurchase: "0",
      durationMonths: "12",
      rank: "1",
      discountPercent: "5",
      upgradable: "on",
    });
    expect(saved).toMatchObject({ ok: true });
    await drainQueue(app.prisma, app.Worker);
    expect(shopify.appMetafield(SHOP, stays.gid, "membership")).toMatchObject({ status: "active", tierName: "Silver Circle", tier: "silver" });
  });

  it("at boot, metafields written before the display fields (v1) are brought up to date once per shop", async () => {
    const m = await member("old-value@example.com");
    // As the app wrote it before ADR 0027.
    const customer = shopify.shop(SHOP).customers.get(m.gid)!;
    const v1 = { tier: "silver", tierId: tiers.silver, expiresAt: "2027-12-01", since: "2026-12-01T00:00:00.000Z" };
    customer.metafields.get("$app.membership")!.value = JSON.stringify(v1);
    expect(shopify.appMetafield(SHOP, m.gid, "membership")).toEqual(v1);

    const { queueDisplayUpgrade } = await import("~/domain/member-display.server");
    const [first, second] = [await queueDisplayUpgrade(app.prisma), await queueDisplayUpgrade(app.prisma)];
    expect(first).toBeGreaterThanOrEqual(1);
    expect(second).toBe(0);
    await drainQueue(app.prisma, app.Worker);
    expect(shopify.appMetafield(SHOP, m.gid, "membership")).toMatchObject({ v: 2, status: "active", tierName: expect.any(String) });
    expect(await queueDisplayUpgrade(app.prisma)).toBe(0);
  });

  it("a refresh the merchant discarded while it waited does not hold the member's key: the next order queues a new one", async () => {
    const m = await member("discarded@example.com");
    const customer = await app.prisma.customer.findFirstOrThrow({ where: { shop: SHOP, email: m.email } });
    await deliver("orders/create", order(m, "5.00"));
    const pending = await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { shop: SHOP, customerId: customer.id, actionType: "refresh_member", status: "pending" } });
    const { discard } = await import("~/queue/manual.server");
    expect(await discard(app.prisma, SHOP, pending.id, { by: "1", reason: "testing" })).toMatchObject({ ok: true });
    await deliver("orders/create", order(m, "7.00"));
    const next = await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { shop: SHOP, customerId: customer.id, actionType: "refresh_member", status: "pending" } });
    expect(next.id).not.toBe(pending.id);
    await drainQueue(app.prisma, app.Worker);
    expect(shown(m.gid).spendMinor).toBe(1_200);
  });
});
