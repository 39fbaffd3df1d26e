// Gentler endings (ADR 0025) against a real database and the fake Shopify Admin:
// a grace period keeps a lapsed member's tier and discount, an order in grace
// renews from the original expiry, no order means expired at grace end, and a
// tier that steps down moves a lapsing member to the highest lower tier their
// spend still meets. Orders arrive as HMAC-signed deliveries through the real
// route; the race between an order in grace and the job ending that grace is
// forced with the member's lock held from a second connection.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { cartLinesDiscountsGenerateRun } from "../../extensions/club-discount/src/cart_lines_discounts_generate_run";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";
// The member-lock helper imports app modules, which read the environment once:
// it is imported after the fake's address is set (beforeAll).
let holdMemberLock: typeof import("../support/member-lock").holdMemberLock;

const SHOP = "gentle.myshopify.com";
const ZONE = "America/Los_Angeles";
const DAY = 86_400_000;
let shopify: FakeShopify;
let app: App & {
  expiry: typeof import("~/domain/expiry.server");
  dates: typeof import("~/domain/dates");
  webhook: typeof import("~/routes/webhooks.orders.create");
};
const tiers: Record<"bronze" | "silver" | "gold" | "graceGold" | "reserve", string> = { bronze: "", silver: "", gold: "", graceGold: "", reserve: "" };

beforeAll(async () => {
  shopify = await createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: "shpat_test" }] });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  app = {
    ...(await importApp()),
    expiry: await import("~/domain/expiry.server"),
    dates: await import("~/domain/dates"),
    webhook: await import("~/routes/webhooks.orders.create"),
  };
  holdMemberLock = (await import("../support/member-lock")).holdMemberLock;
  await app.prisma.shop.create({ data: { domain: SHOP, timezone: ZONE, countOrdersWhen: "created" } });
  await app.auth.storeOfflineSession(SHOP);
  const tier = (name: string, rank: number, threshold: number, over: { graceDays?: number; stepDown?: boolean } = {}) =>
    app.prisma.tier.create({
      data: { shop: SHOP, name, handle: name.toLowerCase().replace(/\s+/g, "-"), rank, annualThresholdCents: threshold, initialPurchaseCents: 1_000, durationMonths: 12, discountPercent: 10 * rank, ...over },
    });
  tiers.bronze = (await tier("Bronze", 1, 20_000)).id;
  tiers.silver = (await tier("Silver", 2, 60_000)).id;
  tiers.gold = (await tier("Gold", 3, 120_000, { stepDown: true })).id;
  tiers.graceGold = (await tier("Grace Gold", 4, 150_000, { graceDays: 14, stepDown: true })).id;
  tiers.reserve = (await tier("Reserve", 5, 150_000, { graceDays: 14 })).id;
});

afterAll(async () => {
  await shopify?.close();
  await app?.prisma.$disconnect();
});

let n = 0;
/** A member of `tier` whose membership ended `daysAgo` days ago, with `spendCents` recorded 100 days ago. */
async function lapsed(tier: keyof typeof tiers, daysAgo: number, spendCents = 0) {
  n++;
  const email = `g${n}@example.com`;
  const remote = shopify.addCustomer(SHOP, { email });
  const r = await app.enrollments.enroll(app.prisma, SHOP, { idempotencyKey: `gentle-${n}`, tierId: tiers[tier], email, platformId: remote.id });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  // A whole second, as an order's created_at carries.
  const expiresAt = new Date(Math.floor((Date.now() - daysAgo * DAY) / 1000) * 1000);
  const e = await app.prisma.enrollment.update({ where: { id: r.enrollmentId }, data: { expiresAt, startedAt: new Date(expiresAt.getTime() - 365 * DAY) } });
  if (spendCents) {
    await app.prisma.purchase.create({
      data: { shop: SHOP, orderId: `gid://shopify/Order/prior-${n}`, customerId: e.customerId, amountCents: spendCents, currency: "USD", occurredAt: new Date(Date.now() - 100 * DAY), countedAt: new Date() },
    });
  }
  return { enrollment: e, customerId: e.customerId, email, remote, number: Number(remote.id.split("/").pop()) };
}

let orders = 0;
async function deliverOrder(m: { email: string; remote: { id: string }; number: number }, amount: string, at: Date) {
  orders++;
  const id = 8_200_000 + orders;
  const body = {
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    created_at: at.toISOString(),
    cancelled_at: null,
    test: false,
    currency: "USD",
    financial_status: "paid",
    email: m.email,
    current_subtotal_price_set: { shop_money: { amount, currency_code: "USD" } },
    customer: { id: m.number, admin_graphql_api_id: m.remote.id, email: m.email, first_name: "Ada", last_name: "Vine" },
  };
  const response = (await app.webhook.action(app.auth.routeArgs(app.auth.webhookRequest(SHOP, "orders/create", body)))) as Response;
  expect(response.status).toBe(200);
  return (await response.json()) as { status: string; membership?: string };
}

const enrollmentsOf = (customerId: string) => app.prisma.enrollment.findMany({ where: { shop: SHOP, customerId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
const itemsOf = (customerId: string) => app.prisma.crmSyncQueue.findMany({ where: { shop: SHOP, customerId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
const discountOn = (membership: unknown, date: string) =>
  cartLinesDiscountsGenerateRun({
    cart: { buyerIdentity: { customer: { id: "gid://shopify/Customer/1", membership: { jsonValue: membership } } }, lines: [{ id: "gid://shopify/CartLine/1", quantity: 1, cost: { subtotalAmount: { amount: "40.0" } } }] },
    discount: { discountClasses: ["PRODUCT"], tiers: { jsonValue: { tiers: { "grace-gold": { percentage: 40 } } } } },
    shop: { localTime: { date } },
  }).operations.length > 0;

describe("a grace period", () => {
  it("keeps a lapsed member active in their tier until it ends, once, however many runs; Shopify's discount lasts through it", async () => {
    const m = await lapsed("graceGold", 2);
    const runs = await Promise.all([1, 2, 3].map(() => app.expiry.expireLapsedMemberships(app.prisma)));
    expect(runs.reduce((sum, r) => sum + r.expired, 0)).toBe(1);
    const [e] = await enrollmentsOf(m.customerId);
    expect(e).toMatchObject({ status: "active", tierId: tiers.graceGold });
    expect(e!.graceEndsAt!.toISOString()).toBe(app.dates.addDays(m.enrollment.expiresAt, 14, ZONE).toISOString());
    // One item re-mirrors the membership with its grace end, whatever the number of runs.
    expect((await itemsOf(m.customerId)).filter((i) => i.idempotencyKey?.startsWith("grace:"))).toHaveLength(1);
    expect(await app.expiry.expireLapsedMemberships(app.prisma)).toMatchObject({ expired: 0 });

    await drainQueue(app.prisma, app.Worker);
    const value = shopify.appMetafield(SHOP, m.remote.id, "membership") as { expiresAt: string; graceEndsOn: string };
    expect(value).toMatchObject({ status: "grace", tier: "grace-gold", expiresAt: app.dates.localDate(m.enrollment.expiresAt, ZONE), graceEndsOn: app.dates.localDate(e!.graceEndsAt!, ZONE) });
    // The real discount function on that metafield: the discount holds after the
    // expiry, through the grace period's last local day, and not the day after.
    const today = app.dates.localDate(new Date(), ZONE);
    expect(discountOn(value, today)).toBe(true);
    expect(discountOn(value, value.graceEndsOn)).toBe(true);
    expect(discountOn(value, app.dates.addLocalDays(value.graceEndsOn, 1))).toBe(false);
    expect(discountOn({ ...value, graceEndsOn: undefined }, today)).toBe(false);
  });

  it("an order in grace that meets the renewal rule renews from the original expiry, and ends the grace", async () => {
    const m = await lapsed("reserve", 3, 100_000); // the top tier: the order cannot upgrade
    await app.expiry.expireLapsedMemberships(app.prisma);
    expect((await enrollmentsOf(m.customerId))[0]!.graceEndsAt).not.toBeNull();
    const answer = await deliverOrder(m, "600.00", new Date(Date.now() - 60_000));
    expect(answer.membership).toBe("renewed");
    const [e] = await enrollmentsOf(m.customerId);
    expect(e).toMatchObject({ status: "active", tierId: tiers.reserve, graceEndsAt: null });
    expect(e!.expiresAt.toISOString()).toBe(app.dates.addMonths(m.enrollment.expiresAt, 12, ZONE).toISOString());
    expect(await app.prisma.renewal.count({ where: { shop: SHOP, enrollmentId: e!.id } })).toBe(1);
  });

  it("an order in grace below the renewal rule is recorded and leaves the member in grace", async () => {
    const m = await lapsed("graceGold", 3);
    await app.expiry.expireLapsedMemberships(app.prisma);
    expect((await deliverOrder(m, "50.00", new Date(Date.now() - 60_000))).membership).toBe("unchanged");
    const [e] = await enrollmentsOf(m.customerId);
    expect(e).toMatchObject({ status: "active", expiresAt: m.enrollment.expiresAt });
    expect(e!.graceEndsAt).not.toBeNull();
  });

  it("with no order, the membership expires at the grace period's end (stepping down needs spend: here there is none)", async () => {
    const m = await lapsed("graceGold", 20);
    // The grace period (14 days from an expiry 20 days ago) is over: a job that
    // was away that long ends it at once, as it would have at its end.
    await app.expiry.expireLapsedMemberships(app.prisma);
    const [e] = await enrollmentsOf(m.customerId);
    expect(e).toMatchObject({ status: "expired" });
    expect((await itemsOf(m.customerId)).filter((i) => i.actionType === "cancel_membership")).toHaveLength(1);

    const g = await lapsed("graceGold", 2);
    await app.expiry.expireLapsedMemberships(app.prisma);
    const graceEndsAt = (await enrollmentsOf(g.customerId))[0]!.graceEndsAt!;
    // Still in grace a minute before its end, expired a minute after.
    await app.expiry.expireLapsedMemberships(app.prisma, new Date(graceEndsAt.getTime() - 60_000));
    expect((await enrollmentsOf(g.customerId))[0]).toMatchObject({ status: "active" });
    await app.expiry.expireLapsedMemberships(app.prisma, new Date(graceEndsAt.getTime() + 60_000));
    expect((await enrollmentsOf(g.customerId))[0]).toMatchObject({ status: "expired", endReason: "Membership expired after its grace period" });
  });
});

describe("stepping down instead of expiring", () => {
  it("a lapsing Gold member with Silver-level spend becomes Silver for a new term; one with less than Bronze expires", async () => {
    const silverLevel = await lapsed("gold", 1, 70_000);
    const tooLittle = await lapsed("gold", 1, 10_000);
    await app.expiry.expireLapsedMemberships(app.prisma);

    const [old, next] = await enrollmentsOf(silverLevel.customerId);
    expect(old).toMatchObject({ status: "moved_down", tierId: tiers.gold });
    expect(old!.endReason).toMatch(/Stepped down to Silver/);
    expect(next).toMatchObject({ status: "active", tierId: tiers.silver });
    // The new term runs from the moment the old one ended.
    expect(next!.startedAt.toISOString()).toBe(silverLevel.enrollment.expiresAt.toISOString());
    expect(next!.expiresAt.toISOString()).toBe(app.dates.addMonths(silverLevel.enrollment.expiresAt, 12, ZONE).toISOString());
    const moves = (await itemsOf(silverLevel.customerId)).filter((i) => i.actionType === "upgrade_membership");
    expect(moves.map((i) => [i.oldStageId, i.stageId])).toEqual([[tiers.gold, tiers.silver]]);

    expect(await enrollmentsOf(tooLittle.customerId)).toMatchObject([{ status: "expired", tierId: tiers.gold }]);
    // Re-running changes nothing: the Silver term is current.
    expect(await app.expiry.expireLapsedMemberships(app.prisma)).toMatchObject({ expired: 0 });

    await drainQueue(app.prisma, app.Worker);
    expect(silverLevel.remote.tags).toEqual(["club:silver"]);
    expect(tooLittle.remote.tags).toEqual([]);
  });

  it("with a grace period, the step down comes at the grace period's end", async () => {
    const m = await lapsed("graceGold", 2, 130_000);
    await app.expiry.expireLapsedMemberships(app.prisma);
    const graceEndsAt = (await enrollmentsOf(m.customerId))[0]!.graceEndsAt!;
    await app.expiry.expireLapsedMemberships(app.prisma, new Date(graceEndsAt.getTime() + 1_000));
    const [old, next] = await enrollmentsOf(m.customerId);
    expect(old).toMatchObject({ status: "moved_down", tierId: tiers.graceGold });
    // 1,300.00 meets Gold (1,200.00): the highest lower tier met.
    expect(next).toMatchObject({ status: "active", tierId: tiers.gold });
    expect(next!.startedAt.toISOString()).toBe(graceEndsAt.toISOString());
  });
});

describe("an order in grace against the job ending that grace (forced)", () => {
  for (const first of ["job", "order"] as const) {
    it(`the order placed in grace wins when the ${first} takes the member's lock first: renewed from the original expiry, once`, async () => {
      // Reserve has a grace period and does not step down: ended, it expires.
      const m = await lapsed("reserve", 2, 100_000);
      await app.expiry.expireLapsedMemberships(app.prisma);
      const graceEndsAt = (await enrollmentsOf(m.customerId))[0]!.graceEndsAt!;
      const jobAt = new Date(graceEndsAt.getTime() + 1_000);
      const placedAt = new Date(Date.now() - 30_000); // in grace
      const lock = await holdMemberLock(app.prisma, SHOP, m.customerId);
      const runJob = () => app.expiry.expireLapsedMemberships(app.prisma, jobAt);
      const a = first === "job" ? runJob() : deliverOrder(m, "600.00", placedAt);
      await lock.waitForWriters(1);
      const b = first === "job" ? deliverOrder(m, "600.00", placedAt) : runJob();
      await lock.waitForWriters(2);
      await lock.release();
      await Promise.all([a, b]);

      const enrollments = await enrollmentsOf(m.customerId);
      expect(enrollments).toHaveLength(1);
      expect(enrollments[0]).toMatchObject({ status: "active", graceEndsAt: null, endedAt: null });
      expect(enrollments[0]!.expiresAt.toISOString()).toBe(app.dates.addMonths(m.enrollment.expiresAt, 12, ZONE).toISOString());
      expect(await app.prisma.renewal.count({ where: { shop: SHOP, enrollmentId: enrollments[0]!.id } })).toBe(1);
      // The queue's last word is the membership, not its cancellation.
      const last = (await itemsOf(m.customerId)).filter((i) => ["add_membership", "cancel_membership"].includes(i.actionType)).at(-1);
      expect(last?.actionType).toBe("add_membership");
    });
  }
});
