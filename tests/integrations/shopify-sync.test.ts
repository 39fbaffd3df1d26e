// The Shopify integration against the fake Admin: member convergence (metafield,
// tags), the discount, customers, error classification and throttle awareness.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { ShopifyAdmin } from "~/integrations/shopify/admin.server";
import { SHOP_QUERY } from "~/integrations/shopify/operations";
import { syncMember } from "~/integrations/shopify/members.server";
import { ThrottleBook } from "~/integrations/shopify/throttle";
import { findOrCreateCustomer } from "~/integrations/shopify/customers.server";
import { convergeShopifyMember, ensureShopifyDiscount } from "~/integrations/shopify/processors.server";
import { SyncError } from "~/queue/errors";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";

const SHOP = "sync.myshopify.com";
const TOKEN = "shpat_sync";
let fake: FakeShopify;
let origin: string;

beforeAll(async () => {
  fake = await createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: TOKEN }] });
  origin = `${fake.url}/shops/{shop}`;
});
afterAll(() => fake.close());
beforeEach(async () => {
  await fetch(`${fake.url}/__fake/reset`, { method: "POST" });
  fake.setBucket({ bucketSize: 2000, restoreRate: 100 });
  await prisma.enrollment.deleteMany({});
  await prisma.customer.deleteMany({});
  await prisma.tier.deleteMany({});
});

const admin = (opts: ConstructorParameters<typeof ShopifyAdmin>[2] = {}) => new ShopifyAdmin(SHOP, TOKEN, { origin, ...opts });
const shopRow = { domain: SHOP, timezone: "America/Los_Angeles" };

async function seedMember(tierHandles = ["silver", "gold"]) {
  const tiers = [];
  for (const [i, handle] of tierHandles.entries()) {
    tiers.push(
      await prisma.tier.create({
        data: { shop: SHOP, name: handle, handle, rank: i + 1, annualThresholdCents: 0, initialPurchaseCents: 0, durationMonths: 12, discountPercent: 10 * (i + 1) },
      }),
    );
  }
  const remote = fake.addCustomer(SHOP, { email: "member@example.com", firstName: "Mem", lastName: "Ber" });
  const customer = await prisma.customer.create({ data: { shop: SHOP, email: "member@example.com", shopifyCustomerId: remote.id } });
  return { tiers, customer, remote };
}

function writes() {
  return fake.requests().filter((r) => /mutation/.test(String((r.body as { query?: string })?.query))).length;
}

describe("Shopify member convergence", () => {
  it("add sets the metafield and the tier tag; running it again changes nothing", async () => {
    const { tiers, customer, remote } = await seedMember();
    await prisma.enrollment.create({
      data: { shop: SHOP, customerId: customer.id, tierId: tiers[1]!.id, startedAt: new Date("2026-01-10T20:00:00Z"), expiresAt: new Date("2027-01-11T06:00:00Z") },
    });
    const item = { id: "q1", customerId: customer.id, stageId: tiers[1]!.id, actionType: "add_membership" };
    await convergeShopifyMember({ db: prisma, shop: shopRow, item, admin: admin() });
    expect(fake.appMetafield(SHOP, remote.id, "membership")).toEqual({
      v: 2,
      status: "active",
      tier: "gold",
      tierId: tiers[1]!.id,
      expiresAt: "2027-01-10", // the shop-local (Los Angeles) date
      since: "2026-01-10T20:00:00.000Z",
      // What the member sees in their account (app/domain/member-display.ts).
      tierName: "gold",
      tierHandle: "gold",
      zone: "America/Los_Angeles",
      currency: "USD",
      spendMinor: 0,
      windowStart: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      windowEnd: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      next: null,
      top: true,
    });
    expect(fake.shop(SHOP).customers.get(remote.id)!.tags).toEqual(["club:gold"]);

    const before = writes();
    const again = await convergeShopifyMember({ db: prisma, shop: shopRow, item, admin: admin() });
    expect(again.result).toMatchObject({ writes: [] });
    expect(writes()).toBe(before);
  });

  it("upgrade swaps the tag and the metafield; cancel removes both; merchant tags stay", async () => {
    const { tiers, customer, remote } = await seedMember();
    fake.shop(SHOP).customers.get(remote.id)!.tags.push("vip");
    const e = await prisma.enrollment.create({ data: { shop: SHOP, customerId: customer.id, tierId: tiers[0]!.id, expiresAt: new Date(Date.now() + 1e10) } });
    const item = { id: "q", customerId: customer.id, stageId: tiers[0]!.id, actionType: "add_membership" };
    await convergeShopifyMember({ db: prisma, shop: shopRow, item, admin: admin() });
    await prisma.enrollment.update({ where: { id: e.id }, data: { status: "upgraded" } });
    await prisma.enrollment.create({ data: { shop: SHOP, customerId: customer.id, tierId: tiers[1]!.id, expiresAt: new Date(Date.now() + 1e10) } });
    await convergeShopifyMember({ db: prisma, shop: shopRow, item: { ...item, actionType: "upgrade_membership" }, admin: admin() });
    expect(fake.shop(SHOP).customers.get(remote.id)!.tags.sort()).toEqual(["club:gold", "vip"]);
    expect(fake.appMetafield(SHOP, remote.id, "membership")).toMatchObject({ tier: "gold" });

    await prisma.enrollment.updateMany({ where: { customerId: customer.id, status: "active" }, data: { status: "cancelled" } });
    await convergeShopifyMember({ db: prisma, shop: shopRow, item: { ...item, actionType: "cancel_membership" }, admin: admin() });
    expect(fake.shop(SHOP).customers.get(remote.id)!.tags).toEqual(["vip"]);
    // The member still sees that it ended; no benefit field is left for the discount function.
    expect(fake.appMetafield(SHOP, remote.id, "membership")).toMatchObject({ status: "cancelled", tierHandle: "gold" });
    expect(fake.appMetafield(SHOP, remote.id, "membership")).not.toHaveProperty("tier");
  });

  it("a late retry of an old add cannot undo a newer cancel (it converges to the current state)", async () => {
    const { tiers, customer, remote } = await seedMember();
    await prisma.enrollment.create({ data: { shop: SHOP, customerId: customer.id, tierId: tiers[0]!.id, status: "cancelled", expiresAt: new Date(Date.now() + 1e10) } });
    await convergeShopifyMember({ db: prisma, shop: shopRow, item: { id: "old", customerId: customer.id, stageId: tiers[0]!.id, actionType: "add_membership" }, admin: admin() });
    expect(fake.appMetafield(SHOP, remote.id, "membership")).toMatchObject({ status: "cancelled" });
    expect(fake.appMetafield(SHOP, remote.id, "membership")).not.toHaveProperty("tier");
    expect(fake.shop(SHOP).customers.get(remote.id)!.tags).toEqual([]);
  });

  it("creates the Shopify customer when the member has none, once", async () => {
    const tier = await prisma.tier.create({ data: { shop: SHOP, name: "Gold", handle: "gold", rank: 1, annualThresholdCents: 0, initialPurchaseCents: 0, durationMonths: 12 } });
    const customer = await prisma.customer.create({ data: { shop: SHOP, email: "new@example.com", firstName: "New" } });
    await prisma.enrollment.create({ data: { shop: SHOP, customerId: customer.id, tierId: tier.id, expiresAt: new Date(Date.now() + 1e10) } });
    const item = { id: "q", customerId: customer.id, stageId: tier.id, actionType: "add_membership" };
    const out = await convergeShopifyMember({ db: prisma, shop: shopRow, item, admin: admin() });
    expect(out.customer).toEqual({ shopifyCustomerId: expect.stringMatching(/^gid:\/\/shopify\/Customer\//) });
    const again = await findOrCreateCustomer(admin(), { email: "NEW@example.com", firstName: "New", lastName: "" });
    expect(again.platformId).toBe(out.customer?.shopifyCustomerId);
    expect(fake.shop(SHOP).customers.size).toBe(1);
  });
});

describe("the member-pricing discount", () => {
  it("is created once with every tier's percentage, found again by id, and updated when tiers change", async () => {
    await seedMember();
    const first = await ensureShopifyDiscount({ db: prisma, shop: shopRow, admin: admin() });
    expect(first.result).toMatchObject({ created: true });
    const id = String(first.result!.discountId);
    expect(fake.appMetafield(SHOP, id, "tiers")).toEqual({
      tiers: { gold: { percentage: 20, title: "gold member 20%" }, silver: { percentage: 10, title: "silver member 10%" } },
    });
    expect((await prisma.tier.findMany({ where: { shop: SHOP } })).every((t) => t.shopifyDiscountId === id)).toBe(true);

    const again = await ensureShopifyDiscount({ db: prisma, shop: shopRow, admin: admin() });
    expect(again.result).toMatchObject({ discountId: id, created: false, configUpdated: false });

    await prisma.tier.updateMany({ where: { shop: SHOP, handle: "gold" }, data: { discountPercent: 25 } });
    await ensureShopifyDiscount({ db: prisma, shop: shopRow, admin: admin() });
    expect(fake.appMetafield(SHOP, id, "tiers")).toMatchObject({ tiers: { gold: { percentage: 25 } } });
    expect(fake.shop(SHOP).discounts.size).toBe(1);
  });

  it("is found by title when the stored id is lost (an interrupted create is not doubled)", async () => {
    await seedMember();
    await ensureShopifyDiscount({ db: prisma, shop: shopRow, admin: admin() });
    await prisma.tier.updateMany({ where: { shop: SHOP }, data: { shopifyDiscountId: null } });
    await ensureShopifyDiscount({ db: prisma, shop: shopRow, admin: admin() });
    expect(fake.shop(SHOP).discounts.size).toBe(1);
  });
});

describe("Shopify errors, classified for the queue", () => {
  const classify = async (setup: () => void, opts: ConstructorParameters<typeof ShopifyAdmin>[2] = {}) => {
    setup();
    try {
      await admin(opts).request(SHOP_QUERY);
      return "ok";
    } catch (e) {
      expect(e).toBeInstanceOf(SyncError);
      const s = e as SyncError;
      return `${s.kind}${s.httpStatus ? `:${s.httpStatus}` : ""}${s.retryAfterMs !== undefined ? `:${s.retryAfterMs}` : ""}`;
    } finally {
      fake.faults.clear();
    }
  };

  it("maps every fault mode", async () => {
    expect(await classify(() => fake.faults.add({ mode: "500" }))).toBe("retryable:500");
    expect(await classify(() => fake.faults.add({ mode: "429", retryAfter: 120 }))).toBe("throttled:429:120000");
    expect(await classify(() => fake.faults.add({ mode: "401" }))).toBe("auth:401");
    expect(await classify(() => fake.faults.add({ mode: "malformed" }))).toBe("retryable");
    expect(await classify(() => fake.faults.add({ mode: "down" }))).toBe("retryable");
    expect(await classify(() => fake.faults.add({ mode: "slow", delayMs: 400 }), { timeoutMs: 100 })).toBe("retryable");
    expect(await classify(() => {})).toBe("ok");
  });

  it("a dropped connection reads as words a merchant can act on, the low-level code kept in brackets", async () => {
    fake.faults.add({ mode: "down" });
    await expect(admin().request(SHOP_QUERY)).rejects.toThrow(/^Shopify ClubShop: Shopify dropped the connection before answering \((UND_ERR_SOCKET|ECONNRESET)\)$/);
    fake.faults.clear();
  });

  it("keeps the error text", async () => {
    fake.faults.add({ mode: "401" });
    await expect(admin().request(SHOP_QUERY)).rejects.toThrow(/rejected the app's access token \(HTTP 401\)/);
    fake.faults.clear();
    // A document the generated types don't know (typecheck refuses it; the cast
    // plays a stale build) still gets a clear permanent error from Shopify.
    const unknown = `query Bad { shop { nope } }` as string as typeof SHOP_QUERY;
    await expect(admin().request(unknown)).rejects.toThrow(/Cannot query field "nope"/);
  });

  it("userErrors are permanent and carry Shopify's message", async () => {
    const { customer } = await seedMember();
    await prisma.enrollment.create({ data: { shop: SHOP, customerId: customer.id, tierId: (await prisma.tier.findFirstOrThrow()).id, expiresAt: new Date(Date.now() + 1e10) } });
    const remoteId = customer.shopifyCustomerId!;
    fake.shop(SHOP).customers.delete(remoteId);
    await expect(
      convergeShopifyMember({ db: prisma, shop: shopRow, item: { id: "x", customerId: customer.id, stageId: "", actionType: "add_membership" }, admin: admin() }),
    ).rejects.toMatchObject({ kind: "permanent", message: expect.stringMatching(/no longer exists/) });
  });
});

describe("throttle awareness", () => {
  it("300 member updates against a bucket of 200 restoring 50/s: none fails, none is sent into an empty bucket", async () => {
    // Real HTTP and the fake's real bucket; time is virtual on both sides so the
    // ~2 minutes of pacing this needs take a second.
    let t = 0;
    await fake.close();
    fake = await createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: TOKEN }], now: () => t, bucketSize: 200, restoreRate: 50 });
    origin = `${fake.url}/shops/{shop}`;
    const client = admin({ book: new ThrottleBook(() => t), sleep: async (ms) => void (t += ms), maxInlineWaitMs: 60_000 });
    const members = Array.from({ length: 300 }, (_, i) => fake.addCustomer(SHOP, { email: `m${i}@example.com` }));
    let next = 0;
    const lane = async () => {
      while (next < members.length) {
        const i = next++;
        await syncMember(client, members[i]!.id, { v: 2, status: "active", tier: "gold", tierId: "t", expiresAt: "2027-01-01", since: "2026-01-01T00:00:00.000Z", tierName: "Gold", tierHandle: "gold", zone: "UTC", currency: "USD" }, ["gold"]);
      }
    };
    await Promise.all([lane(), lane(), lane(), lane()]); // the worker's default concurrency

    const log = fake.requests();
    expect(log.filter((r) => r.status !== 200)).toEqual([]);
    expect(log.filter((r) => JSON.stringify(r).includes("THROTTLED"))).toEqual([]);
    expect(members.every((m) => fake.shop(SHOP).customers.get(m.id)!.tags.includes("club:gold"))).toBe(true);
    expect(log).toHaveLength(900); // read + metafieldsSet + tagsAdd per member, nothing retried
    // 300 × (10 + 10 + read) points far exceed 200, so pacing must have waited.
    expect(t).toBeGreaterThan(((300 * 20 - 200) / 50) * 1000);

    await fake.close();
    fake = await createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: TOKEN }] });
    origin = `${fake.url}/shops/{shop}`;
  });

  it("on THROTTLED it waits the computed time without failing, or hands back `throttled` when the wait is long", async () => {
    fake.setBucket({ bucketSize: 20, restoreRate: 100, available: 0 });
    const op = SHOP_QUERY;
    await expect(admin().request(op)).resolves.toMatchObject({ shop: { name: "sync" } });
    fake.setBucket({ bucketSize: 1000, restoreRate: 1, available: 0 });
    await expect(admin({ maxInlineWaitMs: 50 }).request(op)).rejects.toMatchObject({ kind: "throttled" });
  });
});
