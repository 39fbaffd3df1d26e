// A 50,000-row member import with 2% bad rows, through the real routes: the
// preview lists exactly the bad rows and writes no member; the commit runs in
// a worker in its own OS process, which is killed with SIGKILL halfway; a new
// worker process finishes it, and every good row is imported exactly once.
// The rows not imported, downloaded as CSV, are exactly the bad rows.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { importApp, type App } from "../support/app";
import { ROOT } from "../support/databases";
import { bearerGet, bearerPost, buildImport, importIdOf, parseCsv, until, uploadRequest, type Fixture } from "./support";

const SHOP = "big-import.myshopify.com";
const ZONE = "America/Los_Angeles";
let shopify: FakeShopify;
let app: App & {
  upload: typeof import("~/routes/app.members.import._index");
  page: typeof import("~/routes/app.members.import.$id");
  failed: typeof import("~/routes/app.members.import.$id.failed");
  env: typeof import("~/env.server").env;
};
let fixture: Fixture;
let importId: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  shopify = await createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: "shpat_test" }] });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  app = {
    ...(await importApp()),
    upload: await import("~/routes/app.members.import._index"),
    page: await import("~/routes/app.members.import.$id"),
    failed: await import("~/routes/app.members.import.$id.failed"),
    env: (await import("~/env.server")).env,
  };
  const { localDate } = await import("~/domain/dates");
  await app.prisma.shop.create({ data: { domain: SHOP, timezone: ZONE } });
  await app.auth.storeOfflineSession(SHOP);
  const tier = (name: string, handle: string, rank: number, upgradeOnly = false) =>
    app.prisma.tier.create({ data: { shop: SHOP, name, handle, rank, annualThresholdCents: 100_000 * rank, initialPurchaseCents: 10_000, durationMonths: 12, upgradeOnly } });
  const silver = await tier("Silver", "silver", 1);
  await tier("Gold", "gold", 2);
  await tier("Platinum", "platinum", 3, true);
  // 200 members already (rows naming them are refused as "already a member").
  const members = Array.from({ length: 200 }, (_, i) => `already${i}@example.com`);
  for (const email of members) {
    const c = await app.prisma.customer.create({ data: { shop: SHOP, email } });
    await app.prisma.enrollment.create({ data: { shop: SHOP, customerId: c.id, tierId: silver.id, expiresAt: new Date(Date.now() + 200 * 86_400_000), syncState: "synced" } });
  }
  fixture = buildImport({ rows: 50_000, today: localDate(new Date(), ZONE), members });
}, 120_000);

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});
afterAll(async () => {
  await shopify?.close();
});

function startWorkerProcess(id: string): Promise<ChildProcess> {
  // node itself with tsx's loader (not the tsx CLI, whose grandchild SIGKILL would not reach).
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "tests/imports/fixtures/import-worker.ts")], {
    cwd: ROOT,
    env: { ...process.env, WORKER_ID: id, LEASE_MS: "10000", LOG_LEVEL: "silent" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      if (d.toString().includes("ready")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`worker process exited early (${code})`)));
  });
}

const counts = async () => ({
  customers: await app.prisma.customer.count({ where: { shop: SHOP } }),
  enrollments: await app.prisma.enrollment.count({ where: { shop: SHOP } }),
  items: await app.prisma.crmSyncQueue.count({ where: { shop: SHOP } }),
});

describe("a 50,000-row import with 2% bad rows", () => {
  it("the preview lists exactly the bad rows with their reasons, and writes no member", async () => {
    expect(fixture.bad.size).toBe(1000);
    const before = await counts();
    const response = await app.upload.action(app.auth.routeArgs(await uploadRequest(app.env.SHOPIFY_APP_URL, SHOP, fixture.csv, "club.csv")));
    importId = importIdOf(response);

    const imp = await app.prisma.memberImport.findUniqueOrThrow({ where: { id: importId } });
    expect(imp).toMatchObject({ shop: SHOP, status: "previewed", totalRows: 50_000, invalidRows: 1000, importedRows: 0, fileName: "club.csv" });
    const refused = await app.prisma.memberImportRow.findMany({ where: { importId, status: "invalid" }, select: { row: true, error: true } });
    expect(refused.map((r) => r.row).sort((a, b) => a - b)).toEqual([...fixture.bad.keys()].sort((a, b) => a - b));
    for (const r of refused) expect(r.error, `row ${r.row}`).toMatch(fixture.bad.get(r.row)!);
    expect(await app.prisma.memberImportRow.count({ where: { importId, status: "valid" } })).toBe(49_000);
    // Nothing of the members is written by the preview.
    expect(await counts()).toEqual(before);

    // The page lists them (the first 100), with the counts.
    const page = (await app.page.loader(app.auth.routeArgs(await app.auth.adminGet(SHOP, `/app/members/import/${importId}`), { id: importId }))) as Awaited<ReturnType<typeof app.page.loader>>;
    expect(page.summary).toMatchObject({ status: "previewed", totalRows: 50_000, invalidRows: 1000, toImport: 49_000 });
    expect(page.summary.errors[0]).toMatchObject({ row: 51, error: expect.stringMatching(fixture.bad.get(51)!) });
  }, 120_000);

  it("the commit, killed with SIGKILL halfway and restarted, imports every good row exactly once; the rows not imported are the bad rows", async () => {
    const before = await counts();
    const commit = await app.page.action(app.auth.routeArgs(await bearerPost(app.env.SHOPIFY_APP_URL, SHOP, `/app/members/import/${importId}`, { intent: "commit" }), { id: importId }));
    expect(commit).toBeInstanceOf(Response);
    expect((await app.prisma.memberImport.findUniqueOrThrow({ where: { id: importId } })).status).toBe("committing");

    const doomed = await startWorkerProcess("doomed");
    await until(() => app.prisma.memberImport.findUniqueOrThrow({ where: { id: importId } }), (i) => i.importedRows >= 24_500, 480_000);
    doomed.kill("SIGKILL");
    await new Promise((r) => doomed.once("exit", r));
    const halfway = await app.prisma.memberImport.findUniqueOrThrow({ where: { id: importId } });
    expect(halfway.status).toBe("committing");
    expect(halfway.importedRows).toBeLessThan(49_000);
    // The progress is the database's: what a reload of the page shows.
    const page = (await app.page.loader(app.auth.routeArgs(await app.auth.adminGet(SHOP, `/app/members/import/${importId}`), { id: importId }))) as Awaited<ReturnType<typeof app.page.loader>>;
    expect(page.summary).toMatchObject({ status: "committing", importedRows: halfway.importedRows, doneRows: halfway.importedRows, toImport: 49_000 });
    expect(await app.prisma.memberImportRow.count({ where: { importId, status: "imported" } })).toBe(halfway.importedRows);

    await startWorkerProcess("successor");
    const done = await until(() => app.prisma.memberImport.findUniqueOrThrow({ where: { id: importId } }), (i) => i.status === "completed", 480_000);
    expect(done).toMatchObject({ importedRows: 49_000, failedRows: 0, invalidRows: 1000 });

    // Exactly once: one customer, one active membership and one add_membership per good row.
    const enrollments = await app.prisma.enrollment.findMany({
      where: { shop: SHOP, idempotencyKey: { startsWith: "import:" } },
      select: { idempotencyKey: true, status: true, startedAt: true, expiresAt: true, customer: { select: { email: true, firstName: true, lastName: true } }, tier: { select: { handle: true } } },
    });
    expect(enrollments).toHaveLength(49_000);
    const after = await counts();
    expect(after.customers - before.customers).toBe(49_000);
    expect(after.enrollments - before.enrollments).toBe(49_000);
    expect(await app.prisma.crmSyncQueue.count({ where: { shop: SHOP, actionType: "add_membership" } })).toBe(49_000);
    const { localDate } = await import("~/domain/dates");
    const byRow = new Map(enrollments.map((e) => [Number(e.idempotencyKey!.split(":").at(-1)), e]));
    expect(byRow.size).toBe(49_000);
    for (const [row, want] of fixture.good) {
      const e = byRow.get(row);
      expect(e, `row ${row}`).toBeDefined();
      expect({ email: e!.customer.email, firstName: e!.customer.firstName, lastName: e!.customer.lastName, tier: e!.tier.handle, start: localDate(e!.startedAt, ZONE), status: e!.status }).toEqual({
        email: want.email,
        firstName: want.firstName,
        lastName: want.lastName,
        tier: want.tier,
        start: want.start,
        status: "active",
      });
      if (want.expiry) expect(localDate(e!.expiresAt, ZONE)).toBe(want.expiry);
    }

    // The rows not imported, as the page downloads them.
    const response = (await app.failed.loader(app.auth.routeArgs(await bearerGet(app.env.SHOPIFY_APP_URL, SHOP, `/app/members/import/${importId}/failed`), { id: importId }))) as Response;
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    const rows = parseCsv(await response.text());
    expect(rows.map((r) => Number(r.row))).toEqual([...fixture.bad.keys()].sort((a, b) => a - b));
    for (const r of rows) expect(r.error, `row ${r.row}`).toMatch(fixture.bad.get(Number(r.row))!);
  }, 1_200_000);
});
