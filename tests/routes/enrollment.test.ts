// Enrollment through the real routes and real authentication, against the fake
// platforms: the enrollment never fails or waits because a platform is down.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createFakeCommerce7, type FakeCommerce7 } from "../../sandbox/fakes/commerce7";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const C7_SHOP = "cellar.myshopify.com";
const SHOPIFY_SHOP = "store.myshopify.com";
const TENANT = { tenantId: "cellar", appId: "app", appSecret: "secret" };
let c7: FakeCommerce7;
let shopify: FakeShopify;
// App modules read the environment once, when first imported: import them after
// pointing it at the fakes.
let app: App & {
  review: typeof import("~/routes/app.members.new_.review");
  member: typeof import("~/routes/app.members.$id");
};
const clubs: Record<string, string> = {};

beforeAll(async () => {
  c7 = await createFakeCommerce7({ tenants: [TENANT] });
  shopify = await createFakeShopifyAdmin({ shops: [{ domain: SHOPIFY_SHOP, accessToken: "shpat_test" }] });
  process.env.COMMERCE7_API_URL = `${c7.url}/v1`;
  process.env.COMMERCE7_TIMEOUT_MS = "5000";
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  process.env.ENROLL_INLINE_SYNC_DEADLINE_MS = "800";
  // Short backoff, so a failed inline sync is due again by the time the test drains.
  process.env.QUEUE_BACKOFF_BASE_MS = "20";
  process.env.QUEUE_BACKOFF_CAP_MS = "100";
  app = {
    ...(await importApp()),
    review: await import("~/routes/app.members.new_.review"),
    member: await import("~/routes/app.members.$id"),
  };
  const { setCommerce7Credentials } = await import("~/domain/shops.server");
  await setCommerce7Credentials(app.prisma, C7_SHOP, { tenant: TENANT.tenantId, appId: TENANT.appId, appSecret: TENANT.appSecret });
  await app.prisma.shop.update({ where: { domain: C7_SHOP }, data: { crm: "commerce7" } });
  await app.prisma.shop.create({ data: { domain: SHOPIFY_SHOP } });
  for (const [shop, rank, handle] of [
    [C7_SHOP, 1, "silver"],
    [C7_SHOP, 2, "gold"],
    [SHOPIFY_SHOP, 1, "silver"],
    [SHOPIFY_SHOP, 2, "gold"],
  ] as const) {
    const club = shop === C7_SHOP ? c7.addClub(TENANT.tenantId, { title: handle }) : null;
    if (club) clubs[handle] = club.id;
    await app.prisma.tier.create({
      data: { shop, name: handle, handle, rank, annualThresholdCents: 120000, initialPurchaseCents: 10000, durationMonths: 12, discountPercent: 10 * rank, c7ClubId: club?.id ?? null },
    });
  }
  await app.auth.storeOfflineSession(C7_SHOP);
  await app.auth.storeOfflineSession(SHOPIFY_SHOP, "shpat_test");
});
afterAll(async () => {
  await c7.close();
  await shopify.close();
});
beforeEach(() => {
  c7.faults.clear();
  shopify.faults.clear();
});

let n = 0;
async function submit(shop: string, over: Record<string, string> = {}) {
  n++;
  const tier = await app.prisma.tier.findFirstOrThrow({ where: { shop, handle: over.tierHandle ?? "silver" } });
  const email = over.email ?? `member${n}@example.com`;
  if (shop === C7_SHOP && !over.email) c7.addCustomer(TENANT.tenantId, { email, firstName: "M", withAddress: true });
  const form = { email, firstName: "Mem", lastName: `Ber${n}`, tierId: tier.id, platformId: "", idempotencyKey: over.idempotencyKey ?? `key-${n}-${Date.now()}`, ...over };
  delete (form as Record<string, string>).tierHandle;
  const request = await app.auth.adminPost(shop, "/app/members/new/review", form);
  const started = Date.now();
  const response = await app.review.action(app.auth.routeArgs(request)).catch((e: unknown) => e);
  return { response, ms: Date.now() - started, email, key: form.idempotencyKey };
}

function redirectTarget(r: unknown) {
  expect(r).toBeInstanceOf(Response);
  const res = r as Response;
  expect(res.status).toBe(302);
  return new URL(res.headers.get("Location")!, "http://x");
}

function drain() {
  return drainQueue(app.prisma, app.Worker);
}

describe("enroll on a Commerce7 shop", () => {
  it("a healthy platform gives an enrolled and synced member", async () => {
    const { response, email } = await submit(C7_SHOP);
    const to = redirectTarget(response);
    expect(to.search).toBe("?enrolled=1");
    // The member page is the member's (customer id).
    const id = to.pathname.split("/").pop()!;
    const e = await app.prisma.enrollment.findFirstOrThrow({ where: { customerId: id, status: "active" }, include: { customer: true } });
    expect([e.status, e.syncState]).toEqual(["active", "synced"]);
    const remote = [...c7.tenant(TENANT.tenantId).customers.values()].find((c) => c.emails[0]!.email === email)!;
    expect(c7.memberships(TENANT.tenantId, remote.id).map((m) => [m.clubId, m.status])).toEqual([[clubs.silver, "Active"]]);
    expect(e.platformMembershipId).toBe(c7.memberships(TENANT.tenantId, remote.id)[0]!.id);
  });

  for (const mode of ["down", "500", "slow"] as const) {
    it(`Commerce7 ${mode}: answered within the deadline, enrolled, queued, and completed by the worker once it is back`, async () => {
      c7.faults.add(mode === "slow" ? { mode, delayMs: 4000 } : { mode });
      const { response, ms, email } = await submit(C7_SHOP);
      expect(ms).toBeLessThan(800 + 700);
      const to = redirectTarget(response);
      expect(to.search).toBe("?enrolled=1");
      const id = to.pathname.split("/").pop()!;
      const item = await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { customerId: id } });
      expect(item.status).toBe("pending");
      expect((await app.prisma.enrollment.findFirstOrThrow({ where: { customerId: id, status: "active" } })).syncState).toBe("pending");
      expect(item.lastError).toBeTruthy();
      c7.faults.clear();
      await drain();
      expect((await app.prisma.crmSyncQueue.findUniqueOrThrow({ where: { id: item.id } })).status).toBe("completed");
      const remote = [...c7.tenant(TENANT.tenantId).customers.values()].find((c) => c.emails[0]!.email === email)!;
      expect(c7.memberships(TENANT.tenantId, remote.id).filter((m) => m.status === "Active")).toHaveLength(1);
    });
  }
});

describe("enroll on a Shopify shop", () => {
  it("always queues, never syncs inline; the worker then syncs it", async () => {
    const before = shopify.requests().length;
    const { response, email } = await submit(SHOPIFY_SHOP);
    const to = redirectTarget(response);
    expect(to.search).toBe("?enrolled=1");
    expect((await app.prisma.enrollment.findFirstOrThrow({ where: { customerId: to.pathname.split("/").pop()!, status: "active" } })).syncState).toBe("pending");
    expect(shopify.requests().length).toBe(before); // nothing inline
    // Right after the submit, the member page says the membership is on its way: not a retry, nothing failed.
    const page = async (search: string) => (await app.member.loader(app.auth.routeArgs(await app.auth.adminGet(SHOPIFY_SHOP, `${to.pathname}${search}`), { id: to.pathname.split("/").pop()! }))).sync;
    expect(await page(to.search)).toEqual({ tone: "info", text: "Sending the membership to Shopify", final: false });
    await drain();
    const customer = [...shopify.shop(SHOPIFY_SHOP).customers.values()].find((c) => c.email === email)!;
    expect(customer.tags).toEqual(["club:silver"]);
    expect(shopify.appMetafield(SHOPIFY_SHOP, customer.id, "membership")).toMatchObject({ tier: "silver" });
    // Once the item has completed the page says synced, whatever an older link's URL claims.
    expect(await page(to.search)).toEqual({ tone: "success", text: "Synced to Shopify", final: true });
    expect(await page("?synced=Sync+queued+%E2%80%94+retrying+automatically")).toEqual({ tone: "success", text: "Synced to Shopify", final: true });
  });
});

describe("rules", () => {
  it("validation errors write nothing", async () => {
    const before = await Promise.all([app.prisma.enrollment.count(), app.prisma.customer.count(), app.prisma.crmSyncQueue.count()]);
    const { response } = await submit(SHOPIFY_SHOP, { email: "not-an-email" });
    expect(response).toMatchObject({ ok: false, errors: { email: "Enter a real email address, like name@example.com" } });
    const { response: noTier } = await submit(SHOPIFY_SHOP, { tierId: "nope" });
    expect(noTier).toMatchObject({ ok: false, errors: { tierId: "Choose an active tier" } });
    expect(await Promise.all([app.prisma.enrollment.count(), app.prisma.customer.count(), app.prisma.crmSyncQueue.count()])).toEqual(before);
  });

  it("a double submission (sequential and concurrent) gives one enrollment", async () => {
    const first = await submit(SHOPIFY_SHOP, { idempotencyKey: "same-key-1", email: "twice@example.com" });
    const again = await submit(SHOPIFY_SHOP, { idempotencyKey: "same-key-1", email: "twice@example.com" });
    expect(redirectTarget(again.response).pathname).toBe(redirectTarget(first.response).pathname);
    const [a, b] = await Promise.all([
      submit(SHOPIFY_SHOP, { idempotencyKey: "same-key-2", email: "race@example.com" }),
      submit(SHOPIFY_SHOP, { idempotencyKey: "same-key-2", email: "race@example.com" }),
    ]);
    expect(redirectTarget(a.response).pathname).toBe(redirectTarget(b.response).pathname);
    expect(await app.prisma.enrollment.count({ where: { customer: { email: { in: ["twice@example.com", "race@example.com"] } } } })).toBe(2);
    expect(await app.prisma.crmSyncQueue.count({ where: { shop: SHOPIFY_SHOP, actionType: "add_membership", customerId: { in: (await app.prisma.customer.findMany({ where: { email: { in: ["twice@example.com", "race@example.com"] } } })).map((c) => c.id) } } })).toBe(2);
  });

  it("a second active enrollment is refused with a link to the member", async () => {
    const first = redirectTarget((await submit(SHOPIFY_SHOP, { email: "once@example.com" })).response);
    const second = await submit(SHOPIFY_SHOP, { email: "once@example.com", tierHandle: "gold" });
    expect(second.response).toMatchObject({ ok: false, errors: { form: "This customer already has an active membership." }, existingMemberId: first.pathname.split("/").pop() });
  });

  it("an upgrade-only tier is refused for new members", async () => {
    await app.prisma.tier.updateMany({ where: { shop: SHOPIFY_SHOP, handle: "gold" }, data: { upgradeOnly: true } });
    const r = await submit(SHOPIFY_SHOP, { tierHandle: "gold" });
    expect(r.response).toMatchObject({ ok: false, errors: { tierId: "gold is reached by upgrading only; choose another tier" } });
    await app.prisma.tier.updateMany({ where: { shop: SHOPIFY_SHOP, handle: "gold" }, data: { upgradeOnly: false } });
  });
});

describe("tier changes follow the tier rules", () => {
  it("a member of a tier that is not upgradable cannot be moved up; nothing is written or queued", async () => {
    const { response } = await submit(SHOPIFY_SHOP, { email: "stay@example.com" });
    const id = redirectTarget(response).pathname.split("/").pop()!;
    const silver = await app.prisma.tier.findFirstOrThrow({ where: { shop: SHOPIFY_SHOP, handle: "silver" } });
    const gold = await app.prisma.tier.findFirstOrThrow({ where: { shop: SHOPIFY_SHOP, handle: "gold" } });
    await app.prisma.tier.update({ where: { id: silver.id }, data: { upgradable: false } });
    try {
      const page = await app.member.loader(app.auth.routeArgs(await app.auth.adminGet(SHOPIFY_SHOP, `/app/members/${id}`), { id }));
      expect(page.tiers).toEqual([]); // the modal offers no tier the member may not move to
      const queued = await app.prisma.crmSyncQueue.count({ where: { shop: SHOPIFY_SHOP } });
      const change = await app.member.action(app.auth.routeArgs(await app.auth.adminPost(SHOPIFY_SHOP, `/app/members/${id}`, { intent: "change-tier", tierId: gold.id }), { id }));
      expect(change).toMatchObject({ ok: false, message: "Members of silver can't be upgraded (the tier is not upgradable)." });
      expect(await app.prisma.enrollment.findFirstOrThrow({ where: { customerId: id } })).toMatchObject({ status: "active", tierId: silver.id });
      expect(await app.prisma.crmSyncQueue.count({ where: { shop: SHOPIFY_SHOP } })).toBe(queued);
    } finally {
      await app.prisma.tier.update({ where: { id: silver.id }, data: { upgradable: true } });
    }
  });
});

describe("member actions reach the platform", () => {
  it("change tier, then cancel, on Commerce7", async () => {
    const { response, email } = await submit(C7_SHOP);
    const id = redirectTarget(response).pathname.split("/").pop()!;
    const gold = await app.prisma.tier.findFirstOrThrow({ where: { shop: C7_SHOP, handle: "gold" } });
    const silverId = (await app.prisma.enrollment.findFirstOrThrow({ where: { customerId: id } })).tierId;
    const change = await app.member.action(app.auth.routeArgs(await app.auth.adminPost(C7_SHOP, `/app/members/${id}`, { intent: "change-tier", tierId: gold.id }), { id }));
    expect(change).toMatchObject({ ok: true });
    const upgrade = await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { actionType: "upgrade_membership", oldStageId: { not: null }, customerId: id } });
    expect([upgrade.stageId, upgrade.oldStageId]).toEqual([gold.id, silverId]);
    await drain();
    const remote = [...c7.tenant(TENANT.tenantId).customers.values()].find((c) => c.emails[0]!.email === email)!;
    expect(c7.memberships(TENANT.tenantId, remote.id).filter((m) => m.status === "Active").map((m) => m.clubId)).toEqual([clubs.gold]);

    // Still the same page: it follows the member to the new membership.
    const cancel = await app.member.action(app.auth.routeArgs(await app.auth.adminPost(C7_SHOP, `/app/members/${id}`, { intent: "cancel", reason: "Moving away" }), { id }));
    expect(cancel).toMatchObject({ ok: true });
    await drain();
    expect(c7.memberships(TENANT.tenantId, remote.id).filter((m) => m.status === "Active")).toEqual([]);
  });
});
