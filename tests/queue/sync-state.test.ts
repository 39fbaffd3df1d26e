// An enrollment's syncState is what its latest queue item says, after every
// path that changes items: the worker's outcomes, manual retry and discard,
// uninstall, and an enqueue that turns out to be a no-op. A real worker runs
// against the fake Shopify Admin over HTTP (401 faults make an item fail).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const SHOP = "sync-state.myshopify.com";
const LEAVING = "sync-state-leaving.myshopify.com";
let shopify: FakeShopify;
let app: App & {
  manual: typeof import("~/queue/manual.server");
  enqueue: typeof import("~/queue/enqueue.server");
  shops: typeof import("~/domain/shops.server");
};
const tiers: Record<string, string> = {};

beforeAll(async () => {
  shopify = await createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: "shpat_test" }, { domain: LEAVING, accessToken: "shpat_test" }] });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  app = {
    ...(await importApp()),
    manual: await import("~/queue/manual.server"),
    enqueue: await import("~/queue/enqueue.server"),
    shops: await import("~/domain/shops.server"),
  };
  for (const shop of [SHOP, LEAVING]) {
    await app.prisma.shop.create({ data: { domain: shop } });
    tiers[shop] = (await app.prisma.tier.create({ data: { shop, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 60_000, initialPurchaseCents: 5_000, durationMonths: 12 } })).id;
    await app.auth.storeOfflineSession(shop);
  }
});

afterAll(async () => {
  await shopify?.close();
});

let n = 0;
async function enrolled(shop = SHOP) {
  n++;
  const email = `s${n}@example.com`;
  const remote = shopify.addCustomer(shop, { email });
  const r = await app.enrollments.enroll(app.prisma, shop, { idempotencyKey: `sync-state-${n}`, tierId: tiers[shop]!, email, platformId: remote.id });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.enrollmentId;
}

const SAYS = { pending: "pending", processing: "pending", completed: "synced", failed: "failed", cancelled: "discarded" } as const;

/** The enrollment's syncState, and what its latest item says it should be. */
async function states(enrollmentId: string) {
  const [e, latest] = await Promise.all([
    app.prisma.enrollment.findUniqueOrThrow({ where: { id: enrollmentId } }),
    app.prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
  ]);
  return { syncState: e.syncState, latestSays: SAYS[latest.status as keyof typeof SAYS], latest };
}

async function expectInStep(enrollmentId: string, expected: string) {
  const s = await states(enrollmentId);
  expect(s.syncState).toBe(s.latestSays);
  expect(s.syncState).toBe(expected);
  return s.latest;
}

describe("syncState follows the latest item", () => {
  it("through a failure, a retry, success, a no-op enqueue and a discard", async () => {
    const id = await enrolled();
    await expectInStep(id, "pending");

    shopify.faults.add({ mode: "401" });
    await drainQueue(app.prisma, app.Worker);
    shopify.faults.clear();
    const failed = await expectInStep(id, "failed");

    expect(await app.manual.retryNow(app.prisma, SHOP, failed.id)).toEqual({ ok: true });
    await expectInStep(id, "pending");

    await drainQueue(app.prisma, app.Worker);
    const done = await expectInStep(id, "synced");

    // The same logical operation again: no new item, so nothing to say about the platform.
    const again = await app.enqueue.queueCrmSync({ shop: SHOP, enrollmentId: id, actionType: done.actionType as "add_membership", stageId: done.stageId, customerId: done.customerId, idempotencyKey: done.idempotencyKey });
    expect(again).toEqual({ id: done.id, created: false });
    await expectInStep(id, "synced");

    const cancelled = await app.enrollments.cancelMembership(app.prisma, SHOP, id);
    expect(cancelled.ok).toBe(true);
    const pending = await expectInStep(id, "pending");
    expect(await app.manual.discard(app.prisma, SHOP, pending.id, { by: "staff user 42", reason: "Test discard" })).toEqual({ ok: true });
    await expectInStep(id, "discarded");
  });

  it("retry-all moves every failed member back to pending", async () => {
    const ids = [await enrolled(), await enrolled()];
    shopify.faults.add({ mode: "401" });
    await drainQueue(app.prisma, app.Worker);
    shopify.faults.clear();
    for (const id of ids) await expectInStep(id, "failed");
    expect(await app.manual.retryAllFailed(app.prisma, SHOP)).toBeGreaterThanOrEqual(2);
    for (const id of ids) await expectInStep(id, "pending");
    await drainQueue(app.prisma, app.Worker);
    for (const id of ids) await expectInStep(id, "synced");
  });

  it("uninstalling stops pending items, and their members say so", async () => {
    const waiting = await enrolled(LEAVING);
    await expectInStep(waiting, "pending");
    await app.shops.uninstallShop(app.prisma, LEAVING);
    await expectInStep(waiting, "discarded");
  });
});
