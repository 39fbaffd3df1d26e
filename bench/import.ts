// npm run bench:import — the member import (issue 15, ADR 0022) at 50,000 rows.
//
//   npm run bench:import -- [--rows 50000] [--db sqlite|pg|both] [--preview-only]
//
// A CSV of 50,000 rows of which 2% are bad (every kind the preview refuses:
// unknown tier, bad dates, duplicate email, already a member, upgrade-only
// tier, bad email), uploaded through the real route (multipart, streamed into
// the preview). Prints the preview's time (target: under 10 s) and the
// commit's import rate in rows/s: the app's own queue worker running the
// import's items, as in production, while the members' platform syncs it
// queues are answered by a no-op at Shopify's pace (10/s per shop). Each
// database runs in its own process (the app binds its database at import).
import { loadavg } from "node:os";
import { arg, benchEnv, runBenchChild, scratchDatabase } from "./support";

const ROWS = Number(arg("rows", "50000"));
const DB = arg("db", "both");
const SHOP = "bench-import.myshopify.com";
const ZONE = "America/Los_Angeles";

async function child(provider: "sqlite" | "pg") {
  const scratch = await scratchDatabase(provider, "import");
  try {
    await benchEnv(scratch.url);
    const prisma = (await import("../app/db.server")).default;
    const auth = await import("../tests/support/auth");
    const { buildImport, importIdOf, uploadRequest } = await import("../tests/imports/support");
    const upload = await import("../app/routes/app.members.import._index");
    const { commitImport, IMPORT_ACTION, importMembers } = await import("../app/domain/member-import.server");
    const { localDate } = await import("../app/domain/dates");
    const { registerProcessor } = await import("../app/queue/registry");
    const { DEFAULT_PACE, Worker } = await import("../app/queue/worker.server");
    const { env } = await import("../app/env.server");

    await prisma.shop.create({ data: { domain: SHOP, timezone: ZONE } });
    await auth.storeOfflineSession(SHOP);
    const tier = (name: string, rank: number, upgradeOnly = false) =>
      prisma.tier.create({ data: { shop: SHOP, name, handle: name.toLowerCase(), rank, annualThresholdCents: 100_000 * rank, initialPurchaseCents: 10_000, durationMonths: 12, upgradeOnly } });
    const silver = await tier("Silver", 1);
    await tier("Gold", 2);
    await tier("Platinum", 3, true);
    // 200 members already: the rows naming them are refused.
    const members = Array.from({ length: 200 }, (_, i) => `already${i}@example.com`);
    await prisma.customer.createMany({ data: members.map((email, i) => ({ id: `al-${i}`, shop: SHOP, email })) });
    await prisma.enrollment.createMany({ data: members.map((_, i) => ({ shop: SHOP, customerId: `al-${i}`, tierId: silver.id, expiresAt: new Date(Date.now() + 200 * 86_400_000), syncState: "synced" })) });
    const fixture = buildImport({ rows: ROWS, today: localDate(new Date(), ZONE), members });

    // The preview: upload (multipart, streamed through csv-parse), check and stage every row.
    const request = await uploadRequest(env.SHOPIFY_APP_URL, SHOP, fixture.csv, "bench.csv");
    const t0 = performance.now();
    const importId = importIdOf(await upload.action(auth.routeArgs(request)));
    const previewSeconds = (performance.now() - t0) / 1000;
    // This machine is shared: the load during the preview says how much of the time was waiting for a core.
    const previewLoad = loadavg()[0]!;
    const staged = await prisma.memberImport.findUniqueOrThrow({ where: { id: importId } });
    if (staged.invalidRows !== fixture.bad.size) throw new Error(`the preview refused ${staged.invalidRows} rows, the file has ${fixture.bad.size} bad ones`);
    if (process.argv.includes("--preview-only")) {
      console.log(JSON.stringify({ provider, rows: ROWS, bad: staged.invalidRows, previewSeconds, previewLoad, commitSeconds: NaN, imported: 0, failed: 0, rowsPerSecond: NaN, syncsMeanwhile: 0 }));
      return;
    }

    // The commit: the queue's worker runs the import's items; the member syncs answer at once, at Shopify's pace.
    registerProcessor("shopify", IMPORT_ACTION, importMembers);
    let syncs = 0;
    registerProcessor("shopify", "add_membership", async () => {
      syncs++;
      return {};
    });
    const worker = new Worker({ db: prisma, concurrency: 4, pollIntervalMs: 200, leaseMs: 60_000, backoff: { baseMs: 1_000, capMs: 10_000 }, paceRates: DEFAULT_PACE, pruneEveryMs: 0 });
    const t1 = performance.now();
    const committed = await commitImport(prisma, SHOP, importId);
    if (!committed.ok) throw new Error(committed.message);
    worker.start();
    let done = staged;
    while (done.status !== "completed") {
      await new Promise((r) => setTimeout(r, 100));
      done = await prisma.memberImport.findUniqueOrThrow({ where: { id: importId } });
    }
    const commitSeconds = (performance.now() - t1) / 1000;
    await worker.stop({ deadlineMs: 5_000 });
    const enrolled = await prisma.enrollment.count({ where: { shop: SHOP, idempotencyKey: { startsWith: "import:" } } });
    if (enrolled !== fixture.good.size) throw new Error(`imported ${enrolled} members, the file has ${fixture.good.size} good rows`);
    console.log(
      JSON.stringify({ provider, rows: ROWS, bad: staged.invalidRows, previewSeconds, previewLoad, commitSeconds, imported: done.importedRows, failed: done.failedRows, rowsPerSecond: done.importedRows / commitSeconds, syncsMeanwhile: syncs }),
    );
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

console.log(`member import: ${ROWS} rows, 2% bad, through the upload route and the queue worker (preview target: under 10 s)`);
console.log("database    preview s (load)   commit s   imported   refused   rows/s   member syncs done meanwhile");
for (const provider of DB === "both" ? (["sqlite", "pg"] as const) : ([DB === "pg" ? "pg" : "sqlite"] as const)) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const r = runBenchChild<any>(import.meta.filename, provider);
  if (!r) continue;
  const fx = (x: number | null, digits: number) => (typeof x === "number" ? x.toFixed(digits) : "-");
  const verdict = r.previewSeconds < 10 ? "" : "  (preview over 10 s)";
  console.log(
    `${provider.padEnd(10)}  ${fx(r.previewSeconds, 1).padStart(9)} (${fx(r.previewLoad, 1)})   ${fx(r.commitSeconds, 1).padStart(8)}   ${String(r.imported).padStart(8)}   ${String(r.bad + r.failed).padStart(7)}   ${fx(r.rowsPerSecond, 0).padStart(6)}   ${String(r.syncsMeanwhile).padStart(6)}${verdict}`,
  );
}
