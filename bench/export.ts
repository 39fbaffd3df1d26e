// npm run bench:export — the member export (issue 15 item 2, ADR 0022) at 100,000 members.
//
//   npm run bench:export -- [--members 100000] [--small 10000] [--db sqlite|pg|both]
//
// Two shops in one database: 10,000 and 100,000 members, each with a year of
// purchases (so every page also reads its 12-month spend). Each is exported
// through the real route (GET /app/members/export), the response body read
// as a browser would, while the process's memory is sampled every 5,000 rows
// (after a forced GC: what the export keeps, not garbage waiting to be
// collected; and RSS as the OS sees it). Then the same 100,000 rows built as
// one CSV string in memory, for comparison. A streamed export is flat: its
// heap growth does not grow with the shop's size. RSS is reported beside it,
// with the 100,000 exported twice more: on PostgreSQL it is flat too; on
// SQLite it is not (see the README: native memory below the JS heap, which
// grows with the rows read and was not traced to its owner).
import { readFileSync, rmSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import pg from "pg";
import { arg, benchEnv, PG_URL, runBenchChild, scratchDatabase } from "./support";

const MEMBERS = Number(arg("members", "100000"));
const SMALL = Number(arg("small", "10000"));
const DB = arg("db", "both");
const DAY = 86_400_000;
const MB = 1024 * 1024;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

type Sample = { rows: number; heapMB: number; rssMB: number; anonMB: number };
/** RssAnon from /proc (Linux): the process's own memory, without the database file's pages the OS maps in (RssFile). */
function anonMB(): number {
  try {
    const m = readFileSync("/proc/self/status", "utf8").match(/^RssAnon:\s+(\d+) kB/m);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
const sample = (rows: number): Sample => {
  gc();
  const m = process.memoryUsage();
  return { rows, heapMB: m.heapUsed / MB, rssMB: m.rss / MB, anonMB: anonMB() };
};
const growth = (samples: Sample[]) => ({
  heapMB: Math.max(...samples.map((s) => s.heapMB)) - samples[0]!.heapMB,
  rssMB: Math.max(...samples.map((s) => s.rssMB)) - samples[0]!.rssMB,
  anonMB: Math.max(...samples.map((s) => s.anonMB)) - samples[0]!.anonMB,
});

/** Drops a scratch database by its URL (the measuring process did not create it). */
async function dropScratch(url: string) {
  if (url.startsWith("file:")) return rmSync(url.slice("file:".length), { force: true });
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
}

/** Seeding runs in a process of its own: its allocations must not be the measuring process's baseline. */
async function seed(provider: "sqlite" | "pg") {
  const scratch = await scratchDatabase(provider, "export");
  await benchEnv(scratch.url);
  const prisma = (await import("../app/db.server")).default;
  const now = Date.now();
  async function seedShop(shop: string, count: number) {
    await prisma.shop.create({ data: { domain: shop, timezone: "America/Los_Angeles" } });
    const tiers = await Promise.all(
      ["Silver", "Gold"].map((name, i) =>
        prisma.tier.create({ data: { shop, name, handle: name.toLowerCase(), rank: i + 1, annualThresholdCents: 60_000 * (i + 1), initialPurchaseCents: 5_000, durationMonths: 12 } }),
      ),
    );
    const p = shop.split(".")[0];
    for (let i = 0; i < count; i += 5000) {
      const ids = Array.from({ length: Math.min(5000, count - i) }, (_, k) => i + k);
      await prisma.customer.createMany({ data: ids.map((j) => ({ id: `${p}-c-${j}`, shop, email: `${p}-${j}@example.com`, firstName: `First${j}`, lastName: `Last ${j}` })) });
      await prisma.enrollment.createMany({
        data: ids.map((j) => ({ id: `${p}-e-${j}`, shop, customerId: `${p}-c-${j}`, tierId: tiers[j % 2]!.id, startedAt: new Date(now - (j % 300) * DAY), expiresAt: new Date(now + ((j % 300) + 60) * DAY), syncState: "synced" })),
      });
      await prisma.purchase.createMany({
        data: ids.flatMap((j) => [0, 1].map((k) => ({ shop, orderId: `gid://shopify/Order/${p}-${j}-${k}`, customerId: `${p}-c-${j}`, amountCents: 4_000 + k * 1_500, currency: "USD", occurredAt: new Date(now - ((j + k * 97) % 360) * DAY), countedAt: new Date(now - ((j + k * 97) % 360) * DAY) }))),
      });
    }
  }

  const t0 = performance.now();
  await seedShop("small-export.myshopify.com", SMALL);
  await seedShop("big-export.myshopify.com", MEMBERS);
  console.log(JSON.stringify({ url: scratch.url, seeded: (performance.now() - t0) / 1000 }));
  await prisma.$disconnect();
}

async function measure(provider: "sqlite" | "pg", url: string) {
  try {
    await benchEnv(url);
    const prisma = (await import("../app/db.server")).default;
    const auth = await import("../tests/support/auth");
    const route = await import("../app/routes/app.members.export");
    const { exportMembers } = await import("../app/domain/member-export.server");
    const { stringify } = await import("csv-stringify/sync");
    // Sessions are stored here: their tokens are encrypted with this process's key.
    for (const shop of ["small-export.myshopify.com", "big-export.myshopify.com"]) await auth.storeOfflineSession(shop);

    /** The route's response read to its end, sampling memory every 5,000 rows. */
    async function streamed(shop: string) {
      const samples = [sample(0)];
      const t = performance.now();
      const res = (await route.loader(auth.routeArgs(await auth.adminGet(shop, "/app/members/export")))) as Response;
      const reader = res.body!.getReader();
      let rows = -1; // the header
      let bytes = 0;
      let next = 5000;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        for (const b of value) if (b === 10) rows++;
        if (rows >= next) {
          samples.push(sample(rows));
          next += 5000;
        }
      }
      samples.push(sample(rows));
      return { rows, bytes, seconds: (performance.now() - t) / 1000, samples, ...growth(samples) };
    }

    /** The same rows as one string, as an export that is not streamed builds it. */
    async function inMemory(shop: string) {
      const samples = [sample(0)];
      const all: string[][] = [];
      for await (const row of exportMembers(prisma, shop, {})) {
        all.push(row);
        if (all.length % 5000 === 1) samples.push(sample(all.length - 1));
      }
      const csv = stringify(all);
      samples.push(sample(all.length - 1));
      const out = { rows: all.length - 1, bytes: Buffer.byteLength(csv), samples, ...growth(samples) };
      all.length = 0;
      return out;
    }

    // A first small export warms the modules, the statements and the pools out of the measurement.
    await streamed("small-export.myshopify.com");
    const small = await streamed("small-export.myshopify.com");
    const big = await streamed("big-export.myshopify.com");
    // The same export twice more: a high-water mark reached once shows as
    // growth on the first only; memory an export keeps grows on each.
    const again = await streamed("big-export.myshopify.com");
    const third = await streamed("big-export.myshopify.com");
    const built = await inMemory("big-export.myshopify.com");
    console.log(JSON.stringify({ provider, small, big, again, third, built }));
    await prisma.$disconnect();
  } finally {
    if (process.argv.includes("--keep")) console.error(`kept ${url}`);
    else await dropScratch(url);
  }
}

if (process.env.BENCH_CHILD) {
  const [step, provider] = process.env.BENCH_CHILD.split(":") as ["seed" | "measure", "sqlite" | "pg"];
  if (step === "seed") await seed(provider);
  else await measure(provider, process.env.BENCH_EXPORT_URL!);
  process.exit(0);
}

console.log(`member export: ${SMALL} and ${MEMBERS} members through the export route; memory sampled every 5,000 rows after a forced GC`);
for (const provider of DB === "both" ? (["sqlite", "pg"] as const) : ([DB === "pg" ? "pg" : "sqlite"] as const)) {
  const seeded = runBenchChild<{ url: string; seeded: number }>(import.meta.filename, `seed:${provider}`);
  if (!seeded) continue;
  process.env.BENCH_EXPORT_URL = seeded.url;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const r = runBenchChild<any>(import.meta.filename, `measure:${provider}`);
  if (!r) continue;
  const f = (x: number) => x.toFixed(1).padStart(6);
  console.log(`\n${provider} (seeded in ${seeded.seeded.toFixed(0)} s, in another process)`);
  console.log(`  samples of the ${MEMBERS}-member stream (rows: heap MB / RSS MB / RssAnon MB):`);
  const samples = r.big.samples as Sample[];
  for (let i = 0; i < samples.length; i += 6) console.log(`    ${samples.slice(i, i + 6).map((s) => `${s.rows}: ${s.heapMB.toFixed(1)}/${s.rssMB.toFixed(0)}/${s.anonMB.toFixed(0)}`).join("  ")}`);
  console.log("  export                      rows      MB of CSV   seconds   heap growth MB   RSS growth MB   RssAnon growth MB");
  const line = (label: string, x: { rows: number; bytes: number; seconds?: number; heapMB: number; rssMB: number; anonMB: number }) =>
    console.log(
      `  ${label.padEnd(26)} ${String(x.rows).padStart(6)}   ${(x.bytes / MB).toFixed(1).padStart(9)}   ${x.seconds === undefined ? "     -" : x.seconds.toFixed(1).padStart(6)}   ${f(x.heapMB).padStart(14)}   ${f(x.rssMB).padStart(13)}   ${f(x.anonMB).padStart(17)}`,
    );
  line(`streamed, ${SMALL}`, r.small);
  line(`streamed, ${MEMBERS}`, r.big);
  line(`streamed again, ${MEMBERS}`, r.again);
  line(`a third time, ${MEMBERS}`, r.third);
  line(`built in memory, ${MEMBERS}`, r.built);
  const flat = r.big.heapMB < Math.max(2 * r.small.heapMB, 5);
  console.log(`  ${flat ? "flat" : "NOT flat"}: the ${MEMBERS}-member stream grew the heap ${r.big.heapMB.toFixed(1)} MB, the ${SMALL}-member one ${r.small.heapMB.toFixed(1)} MB; built in memory, ${r.built.heapMB.toFixed(1)} MB`);
  const rssFlat = r.again.rssMB < 10 && r.big.rssMB < Math.max(2 * r.small.rssMB, 10);
  console.log(`  RSS ${rssFlat ? "flat" : "NOT flat"}: ${r.small.rssMB.toFixed(1)} MB for ${SMALL}, ${r.big.rssMB.toFixed(1)} MB for ${MEMBERS}, then ${r.again.rssMB.toFixed(1)} and ${r.third.rssMB.toFixed(1)} MB more for the same ${MEMBERS} twice again`);
  if (!flat) process.exitCode = 1;
}
