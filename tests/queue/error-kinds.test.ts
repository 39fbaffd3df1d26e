// The run path records how each attempt failed (CrmSyncQueue.lastErrorKind)
// from real failures of the fake Shopify Admin over HTTP, and the queue
// screen turns it into the merchant's sentence; the raw text stays on the item.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const SHOP = "kinds.myshopify.com";
let shopify: FakeShopify;
let app: App & { queueScreen: typeof import("~/routes/app.queue") };
let n = 0;

beforeAll(async () => {
  shopify = await createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: "shpat_test" }] });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  app = { ...(await importApp()), queueScreen: await import("~/routes/app.queue") };
  await app.prisma.shop.create({ data: { domain: SHOP, timezone: "America/Los_Angeles" } });
  await app.prisma.tier.create({ data: { shop: SHOP, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 60_000, initialPurchaseCents: 5_000, durationMonths: 12 } });
  await app.auth.storeOfflineSession(SHOP);
});
afterAll(() => shopify?.close());
beforeEach(() => shopify.faults.clear());

/** One enrollment, and one attempt at its sync (the next one is an hour away). */
async function oneAttempt() {
  n++;
  const email = `kind${n}@example.com`;
  const remote = shopify.addCustomer(SHOP, { email });
  const tier = await app.prisma.tier.findFirstOrThrow({ where: { shop: SHOP } });
  const r = await app.enrollments.enroll(app.prisma, SHOP, { idempotencyKey: `error-kinds-${n}`, tierId: tier.id, email, platformId: remote.id });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  await drainQueue(app.prisma, app.Worker, { backoff: { baseMs: 3_600_000, capMs: 3_600_000 } });
  const item = await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId: r.enrollmentId } });
  const screen = await app.queueScreen.loader(app.auth.routeArgs(await app.auth.adminGet(SHOP, `/app/queue?q=${encodeURIComponent(email)}`)));
  return { item, row: screen.items.find((i) => i.id === item.id)! };
}

describe("how an attempt failed, as the merchant reads it", () => {
  it("a dropped connection: unreachable, 'could not be reached; trying again at <shop time>'", async () => {
    shopify.faults.add({ mode: "down" });
    const { item, row } = await oneAttempt();
    expect([item.status, item.lastErrorKind]).toEqual(["pending", "unreachable"]);
    expect(item.lastError).toMatch(/dropped the connection before answering/);
    expect(row.reason).toMatch(/^Shopify could not be reached; trying again at (\d{4}-\d\d-\d\d )?\d\d:\d\d$/);
  });

  it("a 500: retryable, 'had a temporary problem'", async () => {
    shopify.faults.add({ mode: "500" });
    const { item, row } = await oneAttempt();
    expect([item.status, item.lastErrorKind]).toEqual(["pending", "retryable"]);
    expect(row.reason).toMatch(/^Shopify had a temporary problem; trying again at /);
  });

  it("a refused token: auth, failed at once with what to do; a success clears the kind", async () => {
    shopify.faults.add({ mode: "401" });
    const { item, row } = await oneAttempt();
    expect([item.status, item.lastErrorKind]).toEqual(["failed", "auth"]);
    expect(row.reason).toBe("Shopify refused the app's access: open the app in Shopify admin to reconnect, then retry.");
    shopify.faults.clear();
    await app.queueScreen.action(app.auth.routeArgs(await app.auth.adminPost(SHOP, "/app/queue", { intent: "retry", id: item.id })));
    await drainQueue(app.prisma, app.Worker);
    expect(await app.prisma.crmSyncQueue.findUniqueOrThrow({ where: { id: item.id } })).toMatchObject({ status: "completed", lastError: null, lastErrorKind: null });
  });
});
