// Uninstall against a worker recording an item's failure, on PostgreSQL, with
// the interleaving forced: a second connection holds the Shop row's lock while
// both writers start, and lets go once PostgreSQL shows both waiting for it
// (they queue in arrival order). Whichever goes first, no alert email reaches
// the shop that left (ADR 0017). The failure is real: the fake Shopify answers
// 500 to an item with one attempt left.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { createFakeSmtp, type FakeSmtp } from "../../sandbox/fakes/smtp";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const FIRST_UNINSTALL = "uninstall-first.myshopify.com";
const FIRST_FAILURE = "failure-first.myshopify.com";
let shopify: FakeShopify;
let smtp: FakeSmtp;
let app: App & {
  uninstalled: typeof import("~/routes/webhooks.app.uninstalled");
  claim: typeof import("~/queue/claim.server");
  run: typeof import("~/queue/run.server");
};

beforeAll(async () => {
  const shops = [FIRST_UNINSTALL, FIRST_FAILURE];
  shopify = await createFakeShopifyAdmin({ shops: shops.map((domain) => ({ domain, accessToken: "shpat_test" })) });
  smtp = await createFakeSmtp();
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  process.env.SMTP_URL = smtp.url;
  app = {
    ...(await importApp()),
    uninstalled: await import("~/routes/webhooks.app.uninstalled"),
    claim: await import("~/queue/claim.server"),
    run: await import("~/queue/run.server"),
  };
  for (const shop of shops) {
    await app.prisma.shop.create({ data: { domain: shop, alertEmail: `owner@${shop}` } });
    await app.prisma.tier.create({ data: { shop, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 60_000, initialPurchaseCents: 0, durationMonths: 12 } });
    await app.auth.storeOfflineSession(shop);
  }
});

afterAll(async () => {
  await Promise.all([shopify?.close(), smtp?.close()]);
});

/**
 * A second connection holding the shop's row lock (FOR UPDATE) until
 * release(). Waiters are counted from a third connection outside any
 * transaction: inside one, pg_stat_activity is a snapshot taken once.
 */
async function holdShopRow(shop: string) {
  const holder = new pg.Client({ connectionString: process.env.DATABASE_URL });
  const watcher = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await Promise.all([holder.connect(), watcher.connect()]);
  await holder.query("BEGIN");
  await holder.query(`SELECT 1 FROM "Shop" WHERE domain = $1 FOR UPDATE`, [shop]);
  return {
    async waitForWriters(n: number) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { rows } = await watcher.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND wait_event_type = 'Lock'`,
        );
        if (Number(rows[0]!.n) >= n) return;
        if (Date.now() > deadline) throw new Error(`expected ${n} writer(s) waiting for the Shop row, saw ${rows[0]!.n}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async release() {
      await holder.query("COMMIT");
      await Promise.all([holder.end(), watcher.end()]);
    },
  };
}

/** A member whose add_membership is claimed (processing), with one attempt left, and Shopify answering 500. */
async function runningItem(shop: string) {
  const email = `racer@${shop}`;
  const remote = shopify.addCustomer(shop, { email });
  const tier = await app.prisma.tier.findFirstOrThrow({ where: { shop } });
  const r = await app.enrollments.enroll(app.prisma, shop, { idempotencyKey: `race-${shop}`, tierId: tier.id, email, platformId: remote.id });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const queued = await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId: r.enrollmentId } });
  await app.prisma.crmSyncQueue.update({ where: { id: queued.id }, data: { maxAttempts: 1 } });
  const item = await app.claim.claimOne(app.prisma, queued.id, { workerId: "racer", leaseMs: 30_000, now: new Date() });
  expect(item?.status).toBe("processing");
  return item!;
}

const run = (item: Awaited<ReturnType<typeof runningItem>>) =>
  app.run.runItem(app.prisma, item, { workerId: "racer", backoff: { baseMs: 10, capMs: 50 }, timeoutMs: 5_000 });
const uninstall = (shop: string) =>
  app.uninstalled.action(app.auth.routeArgs(app.auth.webhookRequest(shop, "app/uninstalled", { id: 1, domain: shop }))).then((r) => r.json());

describe("uninstall against a worker finishing an item (PostgreSQL: this file runs only there)", () => {
  it("uninstall first: the failure recorded after it ends the item quietly, and no alert is raised", async () => {
    const item = await runningItem(FIRST_UNINSTALL);
    shopify.faults.add({ mode: "500", match: "MemberState" });
    const lock = await holdShopRow(FIRST_UNINSTALL);
    const uninstalled = uninstall(FIRST_UNINSTALL);
    await lock.waitForWriters(1);
    const finished = run(item);
    await lock.waitForWriters(2);
    await lock.release();
    expect(await uninstalled).toEqual({ uninstalled: true });
    expect(await finished).toBe("cancelled");
    shopify.faults.clear();

    expect(await app.prisma.crmSyncQueue.findUniqueOrThrow({ where: { id: item.id } })).toMatchObject({ status: "cancelled", discardReason: "App uninstalled" });
    expect(await app.prisma.crmSyncQueue.count({ where: { shop: FIRST_UNINSTALL, actionType: "send_alert" } })).toBe(0);
    await drainQueue(app.prisma, app.Worker);
    expect(smtp.messages).toEqual([]);
  });

  it("failure first: its alert item is pending when the uninstall runs, which cancels it; nothing is emailed", async () => {
    const item = await runningItem(FIRST_FAILURE);
    shopify.faults.add({ mode: "500", match: "MemberState" });
    const lock = await holdShopRow(FIRST_FAILURE);
    const finished = run(item);
    await lock.waitForWriters(1);
    const uninstalled = uninstall(FIRST_FAILURE);
    await lock.waitForWriters(2);
    await lock.release();
    expect(await finished).toBe("failed");
    expect(await uninstalled).toEqual({ uninstalled: true });
    shopify.faults.clear();

    expect((await app.prisma.crmSyncQueue.findUniqueOrThrow({ where: { id: item.id } })).status).toBe("failed");
    const alerts = await app.prisma.crmSyncQueue.findMany({ where: { shop: FIRST_FAILURE, actionType: "send_alert" } });
    expect(alerts.map((a) => [a.status, a.discardReason])).toEqual([["cancelled", "App uninstalled"]]);
    await drainQueue(app.prisma, app.Worker);
    expect(smtp.messages).toEqual([]);
  });
});
