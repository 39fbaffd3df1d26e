// Every remote write of the sync, with its reply lost (the fakes' `ghost`
// fault: the platform applies the request, then the connection drops or the
// answer comes after our timeout), retried by the real worker: each converges,
// the platform holds one customer, one discount, one membership, and the item
// ends `completed`. Shopify's search lagging behind writes cannot make a
// second customer either.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createFakeCommerce7, type FakeCommerce7 } from "../../sandbox/fakes/commerce7";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const SHOPIFY_SHOP = "ghosts.myshopify.com";
const C7_SHOP = "ghost-cellar.myshopify.com";
const TENANT = { tenantId: "ghost-cellar", appId: "app", appSecret: "secret" };
let shopify: FakeShopify;
let c7: FakeCommerce7;
let app: App & { tiers: typeof import("~/domain/tiers.server") };
let silverShopify: string;
let silverC7: string;
let club: string;

beforeAll(async () => {
  shopify = await createFakeShopifyAdmin({ shops: [{ domain: SHOPIFY_SHOP, accessToken: "shpat_ghost" }] });
  c7 = await createFakeCommerce7({ tenants: [TENANT] });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  process.env.COMMERCE7_API_URL = `${c7.url}/v1`;
  // Commerce7 calls give up after 400 ms: a `late` ghost answers after 1 s.
  process.env.COMMERCE7_TIMEOUT_MS = "400";
  // Retries due at once (an inline Commerce7 sync that timed out is retried by the worker).
  process.env.QUEUE_BACKOFF_BASE_MS = "20";
  process.env.QUEUE_BACKOFF_CAP_MS = "50";
  app = { ...(await importApp()), tiers: await import("~/domain/tiers.server") };
  const { setCommerce7Credentials } = await import("~/domain/shops.server");
  await app.prisma.shop.create({ data: { domain: SHOPIFY_SHOP } });
  await setCommerce7Credentials(app.prisma, C7_SHOP, { tenant: TENANT.tenantId, appId: TENANT.appId, appSecret: TENANT.appSecret });
  await app.prisma.shop.update({ where: { domain: C7_SHOP }, data: { crm: "commerce7" } });
  club = c7.addClub(TENANT.tenantId, { title: "Silver" }).id;
  const tier = (shop: string, c7ClubId: string | null) =>
    app.prisma.tier.create({
      data: { shop, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 0, initialPurchaseCents: 0, durationMonths: 12, discountPercent: 10, c7ClubId },
    });
  silverShopify = (await tier(SHOPIFY_SHOP, null)).id;
  silverC7 = (await tier(C7_SHOP, club)).id;
  await app.auth.storeOfflineSession(SHOPIFY_SHOP, "shpat_ghost");
  await app.auth.storeOfflineSession(C7_SHOP);
});
afterAll(() => Promise.all([shopify.close(), c7.close()]));
beforeEach(async () => {
  shopify.faults.clear();
  c7.faults.clear();
  shopify.setSearchLag(0);
  shopify.clearRequests();
  c7.clearRequests();
  await app.prisma.crmSyncQueue.deleteMany({});
});

let n = 0;
async function enroll(shop: string, tierId: string, email: string, platformId = "") {
  const r = await app.enrollments.enroll(app.prisma, shop, { idempotencyKey: `lost-reply-${++n}`, tierId, email, firstName: "Gho", lastName: "St", platformId });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.enrollmentId;
}

/** Runs the real worker, with retries due quickly, until nothing is due. */
const drain = () => drainQueue(app.prisma, app.Worker, { backoff: { baseMs: 20, capMs: 50 } });

async function items(shop: string) {
  return (await app.prisma.crmSyncQueue.findMany({ where: { shop, actionType: { not: "flow_trigger" } }, include: { attemptsLog: { orderBy: { startedAt: "asc" } } } })).map((i) => ({
    action: i.actionType,
    status: i.status,
    outcomes: i.attemptsLog.map((a) => a.outcome),
  }));
}

const shopifyCustomers = (email: string) => [...shopify.shop(SHOPIFY_SHOP).customers.values()].filter((c) => c.email === email);
const ghosted = (fake: FakeShopify | FakeCommerce7, match: string) => fake.requests().filter((r) => r.fault === "ghost" && ((r.operationName ?? "").includes(match) || r.path.includes(match)));

describe("Shopify: a write applied, its reply lost, then retried", () => {
  it.each([
    ["the customer create", "ClubCustomerSet"],
    ["the tag", "ClubTagsAdd"],
    ["the membership metafield", "ClubMetafieldsSet"],
  ])("%s (%s): one customer, tagged, with the metafield, and the item completed", async (_what, operation) => {
    const email = `ghost-${operation.toLowerCase()}@example.com`;
    shopify.faults.set({ mode: "ghost", match: operation, times: 1 });
    await enroll(SHOPIFY_SHOP, silverShopify, email);
    await drain();

    expect(ghosted(shopify, operation)).toHaveLength(1);
    const [customer, ...others] = shopifyCustomers(email);
    expect(others).toEqual([]);
    expect(customer!.tags).toEqual(["club:silver"]);
    expect(shopify.appMetafield(SHOPIFY_SHOP, customer!.id, "membership")).toMatchObject({ tier: "silver" });
    expect(await items(SHOPIFY_SHOP)).toEqual([{ action: "add_membership", status: "completed", outcomes: ["retry", "success"] }]);
    const local = await app.prisma.customer.findFirstOrThrow({ where: { shop: SHOPIFY_SHOP, email } });
    expect(local.shopifyCustomerId).toBe(customer!.id);
  });

  it("with a 2 s search lag, a new customer whose first create was a ghost ends as one Shopify customer", async () => {
    const email = "lagged-ghost@example.com";
    shopify.setSearchLag(2_000);
    shopify.faults.set({ mode: "ghost", match: "ClubCustomerSet", times: 1 });
    const started = Date.now();
    await enroll(SHOPIFY_SHOP, silverShopify, email);
    await drain();

    // The retry came well inside the lag: its search could not see the customer the lost create made.
    const log = shopify.requests().filter((r) => r.operationName === "ClubCustomerSet");
    expect(log).toHaveLength(2);
    expect(log[1]!.at - started).toBeLessThan(2_000);
    expect(shopifyCustomers(email)).toHaveLength(1);
    expect(shopifyCustomers(email)[0]!.tags).toEqual(["club:silver"]);
    expect(await items(SHOPIFY_SHOP)).toEqual([{ action: "add_membership", status: "completed", outcomes: ["retry", "success"] }]);
  });

  it("the discount create: one discount, found again by its tag although the merchant renamed it", async () => {
    shopify.faults.set({ mode: "ghost", match: "ClubDiscountCreate", times: 1 });
    // Renamed by the merchant between our lost create and the retry.
    const rename = setInterval(() => {
      for (const d of shopify.shop(SHOPIFY_SHOP).discounts.values()) d.title = "Members 10% (renamed)";
    }, 5);
    try {
      const saved = await app.tiers.saveTier(app.prisma, SHOPIFY_SHOP, silverShopify, {
        name: "Silver",
        rank: "1",
        annualThreshold: "0",
        initialPurchase: "0",
        durationMonths: "12",
        discountPercent: "15",
      });
      expect(saved.ok).toBe(true);
      await drain();
    } finally {
      clearInterval(rename);
    }
    expect(ghosted(shopify, "ClubDiscountCreate")).toHaveLength(1);
    const discounts = [...shopify.shop(SHOPIFY_SHOP).discounts.values()];
    expect(discounts).toHaveLength(1);
    expect(shopify.appMetafield(SHOPIFY_SHOP, discounts[0]!.id, "tiers")).toMatchObject({ tiers: { silver: { percentage: 15 } } });
    // The tier save also refreshes what its members see (ADR 0027); the discount is the item under test.
    expect((await items(SHOPIFY_SHOP)).filter((i) => i.action === "ensure_discount")).toEqual([{ action: "ensure_discount", status: "completed", outcomes: ["retry", "success"] }]);
    expect((await app.prisma.tier.findUniqueOrThrow({ where: { id: silverShopify } })).shopifyDiscountId).toBe(discounts[0]!.id);
  });
});

describe("Commerce7: a write applied, its reply lost, then retried", () => {
  it("membership create answered after our timeout: the retry finds it and creates none", async () => {
    const remote = c7.addCustomer(TENANT.tenantId, { email: "c7-ghost@example.com", firstName: "C", withAddress: true });
    c7.faults.set({ mode: "ghost", lose: "late", delayMs: 1_000, match: "/v1/club-membership", method: "POST", times: 1 });
    const enrollmentId = await enroll(C7_SHOP, silverC7, "c7-ghost@example.com", remote.id);
    await drain();

    expect(ghosted(c7, "/v1/club-membership")).toHaveLength(1);
    const memberships = c7.memberships(TENANT.tenantId, remote.id);
    expect(memberships.map((m) => [m.clubId, m.status])).toEqual([[club, "Active"]]);
    expect(await items(C7_SHOP)).toEqual([{ action: "add_membership", status: "completed", outcomes: ["retry", "success"] }]);
    expect((await app.prisma.enrollment.findUniqueOrThrow({ where: { id: enrollmentId } })).platformMembershipId).toBe(memberships[0]!.id);
  });

  it("membership cancel whose connection dropped: the retry sees it cancelled; still one membership", async () => {
    const remote = c7.addCustomer(TENANT.tenantId, { email: "c7-cancel@example.com", firstName: "C", withAddress: true });
    const enrollmentId = await enroll(C7_SHOP, silverC7, "c7-cancel@example.com", remote.id);
    await drain();
    await app.prisma.crmSyncQueue.deleteMany({});
    c7.faults.set({ mode: "ghost", match: "/v1/club-membership/", method: "PUT", times: 1 });
    const cancelled = await app.enrollments.cancelMembership(app.prisma, C7_SHOP, enrollmentId);
    expect(cancelled.ok).toBe(true);
    await drain();

    expect(ghosted(c7, "/v1/club-membership/")).toHaveLength(1);
    expect(c7.memberships(TENANT.tenantId, remote.id).map((m) => m.status)).toEqual(["Cancelled"]);
    expect(await items(C7_SHOP)).toEqual([{ action: "cancel_membership", status: "completed", outcomes: ["retry", "success"] }]);
  });
});
