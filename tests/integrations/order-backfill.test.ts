// The order history backfill (ADR 0023) against the fake Shopify Admin: a real
// bulk query (validated against the 2026-10 schema by the fake), watched
// through the queue, its JSONL streamed into the spend ledger by a real worker.
// The fake holds 100,000 orders over 12 months (and some older ones) with
// refunds, unpaid, voided, cancelled, test and guest orders, and computes its
// own net paid sum; the ledger must come to exactly that, and stay there when
// the backfill runs again or beside live orders/create for the same orders.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { orderCreatePayload, type FakeOrder } from "../../sandbox/fakes/shopify-bulk";
import { importApp, type App } from "../support/app";

const BIG = "year-of-orders.myshopify.com";
const LIVE = "live-beside.myshopify.com";
let shopify: FakeShopify;
let app: App & {
  backfill: typeof import("~/domain/backfill.server");
  sql: typeof import("~/queue/sql.server");
  created: typeof import("~/routes/webhooks.orders.create");
  finish: typeof import("~/routes/webhooks.bulk_operations.finish");
};

beforeAll(async () => {
  shopify = await createFakeShopifyAdmin({
    shops: [
      { domain: BIG, accessToken: "shpat_big", ianaTimezone: "UTC" },
      { domain: LIVE, accessToken: "shpat_live", ianaTimezone: "UTC" },
    ],
    bulkDurationMs: 300,
  });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  process.env.BACKFILL_POLL_MS = "50";
  app = {
    ...(await importApp()),
    backfill: await import("~/domain/backfill.server"),
    sql: await import("~/queue/sql.server"),
    created: await import("~/routes/webhooks.orders.create"),
    finish: await import("~/routes/webhooks.bulk_operations.finish"),
  };
  for (const [domain, token] of [[BIG, "shpat_big"], [LIVE, "shpat_live"]] as const) {
    await app.prisma.shop.create({ data: { domain, timezone: "UTC" } });
    await app.auth.storeOfflineSession(domain, token);
  }
}, 120_000);
afterAll(async () => {
  await shopify?.close();
  await app?.prisma.$disconnect();
});

/** Runs a real worker until the backfill is no longer open. */
async function runBackfill(shop: string, id: string, timeoutMs = 2_400_000) {
  const w = new app.Worker({ db: app.prisma, concurrency: 2, pollIntervalMs: 20, leaseMs: 60_000, backoff: { baseMs: 10, capMs: 50 }, paceRates: {}, pruneEveryMs: 0 });
  w.start();
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const row = await app.prisma.orderBackfill.findFirstOrThrow({ where: { id, shop } });
      if (row.status === "completed" || row.status === "failed") return row;
      if (Date.now() > deadline) throw new Error(`backfill still ${row.status} at line ${row.linesDone}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await w.stop();
  }
}

/** Net paid spend in the ledger: every counted purchase less its refunds, never below zero (recordedSpendCents' rule, all customers, all time). */
async function ledgerNetCents(shop: string): Promise<number> {
  const { sql } = app.sql;
  const rows = await app.prisma.$queryRawUnsafe<{ spend: unknown }[]>(
    sql(`SELECT COALESCE(SUM(p."amountCents" - (
        SELECT CASE WHEN COALESCE(SUM(r."amountCents"), 0) > p."amountCents" THEN p."amountCents" ELSE COALESCE(SUM(r."amountCents"), 0) END
        FROM "Refund" r WHERE r.shop = p.shop AND r."orderId" = p."orderId")), 0) AS spend
     FROM "Purchase" p WHERE p.shop = $1 AND p."countedAt" IS NOT NULL`),
    shop,
  );
  return Number(rows[0]?.spend ?? 0);
}

const inWindow = (orders: FakeOrder[], since: Date) => orders.filter((o) => Date.parse(o.createdAt) >= since.getTime());
const recordable = (orders: FakeOrder[]) => orders.filter((o) => o.customerId && !o.test && !o.cancelledAt);
const memberWork = (shop: string) => app.prisma.crmSyncQueue.count({ where: { shop, actionType: { in: ["add_membership", "upgrade_membership", "cancel_membership"] } } });

describe("order history backfill", () => {
  let orders: FakeOrder[];

  it("100,000 orders over 12 months: the ledger's net paid spend equals the fake's own sum, and no member changes", async () => {
    orders = shopify.seedOrders(BIG, { count: 100_000, seed: 15 });
    const started = await app.backfill.startBackfill(app.prisma, BIG);
    expect(started.queued).toBe(true);
    const row = await runBackfill(BIG, started.id);
    expect(row).toMatchObject({ status: "completed", error: null });

    const window = inWindow(orders, row.since);
    // The fake's sum is over the orders it holds; the backfill read only the window's.
    expect(window.length).toBeLessThan(orders.length);
    expect(row.linesDone).toBe(window.length);
    const expected = shopify.netPaidCents(BIG, row.since);
    expect(expected).toBeGreaterThan(0);
    expect(await ledgerNetCents(BIG)).toBe(expected);
    expect(await app.prisma.purchase.count({ where: { shop: BIG } })).toBe(recordable(window).length);
    expect(row.ordersRecorded).toBe(recordable(window).length);
    // Unpaid orders are recorded and wait for orders/paid, as orders/create leaves them.
    const unpaid = recordable(window).filter((o) => ["PENDING", "AUTHORIZED", "VOIDED"].includes(o.financialStatus)).length;
    expect(unpaid).toBeGreaterThan(0);
    expect(await app.prisma.purchase.count({ where: { shop: BIG, countedAt: null } })).toBe(unpaid);
    // Refunds by their own ids: a later refunds/create of the same refund is a duplicate.
    const refunds = recordable(window).reduce((n, o) => n + o.refunds.length, 0);
    expect(refunds).toBeGreaterThan(0);
    expect(row.refundsRecorded).toBe(refunds);
    expect(await app.prisma.refund.count({ where: { shop: BIG } })).toBe(refunds);
    // A backfill decides nothing: no membership work was queued.
    expect(await memberWork(BIG)).toBe(0);
    // The bulk query Shopify ran is the app's, for the window it asked.
    const op = shopify.shop(BIG).bulkOperations.at(-1)!;
    expect(op.query).toContain(`created_at:>='${row.since.toISOString()}'`);
  }, 2_700_000);

  it("run twice: the second backfill finds every order recorded and changes no sum", async () => {
    const before = { net: await ledgerNetCents(BIG), purchases: await app.prisma.purchase.count({ where: { shop: BIG } }), refunds: await app.prisma.refund.count({ where: { shop: BIG } }) };
    const again = await app.backfill.startBackfill(app.prisma, BIG);
    const row = await runBackfill(BIG, again.id);
    expect(row.status).toBe("completed");
    expect(row.ordersRecorded).toBe(0);
    expect(row.refundsRecorded).toBe(0);
    expect(row.ordersKnown).toBe(before.purchases);
    expect({ net: await ledgerNetCents(BIG), purchases: await app.prisma.purchase.count({ where: { shop: BIG } }), refunds: await app.prisma.refund.count({ where: { shop: BIG } }) }).toEqual(before);
  }, 2_700_000);

  it("beside a burst of live orders/create for the same orders (and the finish webhook): each order counts once", async () => {
    const seeded = shopify.seedOrders(LIVE, { count: 1_000, customers: 40, seed: 7 });
    const customers = shopify.shop(LIVE).customers;
    const deliver = async (o: FakeOrder) => {
      const c = customers.get(o.customerId!)!;
      const res = (await app.created.action(app.auth.routeArgs(app.auth.webhookRequest(LIVE, "orders/create", orderCreatePayload(o, c))))) as Response;
      expect(res.status).toBe(200);
    };
    const started = await app.backfill.startBackfill(app.prisma, LIVE);
    const { since } = await app.prisma.orderBackfill.findUniqueOrThrow({ where: { id: started.id } });
    const live = recordable(inWindow(seeded, since));
    const worker = runBackfill(LIVE, started.id);
    // The orders/create deliveries race the backfill's chunks, ten at a time.
    const burst = (async () => {
      for (let i = 0; i < live.length; i += 10) await Promise.all(live.slice(i, i + 10).map(deliver));
    })();
    // Shopify's bulk_operations/finish for the query (as soon as there is one).
    let op;
    while (!(op = shopify.shop(LIVE).bulkOperations.at(-1))) await new Promise((r) => setTimeout(r, 20));
    const hook = (await app.finish.action(
      app.auth.routeArgs(app.auth.webhookRequest(LIVE, "bulk_operations/finish", { admin_graphql_api_id: op.id, status: "completed", error_code: null, type: "query" })),
    )) as Response;
    expect(hook.status).toBe(200);
    await burst;
    const row = await worker;
    expect(row.status).toBe("completed");

    expect(await ledgerNetCents(LIVE)).toBe(shopify.netPaidCents(LIVE, row.since));
    expect(await app.prisma.purchase.count({ where: { shop: LIVE } })).toBe(recordable(inWindow(seeded, row.since)).length);
    expect(row.ordersRecorded + row.ordersKnown).toBe(recordable(inWindow(seeded, row.since)).length);
  }, 600_000);
});
