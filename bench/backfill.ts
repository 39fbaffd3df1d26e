// npm run bench:backfill — the order history backfill's rate (ADR 0023): a
// Shopify bulk query of N orders over 12 months (the fake Admin, validated
// against the real schema), its JSONL streamed into the spend ledger by the
// real queue worker, on SQLite and on PostgreSQL (each in a process of its own:
// the app binds its database at import).
//
//   npm run bench:backfill -- [--orders 20000] [--customers 2000]
//
// Prints orders/s of the read (first line recorded to the backfill completed),
// and the time Shopify's side took (the fake's bulk query: not a figure of ours).
import { arg, benchEnv, runBenchChild, scratchDatabase } from "./support";

const ORDERS = Number(arg("orders", "20000"));
const CUSTOMERS = Number(arg("customers", String(Math.ceil(ORDERS / 10))));
const SHOP = "bench-backfill.myshopify.com";

type Result = { db: string; orders: number; lines: number; recorded: number; readSeconds: number; ordersPerSecond: number; totalSeconds: number; netMatches: boolean };

async function child(kind: "sqlite" | "pg") {
  const scratch = await scratchDatabase(kind, "backfill");
  const { createFakeShopifyAdmin } = await import("../sandbox/fakes/shopify-admin");
  const shopify = await createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: "shpat_bench", ianaTimezone: "UTC" }], bulkDurationMs: 100 });
  try {
    await benchEnv(scratch.url, { SHOPIFY_ADMIN_ORIGIN: `${shopify.url}/shops/{shop}`, BACKFILL_POLL_MS: "20" });
    const prisma = (await import("../app/db.server")).default;
    const auth = await import("../tests/support/auth");
    const { startBackfill } = await import("../app/domain/backfill.server");
    const { Worker } = await import("../app/queue/worker.server");
    const { sql } = await import("../app/queue/sql.server");
    (await import("../app/integrations/processors.server")).registerPlatformProcessors();
    await prisma.shop.create({ data: { domain: SHOP, timezone: "UTC" } });
    await auth.storeOfflineSession(SHOP, "shpat_bench");
    shopify.seedOrders(SHOP, { count: ORDERS, customers: CUSTOMERS, seed: 42 });

    const w = new Worker({ db: prisma, concurrency: 2, pollIntervalMs: 10, leaseMs: 60_000, backoff: { baseMs: 10, capMs: 50 }, paceRates: {}, pruneEveryMs: 0 });
    const t0 = performance.now();
    const { id } = await startBackfill(prisma, SHOP);
    w.start();
    let readFrom: number | null = null;
    let row;
    for (;;) {
      row = await prisma.orderBackfill.findUniqueOrThrow({ where: { id } });
      if (readFrom === null && row.status === "reading") readFrom = performance.now();
      if (row.status === "completed" || row.status === "failed") break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const t1 = performance.now();
    await w.stop();
    if (row.status !== "completed") throw new Error(`backfill ${row.status}: ${row.error}`);
    const rows = await prisma.$queryRawUnsafe<{ spend: unknown }[]>(
      sql(`SELECT COALESCE(SUM(p."amountCents" - (SELECT CASE WHEN COALESCE(SUM(r."amountCents"), 0) > p."amountCents" THEN p."amountCents" ELSE COALESCE(SUM(r."amountCents"), 0) END
             FROM "Refund" r WHERE r.shop = p.shop AND r."orderId" = p."orderId")), 0) AS spend FROM "Purchase" p WHERE p.shop = $1 AND p."countedAt" IS NOT NULL`),
      SHOP,
    );
    const readSeconds = (t1 - (readFrom ?? t0)) / 1000;
    const result: Result = {
      db: kind,
      orders: ORDERS,
      lines: row.linesDone,
      recorded: row.ordersRecorded,
      readSeconds,
      ordersPerSecond: Math.round(row.linesDone / readSeconds),
      totalSeconds: (t1 - t0) / 1000,
      netMatches: Number(rows[0]?.spend ?? 0) === shopify.netPaidCents(SHOP, row.since),
    };
    console.log(JSON.stringify(result));
    await prisma.$disconnect();
  } finally {
    await shopify.close();
    await scratch.drop();
  }
}

if (process.env.BENCH_CHILD === "sqlite" || process.env.BENCH_CHILD === "pg") {
  await child(process.env.BENCH_CHILD);
  process.exit(0);
}
console.log(`order history backfill: ${ORDERS} orders over 12 months (${CUSTOMERS} customers), one bulk query, streamed through the queue worker`);
console.log("db          orders/s   read s   total s   lines    recorded   ledger = fake's net paid sum");
for (const kind of ["sqlite", "pg"] as const) {
  const r = runBenchChild<Result>(import.meta.filename, kind);
  if (!r) continue;
  console.log(`${(kind === "pg" ? "postgresql" : "sqlite").padEnd(10)} ${String(r.ordersPerSecond).padStart(9)} ${r.readSeconds.toFixed(1).padStart(8)} ${r.totalSeconds.toFixed(1).padStart(9)} ${String(r.lines).padStart(7)} ${String(r.recorded).padStart(10)}   ${r.netMatches ? "yes" : "NO"}`);
  if (!r.netMatches) process.exitCode = 1;
}
