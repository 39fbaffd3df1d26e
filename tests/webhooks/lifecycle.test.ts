// The install lifecycle through the real routes (ADR 0017): HMAC-signed
// app/uninstalled deliveries, and reinstall through Shopify's real token
// exchange (the library exchanges the admin's session token at the fake, then
// runs afterAuth). A real worker syncs against the fake Shopify Admin; alert
// email goes to a real SMTP server, which must receive nothing from a shop
// that left.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { createFakeSmtp, type FakeSmtp } from "../../sandbox/fakes/smtp";
import { importApp, type App } from "../support/app";
import { TEST_ENV } from "../support/constants";
import { drainQueue } from "../support/drain";

const STALE = "stale-uninstall.myshopify.com";
const BACK = "reinstalled.myshopify.com";
const LEFT = "left.myshopify.com";
const SHOPS = [STALE, BACK, LEFT];
let shopify: FakeShopify;
let smtp: FakeSmtp;
let app: App & {
  uninstalled: typeof import("~/routes/webhooks.app.uninstalled");
  index: typeof import("~/routes/app._index");
  claim: typeof import("~/queue/claim.server");
  run: typeof import("~/queue/run.server");
  MEMBERSHIP_KEY: string;
};

beforeAll(async () => {
  shopify = await createFakeShopifyAdmin({
    shops: SHOPS.map((domain) => ({ domain, accessToken: "shpat_test" })),
    oauth: { apiKey: TEST_ENV.SHOPIFY_API_KEY, apiSecret: TEST_ENV.SHOPIFY_API_SECRET },
  });
  smtp = await createFakeSmtp();
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  process.env.SMTP_URL = smtp.url;
  app = {
    ...(await importApp()),
    uninstalled: await import("~/routes/webhooks.app.uninstalled"),
    index: await import("~/routes/app._index"),
    claim: await import("~/queue/claim.server"),
    run: await import("~/queue/run.server"),
    MEMBERSHIP_KEY: (await import("~/integrations/shopify/operations")).MEMBERSHIP_KEY,
  };
  for (const shop of SHOPS) {
    await app.prisma.shop.create({ data: { domain: shop, alertEmail: `owner@${shop}` } });
    await app.prisma.tier.create({ data: { shop, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 60_000, initialPurchaseCents: 0, durationMonths: 12, discountPercent: 10 } });
    await app.auth.storeOfflineSession(shop);
  }
});

afterAll(async () => {
  await Promise.all([shopify?.close(), smtp?.close()]);
});

let n = 0;
async function enrollMember(shop: string) {
  n++;
  const email = `member${n}@example.com`;
  const remote = shopify.addCustomer(shop, { email });
  const tier = await app.prisma.tier.findFirstOrThrow({ where: { shop } });
  const r = await app.enrollments.enroll(app.prisma, shop, { idempotencyKey: `lifecycle-${n}`, tierId: tier.id, email, platformId: remote.id });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return { ...r, gid: remote.id };
}

async function uninstall(shop: string, triggeredAt = new Date(), webhookId?: string) {
  const res = await app.uninstalled.action(app.auth.routeArgs(app.auth.webhookRequest(shop, "app/uninstalled", { id: 1, domain: shop }, { triggeredAt, webhookId })));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The merchant opens the app: no offline session, so the library exchanges the session token (at the fake) and runs afterAuth. */
async function openApp(shop: string) {
  await app.index.loader(app.auth.routeArgs(await app.auth.adminGet(shop, "/app")) as never);
}

const sessions = (shop: string) => app.prisma.session.count({ where: { shop } });
const exchanges = () => shopify.oauth.grants().filter((g) => g.grant === "token_exchange" && g.ok).length;

/** What Shopify removes when an app is uninstalled: its app-owned metafields and its discount. */
function shopifyForgetsTheApp(shop: string) {
  const state = shopify.shop(shop);
  for (const c of state.customers.values()) c.metafields.clear();
  state.discounts.clear();
}

describe("app/uninstalled against the current install", () => {
  it("a stale app/uninstalled after a reinstall leaves the sessions and data alone and answers 200; a later one uninstalls", async () => {
    const member = await enrollMember(STALE);
    await drainQueue(app.prisma, app.Worker);
    const leftAt = new Date();
    const first = await uninstall(STALE, leftAt, "uninstall-1");
    expect(first).toEqual({ status: 200, body: { uninstalled: true } });
    expect(await sessions(STALE)).toBe(0);

    const before = exchanges();
    await openApp(STALE);
    expect(exchanges()).toBe(before + 1);
    expect(await sessions(STALE)).toBe(1);
    const shop = await app.prisma.shop.findUniqueOrThrow({ where: { domain: STALE } });
    expect(shop.uninstalledAt).toBeNull();
    expect(shop.installedAt.getTime()).toBeGreaterThan(leftAt.getTime());

    // Shopify redelivers the first uninstall (same webhook, same trigger time).
    const items = await app.prisma.crmSyncQueue.count({ where: { shop: STALE } });
    const redelivered = await uninstall(STALE, leftAt, "uninstall-1");
    expect(redelivered.status).toBe(200);
    expect(redelivered.body).toMatchObject({ ignored: expect.stringContaining("before the current install") });
    expect(await sessions(STALE)).toBe(1);
    expect((await app.prisma.shop.findUniqueOrThrow({ where: { domain: STALE } })).uninstalledAt).toBeNull();
    expect(await app.prisma.crmSyncQueue.count({ where: { shop: STALE, status: "cancelled" } })).toBe(0);
    expect(await app.prisma.crmSyncQueue.count({ where: { shop: STALE } })).toBe(items);
    expect((await app.prisma.enrollment.findUniqueOrThrow({ where: { id: member.enrollmentId } })).status).toBe("active");

    // An uninstall triggered after the reinstall is real.
    expect(await uninstall(STALE, new Date())).toEqual({ status: 200, body: { uninstalled: true } });
    expect(await sessions(STALE)).toBe(0);
  });
});

describe("reinstall", () => {
  it("resyncs every active member and makes sure the discount exists; the same reinstall seen twice doubles nothing", async () => {
    const active = [await enrollMember(BACK), await enrollMember(BACK), await enrollMember(BACK)];
    const gone = await enrollMember(BACK);
    expect(await app.enrollments.cancelMembership(app.prisma, BACK, gone.enrollmentId)).toMatchObject({ ok: true });
    await drainQueue(app.prisma, app.Worker);
    // Membership work only: each token exchange also reads the shop's zone and
    // currency, and an install or reinstall reads its order history (ADR 0023).
    const work = { shop: BACK, status: "completed", actionType: { notIn: ["refresh_shop_context", "backfill_orders"] } };
    const backfills = await app.prisma.orderBackfill.count({ where: { shop: BACK } });
    const completedBefore = await app.prisma.crmSyncQueue.count({ where: work });

    expect((await uninstall(BACK)).body).toEqual({ uninstalled: true });
    shopifyForgetsTheApp(BACK);
    await openApp(BACK);
    // A second token exchange for the same install (say, the stored session was lost): not a reinstall.
    await app.prisma.session.deleteMany({ where: { shop: BACK } });
    await openApp(BACK);
    expect(await sessions(BACK)).toBe(1);
    await drainQueue(app.prisma, app.Worker);

    const resync = await app.prisma.crmSyncQueue.findMany({ where: { shop: BACK, actionType: "resync_members" } });
    expect(resync.map((i) => [i.status, JSON.parse(i.result!).queued])).toEqual([["completed", 3]]);
    const added = await app.prisma.crmSyncQueue.findMany({ where: { shop: BACK, idempotencyKey: { startsWith: `resync:${resync[0]!.id}:` } } });
    expect(added.map((i) => i.enrollmentId).sort()).toEqual(active.map((m) => m.enrollmentId).sort());
    expect(added.every((i) => i.actionType === "add_membership" && i.status === "completed")).toBe(true);
    const discount = await app.prisma.crmSyncQueue.findMany({ where: { shop: BACK, actionType: "ensure_discount", idempotencyKey: { startsWith: "ensure_discount:reinstall:" } } });
    expect(discount.map((i) => i.status)).toEqual(["completed"]);
    // Nothing else ran: the earlier items, plus the resync, its three members and the discount.
    expect(await app.prisma.crmSyncQueue.count({ where: work })).toBe(completedBefore + 5);
    // The reinstall read the order history once more; the second exchange did not.
    expect(await app.prisma.orderBackfill.count({ where: { shop: BACK } })).toBe(backfills + 1);

    // Shopify again holds each active member's membership and the discount; the cancelled member has none.
    for (const m of active) expect(shopify.appMetafield(BACK, m.gid, app.MEMBERSHIP_KEY)).toMatchObject({ tier: "silver" });
    expect(shopify.appMetafield(BACK, gone.gid, app.MEMBERSHIP_KEY)).toBeNull();
    expect(shopify.shop(BACK).discounts.size).toBe(1);
    expect((await app.prisma.enrollment.findMany({ where: { shop: BACK, status: "active" } })).map((e) => e.syncState)).toEqual(["synced", "synced", "synced"]);
  });
});

describe("no alert email to a shop that left", () => {
  it("an item processing at uninstall ends quietly, a pending alert is cancelled, and an alert running at uninstall sends nothing", async () => {
    smtp.messages.length = 0;
    // A failure before the uninstall: its alert is pending.
    const opts = { workerId: "test", backoff: { baseMs: 10, capMs: 50 }, timeoutMs: 5_000 };
    const claimNow = (id: string) => app.claim.claimOne(app.prisma, id, { workerId: "test", leaseMs: 30_000, now: new Date() });
    shopify.faults.add({ mode: "401" });
    const failed = await enrollMember(LEFT);
    const toFail = await claimNow((await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId: failed.enrollmentId } })).id);
    expect(await app.run.runItem(app.prisma, toFail!, opts)).toBe("failed");
    shopify.faults.clear();
    const failedItem = await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId: failed.enrollmentId } });
    expect(failedItem.status).toBe("failed");
    const alert = await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { shop: LEFT, actionType: "send_alert" } });
    expect(alert.status).toBe("pending");

    // An alert already running, and a member's item running, when the merchant uninstalls.
    const runningAlert = await claimNow(alert.id);
    const running = await enrollMember(LEFT);
    const runningItem = await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId: running.enrollmentId } });
    const claimed = await claimNow(runningItem.id);
    const waiting = await enrollMember(LEFT);
    expect([runningAlert?.status, claimed?.status]).toEqual(["processing", "processing"]);

    expect((await uninstall(LEFT)).body).toEqual({ uninstalled: true });
    // The token is revoked: the running member item fails on auth, and ends quietly.
    expect(await app.run.runItem(app.prisma, claimed!, opts)).toBe("cancelled");
    expect(await app.run.runItem(app.prisma, runningAlert!, opts)).toBe("completed");
    await drainQueue(app.prisma, app.Worker);

    expect(await app.prisma.crmSyncQueue.findUniqueOrThrow({ where: { id: runningItem.id } })).toMatchObject({ status: "cancelled", discardReason: "App uninstalled", alertedAt: null });
    expect(JSON.parse((await app.prisma.crmSyncQueue.findUniqueOrThrow({ where: { id: alert.id } })).result!)).toMatchObject({ sent: false });
    expect((await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId: waiting.enrollmentId } })).status).toBe("cancelled");
    // No other alert was raised, and none was sent.
    expect(await app.prisma.crmSyncQueue.count({ where: { shop: LEFT, actionType: "send_alert" } })).toBe(1);
    expect((await app.prisma.enrollment.findUniqueOrThrow({ where: { id: running.enrollmentId } })).syncState).toBe("discarded");
    expect(smtp.messages).toEqual([]);
  });
});
