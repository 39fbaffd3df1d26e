// The order backfill against live orders/create for the same orders, with the
// interleavings FORCED on PostgreSQL (tests/support/member-lock.ts): a second
// connection holds one member's lock, the backfill's first chunk is seen
// waiting for it (it locks its members at once, in ascending id order, and has
// taken the lower ones), live deliveries of that member's orders are started
// and seen waiting behind it, live deliveries of orders further down the file
// go through meanwhile; then the lock is let go. Each order counts once, and the
// ledger equals the fake's own net paid sum.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { orderCreatePayload, type FakeOrder } from "../../sandbox/fakes/shopify-bulk";
import { importApp, type App } from "../support/app";

const SHOP = "backfill-race.myshopify.com";
let shopify: FakeShopify;
// Imported after the environment points at the fake (app modules freeze it when first imported).
let holdMemberLock: typeof import("../support/member-lock").holdMemberLock;
let app: App & { backfill: typeof import("~/domain/backfill.server"); created: typeof import("~/routes/webhooks.orders.create"); sql: typeof import("~/queue/sql.server") };

beforeAll(async () => {
  shopify = await createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: "shpat_race", ianaTimezone: "UTC" }], bulkDurationMs: 50 });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  process.env.BACKFILL_POLL_MS = "20";
  holdMemberLock = (await import("../support/member-lock")).holdMemberLock;
  app = { ...(await importApp()), backfill: await import("~/domain/backfill.server"), created: await import("~/routes/webhooks.orders.create"), sql: await import("~/queue/sql.server") };
  await app.prisma.shop.create({ data: { domain: SHOP, timezone: "UTC" } });
  await app.auth.storeOfflineSession(SHOP, "shpat_race");
});
afterAll(async () => {
  await shopify?.close();
  await app?.prisma.$disconnect();
});

async function ledgerNetCents(): Promise<number> {
  const rows = await app.prisma.$queryRawUnsafe<{ spend: unknown }[]>(
    app.sql.sql(`SELECT COALESCE(SUM(p."amountCents" - (
        SELECT CASE WHEN COALESCE(SUM(r."amountCents"), 0) > p."amountCents" THEN p."amountCents" ELSE COALESCE(SUM(r."amountCents"), 0) END
        FROM "Refund" r WHERE r.shop = p.shop AND r."orderId" = p."orderId")), 0) AS spend
     FROM "Purchase" p WHERE p.shop = $1 AND p."countedAt" IS NOT NULL`),
    SHOP,
  );
  return Number(rows[0]?.spend ?? 0);
}

describe("backfill beside live orders/create (forced on PostgreSQL)", () => {
  it("the backfill's chunk holds its members; live orders of one wait behind it and are duplicates, live orders further down go first and the backfill finds them", async () => {
    const orders = shopify.seedOrders(SHOP, { count: 600, customers: 300, seed: 21 });
    const fake = shopify.shop(SHOP);
    // Customers known before (earlier enrollments): the chunk finds and locks them.
    const local = new Map<string, string>();
    for (const c of fake.customers.values()) {
      const row = await app.prisma.customer.create({ data: { shop: SHOP, email: c.email, firstName: c.firstName, lastName: c.lastName, shopifyCustomerId: c.id } });
      local.set(c.id, row.id);
    }
    const w = new app.Worker({ db: app.prisma, concurrency: 2, pollIntervalMs: 10, leaseMs: 60_000, backoff: { baseMs: 10, capMs: 50 }, paceRates: {}, pruneEveryMs: 0 });
    const started = await app.backfill.startBackfill(app.prisma, SHOP);
    const { since } = await app.prisma.orderBackfill.findUniqueOrThrow({ where: { id: started.id } });
    // The file's order: by id, within the window.
    const lines = orders.filter((o) => Date.parse(o.createdAt) >= since.getTime()).sort((a, b) => a.legacyId - b.legacyId);
    const recordable = (o: FakeOrder) => o.customerId && !o.test && !o.cancelledAt;
    const firstChunk = lines.slice(0, app.backfill.BACKFILL_CHUNK);
    const inFirst = new Set(firstChunk.map((o) => o.customerId));
    // The held member: the first chunk's member with the highest local id (so the chunk has taken every other lock).
    const held = [...inFirst].filter((id): id is string => !!id).sort((a, b) => (local.get(a)! < local.get(b)! ? 1 : -1))[0]!;
    const heldOrders = firstChunk.filter((o) => o.customerId === held && recordable(o));
    const later = lines.slice(app.backfill.BACKFILL_CHUNK).filter((o) => recordable(o) && !inFirst.has(o.customerId));
    expect(heldOrders.length).toBeGreaterThan(0);
    expect(later.length).toBeGreaterThan(5);

    const deliver = async (o: FakeOrder) => {
      const c = fake.customers.get(o.customerId!)!;
      const res = (await app.created.action(app.auth.routeArgs(app.auth.webhookRequest(SHOP, "orders/create", orderCreatePayload(o, c))))) as Response;
      expect(res.status).toBe(200);
      return ((await res.json()) as { status: string }).status;
    };

    const lock = await holdMemberLock(app.prisma, SHOP, local.get(held)!);
    w.start();
    try {
      // The bulk query runs, then the first chunk waits for the held member.
      for (let i = 0; (await app.prisma.orderBackfill.findUniqueOrThrow({ where: { id: started.id } })).status !== "reading"; i++) {
        if (i > 1200) throw new Error(`backfill not reading: ${JSON.stringify(await app.prisma.crmSyncQueue.findMany({ where: { shop: SHOP }, select: { idempotencyKey: true, status: true, lastError: true } }))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await lock.waitForWriters(1);
      // Live orders of the held member queue behind the backfill.
      const waiting = heldOrders.slice(0, 3).map(deliver);
      await lock.waitForWriters(1 + Math.min(3, heldOrders.length));
      // Live orders of members the chunk does not hold go through now, before the backfill reaches them.
      const first = later.slice(0, 5);
      const went = await Promise.all(first.map(deliver));
      expect(went.every((s) => s === "recorded" || s === "not_counted")).toBe(true);
      await lock.release();
      // Behind the backfill: it recorded them first.
      expect(await Promise.all(waiting)).toEqual(heldOrders.slice(0, 3).map(() => "duplicate"));

      for (;;) {
        const row = await app.prisma.orderBackfill.findUniqueOrThrow({ where: { id: started.id } });
        if (row.status === "completed" || row.status === "failed") break;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await w.stop();
    }
    const row = await app.prisma.orderBackfill.findUniqueOrThrow({ where: { id: started.id } });
    expect(row.status).toBe("completed");
    // The backfill found the five recorded live, and recorded the rest.
    expect(row.ordersKnown).toBe(5);
    expect(row.ordersRecorded).toBe(lines.filter(recordable).length - 5);
    expect(await app.prisma.purchase.count({ where: { shop: SHOP } })).toBe(lines.filter(recordable).length);
    // Live redeliveries after it changes nothing either.
    expect(await Promise.all(later.slice(0, 5).map(deliver))).toEqual(["duplicate", "duplicate", "duplicate", "duplicate", "duplicate"]);
    expect(await ledgerNetCents()).toBe(shopify.netPaidCents(SHOP, since));
  }, 300_000);
});
