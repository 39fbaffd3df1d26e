// Member import and export through the real routes (multipart upload with a
// signed session token, the commit run by a real worker against the fake
// Shopify, the export streamed): refusals, dates in the shop's zone, a member
// enrolled between the preview and the commit, and the round trip
// export → import into a fresh shop.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";
import { bearerGet, bearerPost, buildImport, importIdOf, parseCsv, until, uploadRequest } from "./support";

const A = "club-a.myshopify.com";
const B = "club-b.myshopify.com";
const ZONE = "Pacific/Auckland";
let shopify: FakeShopify;
let app: App & {
  upload: typeof import("~/routes/app.members.import._index");
  page: typeof import("~/routes/app.members.import.$id");
  failed: typeof import("~/routes/app.members.import.$id.failed");
  exportRoute: typeof import("~/routes/app.members.export");
  env: typeof import("~/env.server").env;
  dates: typeof import("~/domain/dates");
};
let today: string;

beforeAll(async () => {
  shopify = await createFakeShopifyAdmin({ shops: [A, B].map((domain) => ({ domain, accessToken: "shpat_test" })) });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  app = {
    ...(await importApp()),
    upload: await import("~/routes/app.members.import._index"),
    page: await import("~/routes/app.members.import.$id"),
    failed: await import("~/routes/app.members.import.$id.failed"),
    exportRoute: await import("~/routes/app.members.export"),
    env: (await import("~/env.server")).env,
    dates: await import("~/domain/dates"),
  };
  today = app.dates.localDate(new Date(), ZONE);
  for (const [shop, suffix] of [[A, ""], [B, "-b"]] as const) {
    await app.prisma.shop.create({ data: { domain: shop, timezone: ZONE, currency: "NZD" } });
    await app.auth.storeOfflineSession(shop);
    const tier = (name: string, rank: number, months: number, upgradeOnly = false) =>
      app.prisma.tier.create({ data: { shop, name, handle: `${name.toLowerCase()}${suffix}`, rank, annualThresholdCents: 100_000 * rank, initialPurchaseCents: 10_000, durationMonths: months, upgradeOnly } });
    await tier("Silver", 1, 12);
    await tier("Gold", 2, 6);
    await tier("Platinum", 3, 12, true);
  }
});
afterAll(async () => {
  await shopify?.close();
});

async function upload(shop: string, csv: string, name = "members.csv") {
  return app.upload.action(app.auth.routeArgs(await uploadRequest(app.env.SHOPIFY_APP_URL, shop, csv, name)));
}
async function commit(shop: string, id: string) {
  return app.page.action(app.auth.routeArgs(await bearerPost(app.env.SHOPIFY_APP_URL, shop, `/app/members/import/${id}`, { intent: "commit" }), { id }));
}
async function importsOf(shop: string) {
  return app.prisma.memberImport.findMany({ where: { shop } });
}

describe("refused files: a sentence, and nothing kept", () => {
  it.each([
    ["no email column", "name,tier\nAnn,Silver\n", /a "email" column/],
    ["no tier column", "email\nann@example.com\n", /a "tier" column/],
    ["an unclosed quote", 'email,tier\n"ann@example.com,Silver\n', /not valid CSV/],
    ["a header only", "email,tier\n", /no rows/],
    ["an empty file", "", /empty/],
  ])("%s", async (_, csv, message) => {
    const before = await importsOf(A);
    const result = await upload(A, csv);
    expect(result).toEqual({ error: expect.stringMatching(message) });
    expect(await importsOf(A)).toEqual(before);
    expect(await app.prisma.memberImportRow.count({ where: { shop: A } })).toBe(0);
  });

  it("a request without a file asks for one", async () => {
    const request = await bearerPost(app.env.SHOPIFY_APP_URL, A, "/app/members/import", { nothing: "here" });
    expect(await app.upload.action(app.auth.routeArgs(request))).toEqual({ error: "Choose a CSV file to upload." });
  });
});

describe("an import, committed", () => {
  it("enrolls each good row on the shop's calendar, skips the bad ones, and refuses a member enrolled since the preview", async () => {
    const csv = [
      "Email,First Name,Last Name,Tier,Start Date,Expiry Date,Customer ID,Status",
      "ann@example.com,Ann,Arbor,silver,2026-03-01,,,active",
      'bo@example.com,"Bo, ""the second""",Bay,Gold,2026-11-30,2027-02-28,1234,active',
      "cy@example.com,Cy,Cole,Platinum,2026-03-01,,,active",
      "dee@example.com,Dee,Dune,Bronze,2026-03-01,,,active",
      "ann@example.com,Ann,Again,Silver,2026-03-01,,,active",
      "eve@example.com,Eve,Eden,Silver,2026-02-30,,,active",
      `fay@example.com,Fay,Fern,Silver,${today},,,active`,
      "gus@example.com,Gus,Gale,Silver,2025-01-01,,,active",
    ].join("\r\n");
    const id = importIdOf(await upload(A, csv, "club.csv"));
    const rows = await app.prisma.memberImportRow.findMany({ where: { importId: id }, orderBy: { row: "asc" }, select: { row: true, status: true, error: true } });
    expect(rows).toEqual([
      { row: 2, status: "valid", error: null },
      { row: 3, status: "valid", error: null },
      { row: 4, status: "invalid", error: "Platinum is reached by upgrading only" },
      { row: 5, status: "invalid", error: 'Unknown tier "Bronze"' },
      { row: 6, status: "invalid", error: "Same email as row 2" },
      { row: 7, status: "invalid", error: 'Start date "2026-02-30" is not a date: use YYYY-MM-DD' },
      { row: 8, status: "valid", error: null },
      { row: 9, status: "invalid", error: expect.stringMatching(/^The membership already ended on 2026-01-01$/) },
    ]);
    expect(await app.prisma.customer.count({ where: { shop: A } })).toBe(0);

    // The same file again, before the commit: the same rows, checked again, under one import.
    const again = importIdOf(await upload(A, csv, "club.csv"));
    expect((await importsOf(A)).map((i) => i.id)).toEqual([again]);

    // Fay enrolls through the wizard between the preview and the commit.
    const silver = await app.prisma.tier.findFirstOrThrow({ where: { shop: A, handle: "silver" } });
    const fay = await app.enrollments.enroll(app.prisma, A, { idempotencyKey: "wizard-fay", tierId: silver.id, email: "fay@example.com" });
    expect(fay.ok).toBe(true);

    expect(await commit(A, again)).toBeInstanceOf(Response);
    expect(await commit(A, again)).toBeInstanceOf(Response); // a second click queues nothing more
    expect(await app.prisma.crmSyncQueue.count({ where: { shop: A, actionType: "import_members" } })).toBe(1);
    await drainQueue(app.prisma, app.Worker);

    const imp = await app.prisma.memberImport.findUniqueOrThrow({ where: { id: again } });
    expect(imp).toMatchObject({ status: "completed", totalRows: 8, invalidRows: 5, importedRows: 2, failedRows: 1 });
    expect(await app.prisma.memberImportRow.findUniqueOrThrow({ where: { importId_row: { importId: again, row: 8 } } })).toMatchObject({
      status: "failed",
      error: "Already a member (enrolled since the preview)",
    });
    expect(await app.prisma.enrollment.count({ where: { shop: A, customer: { email: "fay@example.com" } } })).toBe(1);

    const members = await app.prisma.enrollment.findMany({ where: { shop: A, idempotencyKey: { startsWith: "import:" } }, include: { customer: true, tier: true }, orderBy: { startedAt: "asc" } });
    const day = (d: Date) => app.dates.localDate(d, ZONE);
    expect(members.map((e) => [e.customer.email, e.customer.firstName, e.tier.name, day(e.startedAt), day(e.expiresAt)])).toEqual([
      // Default expiry: the start plus the tier's 12 months, on Auckland's calendar.
      ["ann@example.com", "Ann", "Silver", "2026-03-01", "2027-03-01"],
      ["bo@example.com", 'Bo, "the second"', "Gold", "2026-11-30", "2027-02-28"],
    ]);
    // Mirrored through the queue: Ann is now a Shopify customer; Bo's id (123
    // in the file) is stored as Shopify's GID, which the fake does not know, so
    // his sync fails for the merchant to see, as any sync would.
    expect([members[0]!.syncState, members[0]!.customer.shopifyCustomerId]).toEqual(["synced", expect.stringMatching(/^gid:\/\/shopify\/Customer\/\d+$/)]);
    expect([members[1]!.syncState, members[1]!.customer.shopifyCustomerId]).toEqual(["failed", "gid://shopify/Customer/1234"]);
    // A membership starts at the first moment of its local start date.
    expect(app.dates.localDateTime(members[0]!.startedAt, ZONE)).toMatch(/^2026-03-01 00:00 /);

    // The rows not imported, with their reasons, ready to fix and upload again.
    const failed = (await app.failed.loader(app.auth.routeArgs(await bearerGet(app.env.SHOPIFY_APP_URL, A, `/app/members/import/${again}/failed`), { id: again }))) as Response;
    expect(failed.headers.get("content-disposition")).toBe('attachment; filename="club-not-imported.csv"');
    const out = parseCsv(await failed.text());
    expect(out.map((r) => [r.row, r.email, r.error])).toEqual([
      ["4", "cy@example.com", "Platinum is reached by upgrading only"],
      ["5", "dee@example.com", 'Unknown tier "Bronze"'],
      ["6", "ann@example.com", "Same email as row 2"],
      ["7", "eve@example.com", 'Start date "2026-02-30" is not a date: use YYYY-MM-DD'],
      ["8", "fay@example.com", "Already a member (enrolled since the preview)"],
      ["9", "gus@example.com", "The membership already ended on 2026-01-01"],
    ]);

    // Uploaded again after the commit: the same import; nobody twice.
    expect(importIdOf(await upload(A, csv, "club.csv"))).toBe(again);
    expect(await importsOf(A)).toHaveLength(1);

    // Another shop sees none of it.
    const other = await app.page.loader(app.auth.routeArgs(await app.auth.adminGet(B, `/app/members/import/${again}`), { id: again })).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(Response);
    expect((other as Response).status).toBe(404);
  });
});

describe("export", () => {
  it("streams the list as filtered, and imports into a fresh shop as the same members and tiers", async () => {
    const fixture = buildImport({ rows: 600, today, members: [], prefix: "rt" });
    const id = importIdOf(await upload(A, fixture.csv, "round-trip.csv"));
    // A worker at the platforms' pace, as in production: the members' syncs
    // trickle out while the imports run.
    const worker = new app.Worker({ db: app.prisma, concurrency: 4, pollIntervalMs: 20, leaseMs: 30_000, backoff: { baseMs: 10, capMs: 50 }, paceRates: { shopify: 10, commerce7: 5 }, pruneEveryMs: 0 });
    worker.start();
    onTestFinished(() => worker.stop());
    await commit(A, id);
    await until(() => app.prisma.memberImport.findUniqueOrThrow({ where: { id } }), (i) => i.status === "completed", 120_000);
    expect(await app.prisma.memberImport.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "completed", importedRows: fixture.good.size });
    // Spend: one paid order of NZD 123.45 for the first member.
    const first = await app.prisma.customer.findUniqueOrThrow({ where: { shop_email: { shop: A, email: "rt0@example.com" } } });
    await app.prisma.purchase.create({ data: { shop: A, orderId: "gid://shopify/Order/1", customerId: first.id, amountCents: 12_345, currency: "NZD", occurredAt: new Date(), countedAt: new Date() } });

    const response = (await app.exportRoute.loader(app.auth.routeArgs(await bearerGet(app.env.SHOPIFY_APP_URL, A, "/app/members/export?status=active&sort=expiry")))) as Response;
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.body).toBeInstanceOf(ReadableStream);
    const text = await response.text();
    expect(text.split("\r\n")[0]).toBe("email,first_name,last_name,tier,status,start_date,expiry_date,spend_12m_minor_units,currency,sync_state");
    const exported = parseCsv(text);
    const active = await app.prisma.enrollment.findMany({ where: { shop: A, status: "active" }, include: { customer: true, tier: true }, orderBy: [{ expiresAt: "asc" }, { id: "asc" }] });
    expect(exported.map((r) => r.email)).toEqual(active.map((e) => e.customer.email));
    expect(exported.find((r) => r.email === "rt0@example.com")).toMatchObject({ spend_12m_minor_units: "12345", currency: "NZD", status: "active" });
    expect(exported.find((r) => r.email === "rt1@example.com")).toMatchObject({ spend_12m_minor_units: "0" });
    // A formula-like name is written so a spreadsheet shows it as text.
    expect(exported.find((r) => r.email === "rt13@example.com")!.first_name).toBe("'=1+2");

    // Filtered: the tier's members only.
    const gold = await app.prisma.tier.findFirstOrThrow({ where: { shop: A, handle: "gold" } });
    const goldOnly = parseCsv(await ((await app.exportRoute.loader(app.auth.routeArgs(await bearerGet(app.env.SHOPIFY_APP_URL, A, `/app/members/export?tier=${gold.id}`)))) as Response).text());
    expect(goldOnly.length).toBe(active.filter((e) => e.tierId === gold.id).length);
    expect(new Set(goldOnly.map((r) => r.tier))).toEqual(new Set(["Gold"]));

    // Shop A's member syncs are done with here. (Left waiting, 500+ of them
    // would fill the queue's window of the 200 oldest due items, and shop B's
    // import would wait for them: a limit of the queue's claim, not of the import.)
    await app.prisma.crmSyncQueue.updateMany({ where: { shop: A, status: "pending" }, data: { status: "cancelled" } });
    // Into a fresh shop with the same tier names (other handles).
    const intoB = importIdOf(await upload(B, text, "export.csv"));
    expect(await app.prisma.memberImport.findUniqueOrThrow({ where: { id: intoB } })).toMatchObject({ invalidRows: 0, totalRows: exported.length });
    await commit(B, intoB);
    await until(() => app.prisma.memberImport.findUniqueOrThrow({ where: { id: intoB } }), (i) => i.status === "completed", 120_000);
    const day = (d: Date) => app.dates.localDate(d, ZONE);
    const shape = async (shop: string) =>
      (await app.prisma.enrollment.findMany({ where: { shop, status: "active" }, include: { customer: true, tier: true } }))
        .map((e) => [e.customer.email, e.customer.firstName, e.customer.lastName, e.tier.name, day(e.startedAt), day(e.expiresAt)].join("|"))
        .sort();
    const inA = await shape(A);
    expect(inA.length).toBeGreaterThan(500);
    expect(await shape(B)).toEqual(inA);
  }, 300_000);
});
