// npm run bench:dashboard — the home page's queries at 100,000 members.
//
//   npm run bench:dashboard -- [--members 100000] [--samples 30] [--db sqlite|pg|both]
//
// A shop with a year of history: 100,000 members whose current memberships
// started over the last 12 months, 25,000 earlier memberships that ended in the
// year (expired, cancelled, upgraded), 300,000 purchases, 30,000 renewals and
// 50,000 sync attempts in the last 24 hours. Prints p50 and p99 of each query
// behind the page: the figures, and each chart's one query. The target is
// under 100 ms p50 each.
import { arg, benchEnv, pct, runBenchChild, scratchDatabase } from "./support";

const MEMBERS = Number(arg("members", "100000"));
const SAMPLES = Number(arg("samples", "30"));
const DB = arg("db", "both");
const SHOP = "bench-home.myshopify.com";
const DAY = 86_400_000;

async function child(provider: "sqlite" | "pg") {
  const scratch = await scratchDatabase(provider, "dashboard");
  try {
    await benchEnv(scratch.url);
    const prisma = (await import("../app/db.server")).default;
    const { chartPeriods, dashboard, dashboardCharts, membershipMonths, syncByHour } = await import("../app/domain/dashboard.server");
    const { foldMembershipCounts } = await import("../app/domain/membership-counts.server");
    const now = Date.now();
    await prisma.shop.create({ data: { domain: SHOP, timezone: "America/Los_Angeles" } });
    const tiers: { id: string }[] = [];
    for (const [rank, name] of [
      [1, "Silver"],
      [2, "Gold"],
      [3, "Reserve"],
    ] as const) {
      tiers.push(await prisma.tier.create({ data: { shop: SHOP, name, handle: name.toLowerCase(), rank, annualThresholdCents: rank * 60_000, initialPurchaseCents: 5_000, durationMonths: 12 } }));
    }
    const t0 = performance.now();
    const ENDED = Math.floor(MEMBERS / 4);
    for (let i = 0; i < MEMBERS; i += 5000) {
      const n = Math.min(5000, MEMBERS - i);
      const ids = Array.from({ length: n }, (_, k) => i + k);
      await prisma.customer.createMany({ data: ids.map((j) => ({ id: `hc-${j}`, shop: SHOP, email: `h${j}@example.com` })) });
      await prisma.enrollment.createMany({
        data: ids.map((j) => {
          const started = now - ((j * 7919) % 365) * DAY - (j % 86_400) * 1000;
          return { id: `he-${j}`, shop: SHOP, customerId: `hc-${j}`, tierId: tiers[j % 3]!.id, startedAt: new Date(started), createdAt: new Date(started), expiresAt: new Date(started + 365 * DAY), idempotencyKey: `hk-${j}`, syncState: "synced" };
        }),
      });
      const ended = ids.filter((j) => j < ENDED);
      if (ended.length) {
        await prisma.enrollment.createMany({
          data: ended.map((j) => {
            const started = now - (400 + (j % 200)) * DAY;
            const endedAt = now - (30 + ((j * 31) % 330)) * DAY;
            return { id: `hx-${j}`, shop: SHOP, customerId: `hc-${j}`, tierId: tiers[(j + 1) % 3]!.id, startedAt: new Date(started), createdAt: new Date(started), expiresAt: new Date(started + 365 * DAY), status: ["expired", "cancelled", "upgraded"][j % 3]!, endedAt: new Date(endedAt), syncState: "synced" };
          }),
        });
      }
      await prisma.purchase.createMany({
        data: ids.flatMap((j) => [0, 1, 2].map((k) => ({ shop: SHOP, orderId: `gid://shopify/Order/h-${j}-${k}`, customerId: `hc-${j}`, amountCents: 4_000 + k * 1_000, currency: "USD", occurredAt: new Date(now - ((j + k * 97) % 365) * DAY), countedAt: new Date(now - ((j + k * 97) % 365) * DAY) }))),
      });
      const renewed = ids.filter((j) => j % 10 < 3);
      await prisma.renewal.createMany({ data: renewed.map((j) => ({ shop: SHOP, enrollmentId: `he-${j}`, renewedAt: new Date(now - ((j * 13) % 360) * DAY) })) });
    }
    // Sync attempts: 50,000 over the last 24 hours, on 5,000 queue items.
    await prisma.crmSyncQueue.createMany({ data: Array.from({ length: 5000 }, (_, j) => ({ id: `hq-${j}`, shop: SHOP, customerId: `hc-${j}`, actionType: "add_membership", stageId: tiers[0]!.id, idempotencyKey: `hq-${j}`, status: "completed" })) });
    for (let i = 0; i < 50_000; i += 5000) {
      await prisma.syncAttempt.createMany({
        data: Array.from({ length: 5000 }, (_, k) => ({ shop: SHOP, queueId: `hq-${(i + k) % 5000}`, attempt: 1, startedAt: new Date(now - ((i + k) * 1727) % DAY), durationMs: 40, outcome: (i + k) % 20 === 0 ? "retry" : "success" })),
      });
    }
    // A steady-state database has statistics and a visibility map (autovacuum keeps
    // them); a table just bulk-loaded has neither, and its plans say so.
    // The per-day counts (ADR 0029): the triggers appended a delta per start and end
    // while seeding; the app's job folds them every minute, here once.
    const f0 = performance.now();
    const folded = await foldMembershipCounts(prisma);
    const foldMs = performance.now() - f0;
    await prisma.$executeRawUnsafe(provider === "pg" ? "VACUUM ANALYZE" : "ANALYZE");
    const seeded = (performance.now() - t0) / 1000;

    const time = async (fn: () => Promise<unknown>) => {
      const xs: number[] = [];
      for (let s = 0; s < SAMPLES + 3; s++) {
        const t = performance.now();
        await fn();
        if (s >= 3) xs.push(performance.now() - t); // the first runs warm caches and prepare statements
      }
      return { p50: pct(xs, 50), p99: pct(xs, 99) };
    };
    const at = new Date(now);
    const periods = chartPeriods(at, "America/Los_Angeles");
    const result = {
      provider,
      seeded,
      folded,
      foldMs,
      figures: await time(() => dashboard(prisma, SHOP, at)),
      charts: await time(() => dashboardCharts(prisma, SHOP, at)),
      // Each chart's one statement alone (the page runs them side by side).
      membership: await time(() => membershipMonths(prisma, SHOP, periods.starts[0]!, periods.ends)),
      sync: await time(() => syncByHour(prisma, SHOP, periods.hours, at)),
    };
    // Each chart's query alone: the charts run in parallel on the page.
    const charts = await dashboardCharts(prisma, SHOP, at);
    const active = charts.activeByTier.reduce((sum, t) => sum + (t.counts.at(-1) ?? 0), 0);
    console.log(JSON.stringify({ ...result, activeNow: active, joined: charts.movements.joined.reduce((a, b) => a + b, 0), attempts24h: charts.sync.completed.concat(charts.sync.failed).reduce((a, b) => a + b, 0) }));
    await prisma.$disconnect();
  } finally {
    if (process.argv.includes("--keep")) console.error(`kept ${scratch.url}`);
    else await scratch.drop();
  }
}

if (process.env.BENCH_CHILD) {
  await child(process.env.BENCH_CHILD as "sqlite" | "pg");
  process.exit(0);
}

console.log(`home page queries: ${MEMBERS} members, a year of history, ${MEMBERS * 3} purchases, ${SAMPLES} samples each (target: p50 under 100 ms)`);
console.log("database    seeded s   figures p50 / p99       members chart p50 / p99   sync chart p50 / p99    all charts p50 / p99    active now   joins in the year   sync attempts 24 h");
for (const provider of DB === "both" ? (["sqlite", "pg"] as const) : ([DB === "pg" ? "pg" : "sqlite"] as const)) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const r = runBenchChild<any>(import.meta.filename, provider);
  if (!r) continue;
  const f = (x: { p50: number; p99: number }) => `${x.p50.toFixed(1).padStart(7)} / ${x.p99.toFixed(1).padStart(7)} ms`;
  console.log(
    `${provider.padEnd(10)}  ${r.seeded.toFixed(0).padStart(8)}   ${f(r.figures)}   ${f(r.membership)}     ${f(r.sync)}   ${f(r.charts)}   ${String(r.activeNow).padStart(10)}   ${String(r.joined).padStart(17)}   ${String(r.attempts24h).padStart(18)}`,
  );
  console.log(`            the seeding's ${r.folded} membership count deltas folded in ${(r.foldMs / 1000).toFixed(1)} s (the app folds every minute)`);
}
