// The periodic expiry job against a real database and the fake Shopify Admin:
// lapsed memberships expire with their cancellation queued in the same
// transaction, overlapping runs queue each cancellation once, and the worker
// then takes the member's benefits away on the platform.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const SHOP = "expiry.myshopify.com";
const GONE = "uninstalled.myshopify.com";
const DAY = 86_400_000;
let shopify: FakeShopify;
let app: App & {
  expiry: typeof import("~/domain/expiry.server");
  jobs: typeof import("~/jobs.server");
};
let silver: string;

beforeAll(async () => {
  shopify = await createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: "shpat_test" }] });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  app = {
    ...(await importApp()),
    expiry: await import("~/domain/expiry.server"),
    jobs: await import("~/jobs.server"),
  };
  await app.prisma.shop.createMany({ data: [{ domain: SHOP }, { domain: GONE, uninstalledAt: new Date() }] });
  for (const shop of [SHOP, GONE]) {
    const t = await app.prisma.tier.create({
      data: { shop, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 60_000, initialPurchaseCents: 5_000, durationMonths: 12, discountPercent: 10 },
    });
    if (shop === SHOP) silver = t.id;
  }
  await app.auth.storeOfflineSession(SHOP);
});

afterAll(async () => {
  await shopify?.close();
});

let n = 0;
/** An active member whose membership ends `daysLeft` days from now (negative: already lapsed). */
async function member(daysLeft: number, shop = SHOP) {
  n++;
  const email = `m${n}@example.com`;
  const remote = shop === SHOP ? shopify.addCustomer(SHOP, { email }) : null;
  const tierId = shop === SHOP ? silver : (await app.prisma.tier.findFirstOrThrow({ where: { shop } })).id;
  const result = await app.enrollments.enroll(app.prisma, shop, { idempotencyKey: `k-${email}`, tierId, email, platformId: remote?.id });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return app.prisma.enrollment.update({ where: { id: result.enrollmentId }, data: { expiresAt: new Date(Date.now() + daysLeft * DAY) }, include: { customer: true } });
}

const cancels = (enrollmentId: string) => app.prisma.crmSyncQueue.count({ where: { enrollmentId, actionType: "cancel_membership" } });

describe("expiring lapsed memberships", () => {
  it("expires only what has lapsed, queues each cancellation with it, and leaves uninstalled shops alone", async () => {
    const lapsed = [await member(-30), await member(-1)];
    const current = await member(1);
    const gone = await member(-5, GONE);
    const result = await app.expiry.expireLapsedMemberships(app.prisma);
    expect(result).toMatchObject({ expired: 2, shops: 1 });
    for (const e of lapsed) {
      expect(await app.prisma.enrollment.findUniqueOrThrow({ where: { id: e.id } })).toMatchObject({ status: "expired", endReason: "Membership expired" });
      expect(await cancels(e.id)).toBe(1);
    }
    expect(await app.prisma.enrollment.findUniqueOrThrow({ where: { id: current.id } })).toMatchObject({ status: "active" });
    expect(await cancels(current.id)).toBe(0);
    expect(await app.prisma.enrollment.findUniqueOrThrow({ where: { id: gone.id } })).toMatchObject({ status: "active" });
  });

  it("runs that overlap (several instances) expire each membership once and queue one cancellation", async () => {
    const lapsed = await Promise.all([member(-2), member(-3), member(-4), member(-6), member(-7)]);
    const runs = await Promise.all([1, 2, 3].map(() => app.expiry.expireLapsedMemberships(app.prisma, new Date(), { batch: 2 })));
    expect(runs.reduce((sum, r) => sum + r.expired, 0)).toBe(5);
    for (const e of lapsed) expect(await cancels(e.id)).toBe(1);
    expect(await app.expiry.expireLapsedMemberships(app.prisma)).toMatchObject({ expired: 0 });
  });

  it("the worker then removes the member's benefits from Shopify", async () => {
    const e = await member(-1);
    await drainQueue(app.prisma, app.Worker);
    const remote = [...shopify.shop(SHOP).customers.values()].find((c) => c.email === e.customer.email)!;
    expect(remote.tags).toEqual(["club:silver"]);
    expect(shopify.appMetafield(SHOP, remote.id, "membership")).toMatchObject({ tier: "silver" });

    await app.expiry.expireLapsedMemberships(app.prisma);
    await drainQueue(app.prisma, app.Worker);
    expect(remote.tags).toEqual([]);
    // The member sees it expired (on its last day); nothing is left for the discount function.
    expect(shopify.appMetafield(SHOP, remote.id, "membership")).toMatchObject({ status: "expired", tierHandle: "silver" });
    expect(shopify.appMetafield(SHOP, remote.id, "membership")).not.toHaveProperty("tier");
    expect(await app.prisma.enrollment.findUniqueOrThrow({ where: { id: e.id } })).toMatchObject({ status: "expired", syncState: "synced" });
  });
});

describe("the periodic job", () => {
  it("runs at start and then after each run ends, never two at once, survives a failing run, and stop waits for a run in progress", async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const job = new app.jobs.PeriodicJob("test_job", 5, async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs++;
      await new Promise((r) => setTimeout(r, 20));
      running--;
      if (runs === 2) throw new Error("boom");
    });
    job.start();
    while (runs < 4) await new Promise((r) => setTimeout(r, 5));
    await job.stop();
    const after = runs;
    expect(running).toBe(0);
    expect(maxRunning).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(runs).toBe(after);
  });
});
