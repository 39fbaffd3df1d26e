// npm run bench:queue — how fast the sync queue drains, on SQLite and PostgreSQL.
//
//   npm run bench:queue -- [--items 20000] [--db sqlite|pg|both] [--concurrency 4]
//   npm run bench:queue -- --vs graphile-worker [--items 20000] [--rounds 2]
//   npm run bench:queue -- --slow [--db sqlite|pg|both]
//
// Default: for each database a scratch database, migrated; N items inserted;
// one in-process worker with the default settings (concurrency 4) and a
// processor that does no work, so the figures are the queue's own cost. Prints
// items/s, enqueue-to-start p50/p99 when the worker is woken in-process, and
// database round trips per item (Prisma query events).
//
// --vs graphile-worker: the same N no-op jobs through graphile-worker (a
// devDependency, used only here) on the same PostgreSQL, same concurrency,
// interleaved: peer, ours, peer, ours (each run in its own process and its own
// scratch database). Prints every run, both means and the ratio ours/peer.
//
// --slow: the slow-platform case. 5 Commerce7 shops (default pace, 5/s each),
// a fake platform over real HTTP answering every call in 200 ms, lease 5 s,
// concurrency 4. Prints items/s against the bound min(concurrency / latency,
// the shops' total pace), lease expiries and duplicate calls (items the fake
// saw more than once).
//
// PostgreSQL is the local server (BENCH_PG_URL, default
// postgresql://postgres@127.0.0.1:5432/test).
import { randomBytes } from "node:crypto";
import { arg, pct, runBenchChild, scratchDatabase } from "./support";

const ITEMS = Number(arg("items", "20000"));
const DB = arg("db", "both");
const CONCURRENCY = Number(arg("concurrency", "4"));
const VS = arg("vs", "");
const ROUNDS = Number(arg("rounds", "2"));
const SLOW = process.argv.includes("--slow");

function appEnv(url: string) {
  Object.assign(process.env, {
    DATABASE_URL: url,
    SHOPIFY_API_KEY: "bench",
    SHOPIFY_API_SECRET: "bench",
    SHOPIFY_APP_URL: "http://127.0.0.1",
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    QUEUE_WORKER_ENABLED: "false",
    LOG_LEVEL: "silent",
  });
}

async function insertItems(db: import("../app/db.server").Db, n: number, shopOf: (i: number) => string, platform = "shopify") {
  const now = new Date();
  for (let i = 0; i < n; i += 1000) {
    await db.crmSyncQueue.createMany({
      data: Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({
        id: `b-${i + k}`,
        shop: shopOf(i + k),
        customerId: `c-${i + k}`,
        actionType: "add_membership",
        platform,
        stageId: "t",
        idempotencyKey: `b-${i + k}`,
        nextRunAt: now,
        createdAt: new Date(now.getTime() - n + i + k),
      })),
    });
  }
}

/** Ours: N no-op items drained by one worker; optionally the enqueue-to-start latency. */
async function measureOurs(url: string, { latency }: { latency: boolean }) {
  appEnv(url);
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
  await insertItems(db, ITEMS, () => "bench.myshopify.com");

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
  // The history is intact: one success attempt per item, every item completed.
  const attempts = await db.syncAttempt.count({ where: { outcome: "success" } });
  const completed = await db.crmSyncQueue.count({ where: { status: "completed" } });

  const latencies: number[] = [];
  if (latency) {
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      const { id } = await queueCrmSync({ shop: "bench.myshopify.com", actionType: "add_membership", stageId: "t", customerId: `lat-${i}` }, db);
      wakeWorker();
      while (!started.has(id)) await new Promise((r) => setImmediate(r));
      latencies.push(started.get(id)! - t);
    }
  }
  await worker.stop();
  await db.$disconnect();
  return { itemsPerSecond: ITEMS / seconds, seconds, p50: pct(latencies, 50), p99: pct(latencies, 99), roundTrips, attempts, completed };
}

/** graphile-worker: the same N no-op jobs, same concurrency, on its own schema in a scratch database. */
async function measureGraphile(url: string) {
  const { makeWorkerUtils, run } = await import("graphile-worker");
  const utils = await makeWorkerUtils({ connectionString: url });
  await utils.migrate();
  for (let i = 0; i < ITEMS; i += 1000) {
    await utils.addJobs(Array.from({ length: Math.min(1000, ITEMS - i) }, (_, k) => ({ identifier: "noop", payload: { n: i + k } })));
  }
  await utils.release();
  let done = 0;
  let resolveDone!: () => void;
  const finished = new Promise<void>((r) => (resolveDone = r));
  const t0 = performance.now();
  const runner = await run({
    connectionString: url,
    concurrency: CONCURRENCY,
    noHandleSignals: true,
    pollInterval: 5000,
    logger: new (await import("graphile-worker")).Logger(() => () => {}),
    taskList: { noop: async () => {} },
  });
  runner.events.on("job:success", () => {
    if (++done === ITEMS) resolveDone();
  });
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  await runner.stop();
  return { itemsPerSecond: ITEMS / seconds, seconds };
}

/** The slow platform: 5 shops, 200 ms per call over HTTP, lease 5 s, concurrency 4, default pace. */
async function measureSlow(url: string) {
  appEnv(url);
  const { createPrismaClient } = await import("../app/db.server");
  const { registerProcessor } = await import("../app/queue/registry");
  const { SyncError } = await import("../app/queue/errors");
  const { DEFAULT_PACE, Worker } = await import("../app/queue/worker.server");
  const { startFakeServer } = await import("../sandbox/fakes/http");
  const LATENCY = 200;
  const SHOPS = 5;
  const N = Math.min(ITEMS, 300);
  const calls = new Map<string, number>();
  const fake = await startFakeServer(
    async ({ url: u }) => {
      const id = u.pathname.slice(1);
      calls.set(id, (calls.get(id) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, LATENCY));
      return { status: 200, body: { ok: true } };
    },
    { authErrorBody: {}, serverErrorBody: {} },
  );
  const db = createPrismaClient(url);
  registerProcessor("commerce7", "add_membership", async ({ item, signal }) => {
    const res = await fetch(`${fake.url}/${item.id}`, { method: "PUT", signal });
    if (!res.ok) throw new SyncError("retryable", `HTTP ${res.status}`);
    return {};
  });
  const shops = Array.from({ length: SHOPS }, (_, i) => `slow-${i}.myshopify.com`);
  // 300 Commerce7 requests a minute each (the bench's processor makes one per item).
  await db.shop.createMany({ data: shops.map((domain) => ({ domain, crm: "commerce7", c7RequestsPerMinute: 300 })) });
  await insertItems(db, N, (i) => shops[i % SHOPS]!, "commerce7");
  const worker = new Worker({ db, concurrency: CONCURRENCY, pollIntervalMs: 1000, leaseMs: 5000, backoff: { baseMs: 30_000, capMs: 3_600_000 }, paceRates: DEFAULT_PACE, pruneEveryMs: 0 });
  const t0 = performance.now();
  worker.start();
  while ((await db.crmSyncQueue.count({ where: { status: "completed" } })) < N) await new Promise((r) => setTimeout(r, 100));
  const seconds = (performance.now() - t0) / 1000;
  await worker.stop();
  const leaseExpiries = await db.syncAttempt.count({ where: { outcome: "lease_expired" } });
  const duplicates = [...calls.values()].filter((n) => n > 1).length;
  await db.$disconnect();
  await fake.close();
  const { commerce7Pace } = await import("../app/integrations/commerce7/pace.server");
  const bound = Math.min(CONCURRENCY / (LATENCY / 1000), SHOPS * commerce7Pace(300).rate);
  return { items: N, itemsPerSecond: N / seconds, bound, leaseExpiries, duplicates, calls: [...calls.values()].reduce((a, b) => a + b, 0) };
}

async function child(kind: string) {
  const provider = kind.startsWith("sqlite") ? "sqlite" : "pg";
  const { url, drop } = await scratchDatabase(provider, "queue");
  try {
    const r =
      kind === "graphile" ? await measureGraphile(url) : kind.endsWith(":slow") ? await measureSlow(url) : await measureOurs(url, { latency: !kind.endsWith(":drain") });
    console.log(JSON.stringify({ kind, ...r }));
  } finally {
    await drop();
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const spawnChild = (kind: string) => runBenchChild<any>(import.meta.filename, kind);

const providers = DB === "both" ? (["sqlite", "pg"] as const) : ([DB === "pg" ? "pg" : "sqlite"] as const);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

if (process.env.BENCH_CHILD) {
  await child(process.env.BENCH_CHILD);
  process.exit(0);
} else if (VS) {
  if (VS !== "graphile-worker") throw new Error(`--vs: only graphile-worker is known, not "${VS}"`);
  console.log(`queue vs graphile-worker on PostgreSQL: ${ITEMS} no-op items, concurrency ${CONCURRENCY}, interleaved, ${ROUNDS} rounds`);
  const peer: number[] = [];
  const ours: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const g = spawnChild("graphile");
    if (g) {
      peer.push(g.itemsPerSecond);
      console.log(`round ${round}  graphile-worker  ${g.itemsPerSecond.toFixed(0).padStart(6)} items/s  (${g.seconds.toFixed(1)} s)`);
    }
    const o = spawnChild("pg:drain");
    if (o) {
      ours.push(o.itemsPerSecond);
      console.log(
        `round ${round}  club-tiers       ${o.itemsPerSecond.toFixed(0).padStart(6)} items/s  (${o.seconds.toFixed(1)} s; ${o.completed} completed, ${o.attempts} success attempts, ${o.roundTrips.toFixed(2)} DB round trips/item)`,
      );
    }
  }
  if (peer.length && ours.length) {
    console.log(`mean: graphile-worker ${mean(peer).toFixed(0)} items/s, club-tiers ${mean(ours).toFixed(0)} items/s, ratio ${(mean(ours) / mean(peer)).toFixed(2)}`);
  }
} else if (SLOW) {
  console.log("slow platform: 5 Commerce7 shops (5/s each), 200 ms per call over HTTP, lease 5 s, concurrency 4");
  console.log("database    items   items/s   bound/s   lease expiries   duplicate calls");
  for (const p of providers) {
    const r = spawnChild(`${p}:slow`);
    if (!r) continue;
    console.log(
      `${p.padEnd(10)}  ${String(r.items).padStart(5)}   ${r.itemsPerSecond.toFixed(1).padStart(7)}   ${r.bound.toFixed(0).padStart(7)}   ${String(r.leaseExpiries).padStart(14)}   ${String(r.duplicates).padStart(15)}`,
    );
  }
} else {
  // One process per database: the app binds its database at import.
  console.log(`queue bench: ${ITEMS} items, concurrency ${CONCURRENCY}, zero-latency processor`);
  console.log("database    items/s   drain s   enqueue→start p50   p99      DB round trips/item");
  for (const p of providers) {
    const r = spawnChild(p);
    if (!r) continue;
    console.log(
      `${p.padEnd(10)}  ${r.itemsPerSecond.toFixed(0).padStart(7)}   ${r.seconds.toFixed(1).padStart(7)}   ${r.p50.toFixed(1).padStart(14)} ms   ${r.p99.toFixed(1).padStart(6)} ms   ${r.roundTrips.toFixed(1).padStart(6)}`,
    );
  }
}
