// Our Commerce7 pace holds per REQUEST (ADR 0021): a burst of 500 membership
// changes, drained by the real worker with its production pacing, through the
// real client, against the fake Commerce7 enforcing the documented per-tenant
// limit (100 requests per window, 429 beyond), never draws a 429. The window
// is scaled to 6 s on both sides (COMMERCE7_RATE_WINDOW_MS, set for this file;
// production counts a minute), so the burst takes about a minute, not ten.
// Each change makes two requests, so pacing per queue item would overrun; the
// second test shows the same harness seeing the fake's 429s once our pace is
// above the fake's limit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeCommerce7, type FakeCommerce7 } from "../../sandbox/fakes/commerce7";
import { importApp, type App } from "../support/app";

const SHOP = "c7-pace.myshopify.com";
const TENANT = { tenantId: "pace-wine", appId: "app", appSecret: "secret" };
const WINDOW_MS = 6_000;
const LIMIT = 100;
let c7: FakeCommerce7;
let app: App & { worker: typeof import("~/queue/worker.server") };
let tierId = "";

beforeAll(async () => {
  process.env.COMMERCE7_RATE_WINDOW_MS = String(WINDOW_MS);
  c7 = await createFakeCommerce7({ tenants: [TENANT], rateLimit: { requests: LIMIT, windowMs: WINDOW_MS } });
  process.env.COMMERCE7_API_URL = `${c7.url}/v1`;
  app = { ...(await importApp()), worker: await import("~/queue/worker.server") };
  const { setCommerce7Credentials } = await import("~/domain/shops.server");
  await setCommerce7Credentials(app.prisma, SHOP, { tenant: TENANT.tenantId, appId: TENANT.appId, appSecret: TENANT.appSecret });
  await app.prisma.shop.update({ where: { domain: SHOP }, data: { crm: "commerce7" } });
  const club = c7.addClub(TENANT.tenantId, { title: "Silver" });
  tierId = (await app.prisma.tier.create({ data: { shop: SHOP, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 0, initialPurchaseCents: 0, durationMonths: 12, c7ClubId: club.id } })).id;
});

afterAll(async () => {
  await c7?.close();
  await app?.prisma.$disconnect();
});

let n = 0;
/** `count` new members of Silver, each with its add_membership queued (as an enrollment writes them, without its inline try). */
async function enrollMany(count: number) {
  const { queueCrmSync } = await import("~/queue/enqueue.server");
  for (let i = 0; i < count; i++) {
    n++;
    const email = `pace${n}@example.com`;
    const remote = c7.addCustomer(TENANT.tenantId, { email, firstName: "P", withAddress: true });
    await app.prisma.$transaction(async (tx) => {
      const customer = await tx.customer.create({ data: { shop: SHOP, email, commerce7CustomerId: remote.id } });
      // Its address is known in Commerce7 already: each change lists the memberships, then creates one.
      const address = [...c7.tenant(TENANT.tenantId).addresses.values()].find((a) => a.customerId === remote.id)!;
      await tx.customerAddress.create({ data: { shop: SHOP, customerId: customer.id, kind: "billing", address: address.address, city: address.city, stateCode: address.stateCode, zipCode: address.zipCode, countryCode: address.countryCode, platformAddressId: address.id } });
      const e = await tx.enrollment.create({ data: { shop: SHOP, customerId: customer.id, tierId, expiresAt: new Date(Date.now() + 365 * 86_400_000) } });
      await queueCrmSync({ shop: SHOP, enrollmentId: e.id, actionType: "add_membership", stageId: tierId, customerId: customer.id, idempotencyKey: `add:${e.id}` }, tx);
    });
  }
}

/** The most requests the fake saw within any window of `ms`. */
function busiestWindow(ms: number) {
  const at = c7.requests().filter((r) => r.path.startsWith("/v1/")).map((r) => r.at).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while (at[i]! - at[j]! >= ms) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

async function runWorker(until: () => Promise<boolean>, timeoutMs: number) {
  const w = new app.Worker({ db: app.prisma, concurrency: 4, pollIntervalMs: 20, leaseMs: 30_000, backoff: { baseMs: 50, capMs: 500 }, paceRates: app.worker.DEFAULT_PACE, pruneEveryMs: 0 });
  w.start();
  const deadline = Date.now() + timeoutMs;
  while (!(await until()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await w.stop();
}

const items = (status: string) => app.prisma.crmSyncQueue.count({ where: { shop: SHOP, status } });

describe("the Commerce7 pace", () => {
  it("a burst of 500 membership changes at the default pace (100 per window) never draws a 429", async () => {
    await enrollMany(500);
    expect(await app.prisma.shop.findUniqueOrThrow({ where: { domain: SHOP } })).toMatchObject({ c7RequestsPerMinute: 100 });
    c7.clearRequests();
    await runWorker(async () => (await items("completed")) === 500, 150_000);

    expect(await items("completed")).toBe(500);
    expect(c7.memberships(TENANT.tenantId).filter((m) => m.status === "Active")).toHaveLength(500);
    expect(c7.rateLimited()).toBe(0);
    expect(c7.requests().filter((r) => r.status === 429)).toHaveLength(0);
    // Two requests per change (memberships, create): the pace held per request.
    expect(c7.requests().length).toBeGreaterThanOrEqual(1_000);
    expect(busiestWindow(WINDOW_MS)).toBeLessThanOrEqual(LIMIT);
  }, 180_000);

  it("the same fake does refuse a shop whose pace (Settings) is set above the tenant's limit", async () => {
    // The merchant raises the pace to 6,000 a minute, and this tenant allows 20 per window: the fake answers 429.
    await app.prisma.shop.update({ where: { domain: SHOP }, data: { c7RequestsPerMinute: 6_000 } });
    c7.setRateLimit({ requests: 20, windowMs: WINDOW_MS });
    await enrollMany(150);
    c7.clearRequests();
    await runWorker(async () => c7.rateLimited() > 0, 30_000);
    expect(c7.rateLimited()).toBeGreaterThan(0);
  }, 60_000);
});
