// Switching a shop's platform is a guided operation (issue 12): Settings shows
// what will happen, the switch queues per member the removal from the old
// platform and the add on the new one through the normal queue, and items
// queued before the switch still run against the platform they were queued
// for. Through the real Settings route, the real worker and the fake platforms.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeCommerce7, type FakeCommerce7 } from "../../sandbox/fakes/commerce7";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const SHOP = "switching.myshopify.com";
const REFUSED = "switch-refused.myshopify.com";
const TENANT = { tenantId: "switching-cellar", appId: "app", appSecret: "secret" };
let shopify: FakeShopify;
let c7: FakeCommerce7;
let app: App & { settings: typeof import("~/routes/app.settings") };
const clubs: Record<string, string> = {};
const tiers: Record<string, string> = {};

beforeAll(async () => {
  shopify = await createFakeShopifyAdmin({ shops: [SHOP, REFUSED].map((domain) => ({ domain, accessToken: "shpat_test" })) });
  c7 = await createFakeCommerce7({ tenants: [TENANT] });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  process.env.COMMERCE7_API_URL = `${c7.url}/v1`;
  app = { ...(await importApp()), settings: await import("~/routes/app.settings") };
  for (const shop of [SHOP, REFUSED]) {
    await app.prisma.shop.create({ data: { domain: shop } });
    for (const [rank, handle] of [
      [1, "silver"],
      [2, "gold"],
    ] as const) {
      // The tiers are mapped to clubs while the shop is still on Shopify (Settings' club mapping); REFUSED's Gold is not.
      const clubId = shop === SHOP || handle === "silver" ? (clubs[handle] ??= c7.addClub(TENANT.tenantId, { title: handle }).id) : null;
      const t = await app.prisma.tier.create({ data: { shop, name: handle === "gold" ? "Gold" : "Silver", handle, rank, annualThresholdCents: 1_000_000, initialPurchaseCents: 0, durationMonths: 12, c7ClubId: clubId } });
      tiers[`${shop}:${handle}`] = t.id;
    }
    await app.auth.storeOfflineSession(shop, "shpat_test");
  }
});

afterAll(async () => {
  await shopify?.close();
  await c7?.close();
});

const drain = () => drainQueue(app.prisma, app.Worker, { timeoutMs: 60_000 });

async function enrollMember(shop: string, i: number, tier = "silver") {
  const email = `member${i}@${shop}`;
  const remote = shopify.addCustomer(shop, { email, firstName: "Mem", lastName: `Ber${i}` });
  // The same person is in the Commerce7 tenant, with an address (a club membership needs one).
  c7.addCustomer(TENANT.tenantId, { email, firstName: "Mem", lastName: `Ber${i}`, withAddress: true });
  const r = await app.enrollments.enroll(app.prisma, shop, { idempotencyKey: `switch-${shop}-${i}`, tierId: tiers[`${shop}:${tier}`], email, firstName: "Mem", lastName: `Ber${i}`, platformId: remote.id });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return { email, gid: remote.id, customerId: r.customerId, enrollmentId: r.enrollmentId };
}

async function settingsPage(shop: string) {
  return app.settings.loader(app.auth.routeArgs(await app.auth.adminGet(shop, "/app/settings")));
}

async function saveSettings(shop: string, crm: string) {
  const request = await app.auth.adminPost(shop, "/app/settings", { intent: "save", crm, c7Tenant: TENANT.tenantId, c7AppId: TENANT.appId, c7AppSecret: TENANT.appSecret, alertEmail: "" });
  return app.settings.action(app.auth.routeArgs(request));
}

const clubTags = (gid: string) => shopify.shop(SHOP).customers.get(gid)!.tags.filter((t) => t.startsWith("club:"));
const c7CustomerOf = (email: string) => [...c7.tenant(TENANT.tenantId).customers.values()].find((c) => c.emails[0]!.email === email)!;

describe("switching platforms", () => {
  it("a shop with 20 members from Shopify to Commerce7: each ends with one Commerce7 membership and nothing of ours on Shopify; items queued before the switch ran against Shopify", async () => {
    // 12 members synced to Shopify (tag and metafield), 8 whose add is still queued.
    const members = [];
    for (let i = 0; i < 12; i++) members.push(await enrollMember(SHOP, i, i % 3 === 0 ? "gold" : "silver"));
    await drain();
    expect(clubTags(members[0]!.gid)).toEqual(["club:gold"]);
    expect(shopify.appMetafield(SHOP, members[1]!.gid, "membership")).toMatchObject({ tier: "silver" });
    for (let i = 12; i < 20; i++) members.push(await enrollMember(SHOP, i));
    // And two tier changes queued, not yet run.
    for (const m of members.slice(1, 3)) {
      const moved = await app.enrollments.changeTier(app.prisma, SHOP, m.enrollmentId, tiers[`${SHOP}:gold`]!);
      expect(moved.ok).toBe(true);
    }
    const before = await app.prisma.crmSyncQueue.findMany({ where: { shop: SHOP, actionType: { not: "flow_trigger" } }, select: { id: true, status: true, platform: true } });
    expect(before.filter((q) => q.status === "pending")).toHaveLength(10);
    expect(new Set(before.map((q) => q.platform))).toEqual(new Set(["shopify"]));

    // Settings says what will happen before the switch.
    const page = await settingsPage(SHOP);
    expect(page.switchPreview).toEqual({ from: "shopify", to: "commerce7", activeMembers: 20, tiersWithoutClub: [], refusal: null });

    const saved = await saveSettings(SHOP, "commerce7");
    expect(saved).toEqual({ intent: "save", ok: true, switched: { from: "shopify", to: "commerce7", members: 20 } });
    expect((await app.prisma.shop.findUniqueOrThrow({ where: { domain: SHOP } })).crm).toBe("commerce7");

    await drain();

    // Items queued before the switch ran against Shopify (the Shopify processor's result), and completed.
    const earlier = await app.prisma.crmSyncQueue.findMany({ where: { id: { in: before.map((q) => q.id) } } });
    for (const q of earlier) {
      expect([q.platform, q.status]).toEqual(["shopify", "completed"]);
      expect(JSON.parse(q.result!)).toHaveProperty("customerGid");
    }
    for (const m of members) {
      const active = await app.prisma.enrollment.findFirstOrThrow({ where: { customerId: m.customerId, status: "active" }, include: { tier: true, customer: true } });
      // One Commerce7 membership, in the member's tier's club.
      const remote = c7CustomerOf(m.email);
      expect(c7.memberships(TENANT.tenantId, remote.id).filter((x) => x.status === "Active").map((x) => x.clubId)).toEqual([active.tier.c7ClubId]);
      expect(active.customer).toMatchObject({ shopifyCustomerId: m.gid, commerce7CustomerId: remote.id });
      expect(active.syncState).toBe("synced");
      // Nothing of Club Tiers left on Shopify.
      expect(clubTags(m.gid)).toEqual([]);
      expect(shopify.appMetafield(SHOP, m.gid, "membership")).toBeNull();
      // The switch's two items for the member: the removal on Shopify, then the add on Commerce7.
      const moved = await app.prisma.crmSyncQueue.findMany({ where: { customerId: m.customerId, actionType: { not: "flow_trigger" }, id: { notIn: before.map((q) => q.id) } }, orderBy: { createdAt: "asc" } });
      expect(moved.map((q) => [q.actionType, q.platform, q.status])).toEqual([
        ["leave_platform", "shopify", "completed"],
        ["add_membership", "commerce7", "completed"],
      ]);
    }
    expect(c7.memberships(TENANT.tenantId).filter((x) => x.status === "Active")).toHaveLength(20);
  }, 120_000);

  it("is refused while a tier with members has no Commerce7 club, and Settings says so first; nothing changes", async () => {
    await enrollMember(REFUSED, 100, "gold");
    const page = await settingsPage(REFUSED);
    expect(page.switchPreview).toMatchObject({ activeMembers: 1, tiersWithoutClub: [{ name: "Gold", members: 1 }] });
    expect(page.switchPreview.refusal).toMatch(/Gold \(1 member\) has none/);
    const items = await app.prisma.crmSyncQueue.count({ where: { shop: REFUSED } });

    const saved = await saveSettings(REFUSED, "commerce7");

    expect(saved).toMatchObject({ intent: "save", ok: false, errors: { crm: expect.stringMatching(/Map every tier with members to a Commerce7 club first/) } });
    expect((await app.prisma.shop.findUniqueOrThrow({ where: { domain: REFUSED } })).crm).toBe("shopify");
    expect(await app.prisma.crmSyncQueue.count({ where: { shop: REFUSED } })).toBe(items);
  });
});
