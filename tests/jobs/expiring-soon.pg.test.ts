// Three instances of the expiring-soon job at once, on PostgreSQL (ADR 0028):
// a second connection holds the member's lock until all three runs are seen
// waiting for it, so each has read the membership as due before any records
// it. One event, one queue item, one trigger reaches the fake Shopify.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const SHOP = "soon-pg.myshopify.com";
const DAY = 86_400_000;
let shopify: FakeShopify;
let app: App & { soon: typeof import("~/domain/expiring-soon.server") };
// Imported after the environment points at the fake (it loads app modules, which read it once).
let holdMemberLock: typeof import("../support/member-lock").holdMemberLock;

beforeAll(async () => {
  shopify = await createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: "shpat_soon" }] });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  app = { ...(await importApp()), soon: await import("~/domain/expiring-soon.server") };
  ({ holdMemberLock } = await import("../support/member-lock"));
  await app.prisma.shop.create({ data: { domain: SHOP } });
  await app.auth.storeOfflineSession(SHOP, "shpat_soon");
});
afterAll(() => shopify?.close());

describe("expiring soon, three instances at once", () => {
  it("records one event and sends one trigger", async () => {
    const tier = await app.prisma.tier.create({ data: { shop: SHOP, name: "Gold", handle: "gold", rank: 1, annualThresholdCents: 100_000, initialPurchaseCents: 0, durationMonths: 12 } });
    const remote = shopify.addCustomer(SHOP, { email: "three@example.com" });
    const customer = await app.prisma.customer.create({ data: { shop: SHOP, email: "three@example.com", shopifyCustomerId: remote.id } });
    const now = new Date();
    await app.prisma.enrollment.create({ data: { shop: SHOP, customerId: customer.id, tierId: tier.id, status: "active", startedAt: new Date(now.getTime() - 350 * DAY), expiresAt: new Date(now.getTime() + 7 * DAY) } });

    const held = await holdMemberLock(app.prisma, SHOP, customer.id);
    const runs = [1, 2, 3].map(() => app.soon.notifyExpiringSoon(app.prisma, now));
    await held.waitForWriters(3);
    await held.release();
    expect((await Promise.all(runs)).map((r) => r.recorded).sort()).toEqual([0, 0, 1]);

    expect(await app.prisma.membershipEvent.count({ where: { shop: SHOP, kind: "expiring_soon" } })).toBe(1);
    expect(await app.prisma.crmSyncQueue.count({ where: { shop: SHOP, actionType: "flow_trigger" } })).toBe(1);
    await drainQueue(app.prisma, app.Worker);
    expect(await app.prisma.crmSyncQueue.findMany({ where: { shop: SHOP, actionType: "flow_trigger" }, select: { status: true, lastError: true } })).toEqual([{ status: "completed", lastError: null }]);
    expect(shopify.flowTriggers(SHOP).map((t) => [t.handle, t.payload["Days left"]])).toEqual([["club-membership-expiring-soon", 7]]);
  });
});
