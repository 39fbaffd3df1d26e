// Member import (CSV): stage and preview, commit through the queue, progress,
// and the failed rows (issue 15; ADR 0022).
//
// Invariants:
// - The preview writes no member: the file is streamed through csv-parse
//   (never split on commas, never held whole in memory) and each row is
//   staged as MemberImportRow with what is wrong with it. Customers,
//   enrollments and queue items are written only by the commit.
// - One import per (shop, file hash): the same file uploaded again is the
//   same import (re-checked while it has not been committed), and each row
//   enrolls at most once: the enrollment's idempotency key is
//   `import:<file hash>:<row>` (unique per shop).
// - The commit is queue work (`import_members`): each item imports chunks of
//   rows, each chunk in ONE transaction that takes the members' locks
//   (ADR 0009), re-reads them, enrolls, queues every member's
//   `add_membership`, marks the rows and counts the progress. A crash rolls
//   a chunk back whole; the next run starts at the first row not marked.
// - An item works for a bounded time, then queues the next one (same ordering
//   key, so they run one after another) due at the commit's time, so the
//   import is not kept waiting behind the member syncs it queued itself.
import { createHash, randomUUID } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { parse } from "csv-parse";
import { chunks, dbProvider, isUniqueViolation, type Db, type Prisma, type Tx } from "../db.server";
import { lockMembersAtOnce } from "../member-lock.server";
import { queueCrmSync, queueCrmSyncMany, wakeWorker } from "../queue/enqueue.server";
import { SyncError } from "../queue/errors";
import type { ProcessorContext, ProcessorResult } from "../queue/registry";
import { exec } from "../queue/sql.server";
import { asPlatform, platformIdField, refreshContact, searchTextOf, type Platform } from "./customers.server";
import { localDate } from "./dates";
import { checkRow, mapHeader, rowFields, TierLookup, type HeaderMap, type RawRow, type RowContext } from "./member-import";

export const IMPORT_ACTION = "import_members";
/** Largest file accepted: 50 MB (a 100,000-row file with long names is about 15 MB). */
export const MAX_IMPORT_BYTES = 50 * 1024 * 1024;
export const MAX_IMPORT_ROWS = 100_000;
/** Rows validated and staged together (a few statements per batch). */
const STAGE_BATCH = 500;
/** Rows committed per transaction: long enough to be fast, short enough not to hold SQLite's write lock for long. */
const COMMIT_CHUNK = 200;
/** How long one queue item goes on starting chunks before it hands over to the next (well inside the 60 s lease). */
const SLICE_MS = 3_000;
// SQLite (libsql) binds at most 999 parameters per statement (db.server.ts
// `chunks`); PostgreSQL 65,535, where fewer statements matter more (a round trip each).
const MAX_PARAMS = dbProvider === "postgresql" ? 30_000 : 999;
const rowsPerInsert = (columns: number) => Math.floor(MAX_PARAMS / columns);
const STAGE_COLUMN_NAMES = ["importId", "row", "shop", "email", "firstName", "lastName", "tier", "startDate", "expiryDate", "platformCustomerId", "status", "error"];
const STAGE_COLUMN_LIST = STAGE_COLUMN_NAMES.map((c) => `"${c}"`).join(",");
const STAGE_COLUMNS = STAGE_COLUMN_NAMES.length;
const INSERT_ROWS = rowsPerInsert(STAGE_COLUMNS);

export type ImportStatus = "uploading" | "previewed" | "committing" | "completed";

type ShopInfo = { crm: Platform; timezone: string };

async function shopInfo(db: Db | Tx, shop: string): Promise<ShopInfo> {
  const row = await db.shop.findUnique({ where: { domain: shop }, select: { crm: true, timezone: true } });
  return { crm: asPlatform(row?.crm), timezone: row?.timezone ?? "UTC" };
}

async function rowContext(db: Db | Tx, shop: string, info: ShopInfo, importedAt: Date, now: Date): Promise<RowContext> {
  const tiers = await db.tier.findMany({
    where: { shop },
    select: { id: true, name: true, handle: true, active: true, upgradeOnly: true, durationMonths: true, c7ClubId: true },
  });
  return { tiers: new TierLookup(tiers), timeZone: info.timezone, platform: info.crm, now, defaultStart: localDate(importedAt, info.timezone) };
}

export type StageResult = { ok: true; importId: string; again: boolean } | { ok: false; error: string };

class ImportRefused extends Error {}

type Staged = RawRow & { row: number; errors: string[] };

/**
 * Reads an uploaded CSV file and stages its rows with their problems (the
 * preview). `data` is the file's bytes as they arrive: nothing waits for the
 * whole file. A file that cannot be read as members (not CSV, no email or
 * tier column, too large) is refused whole with a sentence, and nothing of
 * it is kept.
 */
export async function stageImport(
  db: Db,
  shop: string,
  file: { name: string; data: AsyncIterable<Uint8Array> },
  opts: { now?: Date } = {},
): Promise<StageResult> {
  const now = opts.now ?? new Date();
  const info = await shopInfo(db, shop);
  const ctx = await rowContext(db, shop, info, now, now);
  // An upload cut off by a crash or a closed tab leaves an "uploading" import: gone after an hour.
  await db.memberImport.deleteMany({ where: { shop, status: "uploading", createdAt: { lt: new Date(now.getTime() - 3_600_000) } } });
  const id = randomUUID();
  await db.memberImport.create({ data: { id, shop, fileHash: `uploading:${id}`, fileName: file.name.slice(0, 200), status: "uploading", createdAt: now } });

  const hash = createHash("sha256");
  let bytes = 0;
  async function* counted() {
    for await (const chunk of file.data) {
      bytes += chunk.byteLength;
      if (bytes > MAX_IMPORT_BYTES) throw new ImportRefused(`The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB: split it into smaller files.`);
      hash.update(chunk);
      yield chunk;
    }
  }

  let header: HeaderMap | null = null;
  let headerWidth = 0;
  let dataRows = 0;
  let invalid = 0;
  const emails = new Map<string, number>();
  const platformIds = new Map<string, number>();
  let batch: Staged[] = [];
  const flush = async () => {
    invalid += await stageBatch(db, shop, id, info, batch);
    batch = [];
  };

  try {
    await pipeline(
      counted(),
      parse({ bom: true, relax_column_count: true, skip_empty_lines: true, max_record_size: 64 * 1024 }),
      async (records: AsyncIterable<string[]>) => {
        for await (const record of records) {
          if (!header) {
            const mapped = mapHeader(record.map((h) => h.trim()));
            if (!mapped.ok) throw new ImportRefused(mapped.error);
            header = mapped.map;
            headerWidth = record.length;
            continue;
          }
          dataRows++;
          if (dataRows > MAX_IMPORT_ROWS) throw new ImportRefused(`The file has more than ${MAX_IMPORT_ROWS.toLocaleString("en-US")} rows: split it into smaller files.`);
          // Spreadsheet row numbers: the header is row 1.
          const row = dataRows + 1;
          const raw = rowFields(record, header);
          const errors: string[] = [];
          if (record.length !== headerWidth) errors.push(`The row has ${record.length} cells where the header has ${headerWidth}: check for a missing or extra comma`);
          const checked = checkRow(raw, ctx);
          if (!checked.ok) errors.push(...checked.errors);
          // The first row of an email (or a customer id) imports; a later one is refused, naming it.
          if (raw.email) {
            const first = emails.get(raw.email);
            if (first !== undefined) errors.push(`Same email as row ${first}`);
            else emails.set(raw.email, row);
          }
          if (raw.platformCustomerId) {
            const first = platformIds.get(raw.platformCustomerId);
            if (first !== undefined) errors.push(`Same customer id as row ${first}`);
            else platformIds.set(raw.platformCustomerId, row);
          }
          batch.push({ ...raw, row, errors });
          if (batch.length >= STAGE_BATCH) await flush();
        }
        await flush();
      },
    );
    if (!header) throw new ImportRefused("The file is empty: the first row must be a header with an email and a tier column.");
    if (!dataRows) throw new ImportRefused("The file has a header but no rows.");
  } catch (error) {
    await db.memberImport.deleteMany({ where: { id, shop } });
    if (error instanceof ImportRefused) return { ok: false, error: error.message };
    const csv = csvProblem(error);
    if (csv) return { ok: false, error: csv };
    throw error;
  }

  const fileHash = hash.digest("hex");
  const earlier = await db.memberImport.findUnique({ where: { shop_fileHash: { shop, fileHash } }, select: { id: true, status: true } });
  if (earlier && earlier.status !== "previewed") {
    // Committed before: that import is this file's, and its rows are imported once.
    await db.memberImport.deleteMany({ where: { id, shop } });
    return { ok: true, importId: earlier.id, again: true };
  }
  try {
    await db.$transaction(async (tx) => {
      // Previewed but never committed: this upload's checks are the newer ones.
      if (earlier) await tx.memberImport.deleteMany({ where: { id: earlier.id, shop, status: "previewed" } });
      await tx.memberImport.update({ where: { id }, data: { fileHash, status: "previewed", totalRows: dataRows, invalidRows: invalid } });
    });
  } catch (error) {
    // The same file, uploaded twice at once: the other upload's import stands.
    if (!isUniqueViolation(error)) throw error;
    await db.memberImport.deleteMany({ where: { id, shop } });
    const other = await db.memberImport.findUniqueOrThrow({ where: { shop_fileHash: { shop, fileHash } }, select: { id: true } });
    return { ok: true, importId: other.id, again: true };
  }
  return { ok: true, importId: id, again: false };
}

/** A CSV syntax error as a sentence with its line, or null for anything else. */
function csvProblem(error: unknown): string | null {
  const e = error as { code?: unknown; lines?: unknown; message?: unknown };
  if (typeof e?.code !== "string" || !e.code.startsWith("CSV_")) return null;
  const line = typeof e.lines === "number" ? ` at line ${e.lines}` : "";
  if (e.code === "CSV_MAX_RECORD_SIZE") return `A row${line} is longer than 64 KB: is this a CSV file?`;
  return `The file is not valid CSV${line}: ${String(e.message).replace(/^Invalid [^:]*: /, "")}`;
}

/**
 * Checks a batch against the database (already a member, by the customer's
 * platform id or email) and stages it. Returns how many rows are refused.
 */
async function stageBatch(db: Db, shop: string, importId: string, info: ShopInfo, rows: Staged[]): Promise<number> {
  if (!rows.length) return 0;
  const candidates = rows.filter((r) => !r.errors.length);
  const members = await activeMembers(db, shop, info.crm, candidates);
  for (const r of candidates) {
    const who = memberOf(members, r, info.crm);
    if (who) r.errors.push(`Already a member (${who})`);
  }
  const values = rows.map((r) => [
    importId,
    r.row,
    shop,
    r.email,
    r.firstName,
    r.lastName,
    r.tier,
    r.startDate,
    r.expiryDate,
    r.platformCustomerId,
    r.errors.length ? "invalid" : "valid",
    r.errors.length ? r.errors.join("; ") : null,
  ]);
  // Raw INSERTs: through Prisma's query compiler, createMany cost several
  // times the database's own work per row, and the preview of a 50,000-row
  // file took 14 s on SQLite and 17 s on PostgreSQL (bench:import). On SQLite
  // the batch goes as ONE JSON parameter unpacked by json_each: a multi-row
  // VALUES list there holds only 83 rows (999 parameters), and preparing each
  // of those 996-parameter statements cost more than running it (libsql does
  // not keep prepared statements), about a third of the preview's time.
  if (dbProvider === "sqlite") {
    await exec(
      db,
      `INSERT INTO "MemberImportRow" (${STAGE_COLUMN_LIST})
       SELECT ${Array.from({ length: STAGE_COLUMNS }, (_, c) => `value ->> ${c}`).join(", ")} FROM json_each($1)`,
      JSON.stringify(values),
    );
  } else {
    for (const part of chunks(values, INSERT_ROWS)) {
      const placeholders = part.map((_, i) => `(${Array.from({ length: STAGE_COLUMNS }, (_, c) => `$${i * STAGE_COLUMNS + c + 1}`).join(",")})`);
      await exec(db, `INSERT INTO "MemberImportRow" (${STAGE_COLUMN_LIST}) VALUES ${placeholders.join(",")}`, ...part.flat());
    }
  }
  return rows.filter((r) => r.errors.length).length;
}

type Known = { byEmail: Map<string, string>; byPlatformId: Map<string, string> };

/** Customers of the batch (by email, by platform id) who have an active membership, with the tier they are in. */
async function activeMembers(db: Db, shop: string, platform: Platform, rows: RawRow[]): Promise<Known> {
  const known: Known = { byEmail: new Map(), byPlatformId: new Map() };
  const pids = rows.map((r) => normalisedPlatformId(r.platformCustomerId, platform)).filter((p): p is string => !!p);
  for (const part of chunks(rows.map((r) => r.email), 400)) {
    const found = await db.enrollment.findMany({ where: { shop, status: "active", customer: { email: { in: part } } }, select: { tier: { select: { name: true } }, customer: { select: { email: true } } } });
    for (const e of found) known.byEmail.set(e.customer.email, e.tier.name);
  }
  for (const part of chunks(pids, 400)) {
    const found = await db.enrollment.findMany({
      where: { shop, status: "active", customer: platform === "commerce7" ? { commerce7CustomerId: { in: part } } : { shopifyCustomerId: { in: part } } },
      select: { tier: { select: { name: true } }, customer: { select: { shopifyCustomerId: true, commerce7CustomerId: true } } },
    });
    for (const e of found) {
      const pid = platform === "commerce7" ? e.customer.commerce7CustomerId : e.customer.shopifyCustomerId;
      if (pid) known.byPlatformId.set(pid, e.tier.name);
    }
  }
  return known;
}

function memberOf(known: Known, r: RawRow, platform: Platform): string | null {
  const pid = normalisedPlatformId(r.platformCustomerId, platform);
  const tier = (pid && known.byPlatformId.get(pid)) || known.byEmail.get(r.email);
  return tier ? `active in ${tier}` : null;
}

function normalisedPlatformId(text: string, platform: Platform): string | null {
  if (!text) return null;
  if (platform === "commerce7") return text;
  return /^\d+$/.test(text) ? `gid://shopify/Customer/${text}` : text;
}

/** Starts the commit: the import becomes `committing` and its first queue item is queued. Idempotent. */
export async function commitImport(db: Db, shop: string, importId: string, now = new Date()): Promise<{ ok: true } | { ok: false; message: string }> {
  const started = await db.$transaction(async (tx) => {
    const imp = await tx.memberImport.findFirst({ where: { id: importId, shop }, select: { status: true, totalRows: true, invalidRows: true } });
    if (!imp) return { ok: false as const, message: "This import does not exist." };
    if (imp.status !== "previewed") return { ok: true as const, queued: false };
    const { count } = await tx.memberImport.updateMany({ where: { id: importId, shop, status: "previewed" }, data: { status: "committing", committedAt: now } });
    if (count !== 1) return { ok: true as const, queued: false };
    await queueCrmSync(
      { shop, actionType: IMPORT_ACTION, stageId: importId, customerId: importOrderingKey(importId), idempotencyKey: `import:${importId}:from:0`, maxAttempts: 20, runAt: now },
      tx,
    );
    return { ok: true as const, queued: true };
  });
  if (!started.ok) return started;
  if (started.queued) wakeWorker();
  return { ok: true };
}

/** The import's queue items share one ordering key: they run one after another. */
export const importOrderingKey = (importId: string) => `import:${importId}`;

/**
 * The `import_members` item: imports chunks of the import's rows until none
 * is left (the import is then `completed`) or its time is up (then the next
 * item is queued, and this one completes).
 */
export async function importMembers({ db, item, signal }: Pick<ProcessorContext, "db" | "item" | "signal">): Promise<ProcessorResult> {
  const shop = item.shop;
  const imp = await db.memberImport.findFirst({ where: { id: item.stageId, shop } });
  if (!imp || imp.status !== "committing") return { result: { skipped: imp ? imp.status : "gone" } };
  const info = await shopInfo(db, shop);
  const began = Date.now();
  let imported = 0;
  let failed = 0;
  for (;;) {
    const rows = await db.memberImportRow.findMany({ where: { importId: imp.id, status: "valid" }, orderBy: { row: "asc" }, take: COMMIT_CHUNK });
    if (!rows.length) {
      await db.memberImport.updateMany({ where: { id: imp.id, shop, status: "committing" }, data: { status: "completed", completedAt: new Date() } });
      return { result: { imported, failed, completed: true } };
    }
    if (signal.aborted || Date.now() - began > SLICE_MS) {
      // Due at the commit's time: ahead of the member syncs this import queued.
      await queueCrmSync({
        shop,
        actionType: IMPORT_ACTION,
        stageId: imp.id,
        customerId: importOrderingKey(imp.id),
        idempotencyKey: `import:${imp.id}:from:${rows[0]!.row}`,
        maxAttempts: 20,
        runAt: imp.committedAt ?? imp.createdAt,
      });
      return { result: { imported, failed, continuesAtRow: rows[0]!.row } };
    }
    const done = await importChunk(db, shop, imp, info, rows);
    imported += done.imported;
    failed += done.failed;
    if (done.imported) wakeWorker();
  }
}

type StagedRow = Awaited<ReturnType<Db["memberImportRow"]["findMany"]>>[number];
type ImportRow = { id: string; fileHash: string; createdAt: Date };

/** One chunk, in one transaction (retried whole when another writer created one of its customers meanwhile). */
async function importChunk(db: Db, shop: string, imp: ImportRow, info: ShopInfo, rows: StagedRow[]): Promise<{ imported: number; failed: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.$transaction((tx) => importChunkTx(tx, shop, imp, info, rows), { timeout: 60_000, maxWait: 10_000 });
    } catch (error) {
      if (isUniqueViolation(error) && attempt < 3) continue;
      if (isUniqueViolation(error)) throw new SyncError("retryable", "Another change to these customers kept colliding with the import; it resumes where it stopped.");
      throw error;
    }
  }
}

type CustomerRow = NonNullable<Awaited<ReturnType<Tx["customer"]["findFirst"]>>>;

async function importChunkTx(tx: Tx, shop: string, imp: ImportRow, info: ShopInfo, rows: StagedRow[]): Promise<{ imported: number; failed: number }> {
  const platform = info.crm;
  const ctx = await rowContext(tx, shop, info, imp.createdAt, new Date());
  const checked = rows.map((r) => ({ r, c: checkRow(r, ctx) }));
  const good = checked.flatMap(({ r, c }) => (c.ok ? [{ r, v: c.value }] : []));

  // The members of this chunk that we know, locked in id order, then re-read under the locks.
  const field = platform === "commerce7" ? "commerce7CustomerId" : "shopifyCustomerId";
  const emails = good.map((g) => g.v.email);
  const pids = good.map((g) => g.v.platformCustomerId).filter((p): p is string => !!p);
  const seen = await tx.customer.findMany({
    where: { shop, OR: [{ email: { in: emails } }, ...(pids.length ? [{ [field]: { in: pids } }] : [])] },
    select: { id: true },
  });
  await lockMembersAtOnce(tx, shop, seen.map((c) => c.id));
  const known = seen.length ? await tx.customer.findMany({ where: { shop, id: { in: seen.map((c) => c.id) } } }) : [];
  const byEmail = new Map(known.map((c) => [c.email, c]));
  const byPid = new Map(known.flatMap((c) => (c[field] ? [[c[field]!, c] as const] : [])));
  const members = new Set(
    known.length ? (await tx.enrollment.findMany({ where: { shop, customerId: { in: known.map((c) => c.id) }, status: "active" }, select: { customerId: true } })).map((e) => e.customerId) : [],
  );

  const failures = new Map<string, number[]>();
  const fail = (row: number, error: string) => failures.set(error, [...(failures.get(error) ?? []), row]);
  for (const { r, c } of checked) if (!c.ok) fail(r.row, c.errors.join("; "));
  const imported: number[] = [];
  const newCustomers: Prisma.CustomerCreateManyInput[] = [];
  const enrollments: { id: string; customerId: string; tierId: string; startedAt: Date; expiresAt: Date; row: number }[] = [];
  const at = new Date();
  for (const { r, v } of good) {
    let customer: Pick<CustomerRow, "id" | "email"> | undefined = (v.platformCustomerId && byPid.get(v.platformCustomerId)) || byEmail.get(v.email);
    if (customer && members.has(customer.id)) {
      fail(r.row, "Already a member (enrolled since the preview)");
      continue;
    }
    if (customer) {
      const row = known.find((k) => k.id === customer!.id)!;
      // As the wizard does: a known platform id names the row (and brings its
      // email up to date); an email we know without an id takes the file's.
      if (v.platformCustomerId && row[field] === v.platformCustomerId) await refreshContact(tx, shop, platform, row, v);
      else if (v.platformCustomerId && !row[field]) await tx.customer.update({ where: { id: row.id }, data: platformIdField(platform, v.platformCustomerId) });
    } else {
      customer = { id: randomUUID(), email: v.email };
      newCustomers.push({
        id: customer.id,
        shop,
        email: v.email,
        firstName: v.firstName,
        lastName: v.lastName,
        ...platformIdField(platform, v.platformCustomerId),
        searchText: searchTextOf(v),
        createdAt: at,
      });
      byEmail.set(v.email, customer as CustomerRow);
      if (v.platformCustomerId) byPid.set(v.platformCustomerId, customer as CustomerRow);
    }
    members.add(customer.id);
    enrollments.push({ id: randomUUID(), customerId: customer.id, tierId: v.tierId, startedAt: v.startedAt, expiresAt: v.expiresAt, row: r.row });
    imported.push(r.row);
  }
  // New customers: nobody else can see these rows before we commit; their
  // locks keep the rule "every writer of a member holds its lock" literal.
  for (const part of chunks(newCustomers, rowsPerInsert(10))) await tx.customer.createMany({ data: part });
  await lockMembersAtOnce(tx, shop, newCustomers.map((c) => c.id!));
  for (const part of chunks(enrollments, rowsPerInsert(13))) {
    await tx.enrollment.createMany({
      data: part.map((e) => ({
        id: e.id,
        shop,
        customerId: e.customerId,
        tierId: e.tierId,
        status: "active",
        startedAt: e.startedAt,
        expiresAt: e.expiresAt,
        idempotencyKey: `import:${imp.fileHash}:${e.row}`,
        syncState: "pending",
        createdAt: at,
      })),
    });
  }
  await queueCrmSyncMany(
    enrollments.map((e) => ({ shop, enrollmentId: e.id, actionType: "add_membership", stageId: e.tierId, customerId: e.customerId })),
    tx,
  );

  for (const part of chunks(imported)) {
    await tx.memberImportRow.updateMany({ where: { importId: imp.id, row: { in: part }, status: "valid" }, data: { status: "imported" } });
  }
  let failed = 0;
  for (const [error, list] of failures) {
    failed += list.length;
    for (const part of chunks(list)) await tx.memberImportRow.updateMany({ where: { importId: imp.id, row: { in: part }, status: "valid" }, data: { status: "failed", error } });
  }
  await tx.memberImport.update({ where: { id: imp.id }, data: { importedRows: { increment: imported.length }, failedRows: { increment: failed } } });
  return { imported: imported.length, failed };
}

export type ImportSummary = NonNullable<Awaited<ReturnType<typeof importSummary>>>;

/** What the import page shows: counts, progress, and the first refused rows. */
export async function importSummary(db: Db, shop: string, importId: string, opts: { errorsShown?: number } = {}) {
  const imp = await db.memberImport.findFirst({ where: { id: importId, shop, status: { not: "uploading" } } });
  if (!imp) return null;
  const errors = await db.memberImportRow.findMany({
    where: { importId: imp.id, status: { in: ["invalid", "failed"] } },
    orderBy: { row: "asc" },
    take: opts.errorsShown ?? 100,
    select: { row: true, email: true, tier: true, error: true },
  });
  const toImport = imp.totalRows - imp.invalidRows;
  return {
    id: imp.id,
    fileName: imp.fileName,
    status: imp.status as ImportStatus,
    totalRows: imp.totalRows,
    invalidRows: imp.invalidRows,
    toImport,
    importedRows: imp.importedRows,
    failedRows: imp.failedRows,
    /** Rows the commit has dealt with (imported or refused), out of `toImport`. */
    doneRows: imp.importedRows + imp.failedRows,
    createdAt: imp.createdAt.toISOString(),
    completedAt: imp.completedAt?.toISOString() ?? null,
    errors,
  };
}

/** The shop's latest imports, for the upload page. */
export async function recentImports(db: Db, shop: string) {
  return db.memberImport.findMany({
    where: { shop, status: { not: "uploading" } },
    orderBy: { createdAt: "desc" },
    take: 10,
    select: { id: true, fileName: true, status: true, totalRows: true, invalidRows: true, importedRows: true, failedRows: true, createdAt: true },
  });
}

const FAILED_HEADER = ["row", "email", "first_name", "last_name", "tier", "start_date", "expiry_date", "customer_id", "error"];

/**
 * The rows that were not imported (refused by the preview or at commit), as
 * the file had them, with the reason: pages of rows by row number, streamed.
 * Fix them and upload this file again (its `row` and `error` columns are ignored).
 */
export async function* failedRowsCsv(db: Db, shop: string, importId: string): AsyncGenerator<string[]> {
  const imp = await db.memberImport.findFirst({ where: { id: importId, shop }, select: { id: true } });
  if (!imp) return;
  yield FAILED_HEADER;
  let after = 0;
  for (;;) {
    const page = await db.memberImportRow.findMany({ where: { importId: imp.id, status: { in: ["invalid", "failed"] }, row: { gt: after } }, orderBy: { row: "asc" }, take: 1000 });
    if (!page.length) return;
    for (const r of page) yield [String(r.row), r.email, r.firstName, r.lastName, r.tier, r.startDate, r.expiryDate, r.platformCustomerId, r.error ?? ""];
    after = page.at(-1)!.row;
  }
}
