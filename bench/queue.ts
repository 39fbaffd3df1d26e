// npm run bench:queue — how fast the sync queue drains, on SQLite and PostgreSQL.
//
//   npm run bench:queue -- [--items 20000] [--db sqlite|pg|both] [--concurrency 4]
//
// For each database: a scratch database, migrated; N items inserted; one
// in-process worker with the default settings (concurrency 4) and a processor
// that does no work, so the figures are the queue's own cost. Prints items/s,
// enqueue-to-start p50/p99 when the worker is woken in-process, and database
// round trips per item (Prisma query events). PostgreSQL is the local server
// (BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432/test).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { ROOT, arg, pct, scratchDatabase } from "./support";

const ITEMS = Number(arg("items", "20000"));
const DB = arg("db", "both");
const CONCURRENCY = Number(arg("concurrency", "4"));
const args = process.argv.slice(2);

async function measure(url: string) {
  process.env.DATABASE_URL = url;
  Object.assign(process.env, {
    SHOPIFY_API_KEY: "bench",
    SHOPIFY_API_SECRET: "bench",
    SHOPIFY_APP_URL: "http://127.0.0.1",
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    QUEUE_WORKER_ENABLED: "false",
    LOG_LEVEL: "silent",
  });
  const { createPrismaClient } = await import("../app/db.server");
  const { queueCrmSync } = await import("../app/queue/enqueue.server");
  const { wakeWorker } = await import("../app/queue/notifier");
  const { registerProcessor } = await import("../app/queue/registry");
  const { Worker } = await import("../app/queue/worker.server");
  let queries = 0;
  const db = createPrismaClient(url, { onQuery: () => queries++ });

  const started = new Map<string, number>();
  registerProcessor("shopify", "add_membership", async ({ item }) => {
    started.set(item.id, performance.now());
    return {};
  });
  await db.shop.create({ data: { domain: "bench.myshopify.com" } });

  // 1. Throughput: N due items, one worker, default concurrency.
  const now = new Date();
  for (let i = 0; i < ITEMS; i += 1000) {
    await db.crmSyncQueue.createMany({
      data: Array.from({ length: Math.min(1000, ITEMS - i) }, (_, k) => ({
        id: `b-${i + k}`,
        shop: "bench.myshopify.com",
        customerId: `c-${i + k}`,
        actionType: "add_membership",
        stageId: "t",
        idempotencyKey: `b-${i + k}`,
        nextRunAt: now,
        createdAt: now,
      })),
    });
  }
  const worker = new Worker({ db, concurrency: CONCURRENCY, pollIntervalMs: 5000, leaseMs: 60_000, backoff: { baseMs: 30_000, capMs: 3_600_000 }, paceRates: {}, pruneEveryMs: 0 });
  queries = 0;
  const t0 = performance.now();
  let done = 0;
  const finished = new Promise<void>((resolveDone) => {
    worker.on("outcome", () => {
      if (++done === ITEMS) resolveDone();
    });
  });
  worker.start();
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  const roundTrips = queries / ITEMS;

  // 2. Enqueue-to-start: idle worker (5 s poll), woken by the enqueue itself.
  const latencies: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    const { id } = await queueCrmSync({ shop: "bench.myshopify.com", actionType: "add_membership", stageId: "t", customerId: `lat-${i}`, customerCrmId: "" }, db);
    wakeWorker();
    while (!started.has(id)) await new Promise((r) => setImmediate(r));
    latencies.push(started.get(id)! - t);
  }
  await worker.stop();
  await db.$disconnect();
  return { itemsPerSecond: ITEMS / seconds, seconds, p50: pct(latencies, 50), p99: pct(latencies, 99), roundTrips };
}

async function child(provider: "sqlite" | "pg") {
  const { url, drop } = await scratchDatabase(provider, "queue");
  try {
    const r = await measure(url);
    console.log(JSON.stringify({ provider, ...r }));
  } finally {
    await drop();
  }
}

if (process.env.BENCH_CHILD) {
  await child(process.env.BENCH_CHILD as "sqlite" | "pg");
  process.exit(0);
} else {
  // One process per database: the app binds its database at import.
  const providers = DB === "both" ? (["sqlite", "pg"] as const) : ([DB === "pg" ? "pg" : "sqlite"] as const);
  console.log(`queue bench: ${ITEMS} items, concurrency ${CONCURRENCY}, zero-latency processor`);
  console.log("database    items/s   drain s   enqueue→start p50   p99      DB round trips/item");
  for (const p of providers) {
    const out = spawnSync(process.execPath, ["--import", "tsx", import.meta.filename, ...args], {
      cwd: ROOT,
      env: { ...process.env, BENCH_CHILD: p },
      encoding: "utf8",
    });
    const line = out.stdout.split("\n").find((l) => l.startsWith("{"));
    if (!line) {
      console.error(out.stdout, out.stderr);
      process.exitCode = 1;
      continue;
    }
    const r = JSON.parse(line);
    console.log(
      `${p.padEnd(10)}  ${r.itemsPerSecond.toFixed(0).padStart(7)}   ${r.seconds.toFixed(1).padStart(7)}   ${r.p50.toFixed(1).padStart(14)} ms   ${r.p99.toFixed(1).padStart(6)} ms   ${r.roundTrips.toFixed(1).padStart(6)}`,
    );
  }
}
