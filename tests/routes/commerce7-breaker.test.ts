// A hanging Commerce7 costs one merchant the inline deadline, not every
// enrollment: through the real review route and real authentication, against
// the fake Commerce7 over HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeCommerce7, type FakeCommerce7 } from "../../sandbox/fakes/commerce7";
import { importApp, type App } from "../support/app";

const SHOP = "breaker.myshopify.com";
const TENANT = { tenantId: "breaker", appId: "app", appSecret: "secret" };
const DEADLINE = 800;
const COOL_DOWN = 4000;
let c7: FakeCommerce7;
let app: App & { review: typeof import("~/routes/app.members.new_.review") };

beforeAll(async () => {
  c7 = await createFakeCommerce7({ tenants: [TENANT] });
  process.env.COMMERCE7_API_URL = `${c7.url}/v1`;
  process.env.COMMERCE7_TIMEOUT_MS = "5000";
  process.env.ENROLL_INLINE_SYNC_DEADLINE_MS = String(DEADLINE);
  process.env.ENROLL_INLINE_COOLDOWN_MS = String(COOL_DOWN);
  app = { ...(await importApp()), review: await import("~/routes/app.members.new_.review") };
  const { setCommerce7Credentials } = await import("~/domain/shops.server");
  await setCommerce7Credentials(app.prisma, SHOP, { tenant: TENANT.tenantId, appId: TENANT.appId, appSecret: TENANT.appSecret });
  await app.prisma.shop.update({ where: { domain: SHOP }, data: { crm: "commerce7" } });
  const club = c7.addClub(TENANT.tenantId, { title: "silver" });
  await app.prisma.tier.create({
    data: { shop: SHOP, name: "silver", handle: "silver", rank: 1, annualThresholdCents: 120000, initialPurchaseCents: 10000, durationMonths: 12, c7ClubId: club.id },
  });
  await app.auth.storeOfflineSession(SHOP);
});
afterAll(async () => {
  await c7?.close();
});

let n = 0;
async function submit() {
  n++;
  const tier = await app.prisma.tier.findFirstOrThrow({ where: { shop: SHOP } });
  const email = `breaker${n}@example.com`;
  c7.addCustomer(TENANT.tenantId, { email, firstName: "M", withAddress: true });
  const request = await app.auth.adminPost(SHOP, "/app/members/new/review", { email, firstName: "Mem", lastName: `Ber${n}`, tierId: tier.id, platformId: "", idempotencyKey: `breaker-${n}-${Date.now()}` });
  const started = performance.now();
  const response = (await app.review.action(app.auth.routeArgs(request))) as Response;
  const ms = performance.now() - started;
  expect(response.status).toBe(302);
  const to = new URL(response.headers.get("Location")!, "http://x");
  expect(to.search).toBe("?enrolled=1");
  // Where the sync stands, as the member page reads it: the enrollment's state.
  const customerId = to.pathname.split("/").pop()!;
  const { syncState } = await app.prisma.enrollment.findFirstOrThrow({ where: { shop: SHOP, customerId, status: "active" } });
  return { ms, synced: syncState };
}

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(0.99 * xs.length))]!;
const commerce7Calls = () => c7.requests().length;

describe("circuit breaker for the inline Commerce7 attempt", () => {
  it("hanging: the first enrollment waits the deadline, the next 20 in the cool-down are queued at once, and after it inline is tried again", async () => {
    // Healthy figure: 20 enrollments synced inline.
    const healthy: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await submit();
      expect(r.synced).toBe("synced");
      healthy.push(r.ms);
    }

    c7.faults.add({ mode: "slow", delayMs: 10_000 });
    const first = await submit();
    expect(first.synced).toBe("pending");
    expect(first.ms).toBeGreaterThanOrEqual(DEADLINE);
    const openedAt = Date.now();

    const callsBefore = commerce7Calls();
    const queued: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await submit();
      expect(r.synced).toBe("pending");
      queued.push(r.ms);
    }
    expect(Date.now() - openedAt).toBeLessThan(COOL_DOWN); // all 20 within the cool-down
    expect(commerce7Calls()).toBe(callsBefore); // none of them called Commerce7
    console.log(`healthy p99 ${p99(healthy).toFixed(0)} ms; queued at once p99 ${p99(queued).toFixed(0)} ms`);
    expect(p99(queued)).toBeLessThan(1.2 * p99(healthy));

    // After the cool-down (Commerce7 answering again), an inline attempt is tried, and syncs.
    c7.faults.clear();
    await new Promise((r) => setTimeout(r, Math.max(0, openedAt + COOL_DOWN + 100 - Date.now())));
    const again = await submit();
    expect(again.synced).toBe("synced");
    expect(commerce7Calls()).toBeGreaterThan(callsBefore);
  }, 60_000);
});
