// The one Prisma client of this process, on the database DATABASE_URL names.
//
// SQLite goes through @prisma/adapter-libsql (WAL, busy timeout: see
// prisma/sqlite-adapter.ts) and PostgreSQL through
// @prisma/adapter-pg; both run Prisma's JS query compiler, so no engine binary
// is needed (docs/decisions/0002-prisma-js-engine-and-adapters.md). Both
// providers' clients are generated side by side from one model
// (docs/decisions/0003-two-database-providers.md); their model APIs are
// identical, so the code is typed against the SQLite client's types.
//
// The client is kept on globalThis so Vite's module reloads in development reuse
// one connection pool instead of opening a new one per edit.
import { PrismaPg } from "@prisma/adapter-pg";
import { createHash } from "node:crypto";
import pg from "pg";
import { PrismaClient as PostgresClient } from "#prisma/postgresql";
import { PrismaClient as SqliteClient } from "#prisma/sqlite";
import { providerFor } from "../prisma/provider.mjs";
import { isSqliteBusy, sqliteAdapter } from "../prisma/sqlite-adapter";
import { env } from "./env.server";

export type { Prisma } from "#prisma/sqlite";
export type * from "#prisma/sqlite";

export type Db = SqliteClient;
export type Tx = Omit<Db, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends" | "$use">;
export type DbProvider = "sqlite" | "postgresql";

type Queryable = { queryRaw: (...a: unknown[]) => Promise<unknown>; executeRaw: (...a: unknown[]) => Promise<unknown> };
type AdapterFactory = { connect: () => Promise<Queryable & { startTransaction?: (...a: unknown[]) => Promise<Queryable & { commit?: () => Promise<void> }> }> };

/**
 * Counts every statement sent to the database (benchmarks report round trips
 * per item). Wraps the driver adapter, below Prisma, so nothing is missed:
 * queries inside transactions and the COMMIT itself count too.
 */
function counting<F extends AdapterFactory>(factory: F, onQuery: () => void): F {
  const wrap = <Q extends Queryable>(q: Q): Q => {
    const queryRaw = q.queryRaw.bind(q);
    const executeRaw = q.executeRaw.bind(q);
    q.queryRaw = (...a) => (onQuery(), queryRaw(...a));
    q.executeRaw = (...a) => (onQuery(), executeRaw(...a));
    return q;
  };
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = wrap(await connect());
    const start = adapter.startTransaction?.bind(adapter);
    if (start) {
      adapter.startTransaction = async (...a) => {
        onQuery(); // BEGIN
        const tx = wrap(await start(...a));
        const commit = tx.commit?.bind(tx);
        if (commit) tx.commit = async () => (onQuery(), commit());
        return tx;
      };
    }
    return adapter;
  };
  return factory;
}

/** One statement straight to the driver: PostgreSQL placeholders ($1…), rows as the driver returns them. */
export type DriverSql = {
  query: (text: string, params: readonly unknown[]) => Promise<Record<string, unknown>[]>;
  execute: (text: string, params: readonly unknown[]) => Promise<number>;
};

const drivers = new WeakMap<object, DriverSql>();

// Prisma keeps DateTime in `timestamp(3)` (no zone) as UTC. node-postgres
// would read such a value, and write a Date, in the process's local zone, so
// dates cross this path as UTC text both ways.
const TIMESTAMP_OID = 1114;
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === TIMESTAMP_OID ? (v: string) => new Date(`${v.replace(" ", "T")}Z`) : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};
const param = (v: unknown) => (v instanceof Date ? v.toISOString() : v);

// Each statement is prepared once per connection under a name derived from its
// text: the queue's statements are few and repeated, and planning one (the
// claim's) costs about as much as running it.
const names = new Map<string, string>();
const MAX_PREPARED = 500; // a bound, should texts ever vary without one: beyond it, statements run unnamed
const nameOf = (text: string): string | undefined => {
  let name = names.get(text);
  if (!name && names.size < MAX_PREPARED) names.set(text, (name = `ct_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`));
  return name;
};

function driverSql(pool: pg.Pool, onQuery?: () => void): DriverSql {
  const run = async (text: string, params: readonly unknown[]) => {
    onQuery?.();
    return pool.query({ name: nameOf(text), text, values: params.map(param), types });
  };
  return {
    query: async (text, params) => (await run(text, params)).rows,
    execute: async (text, params) => (await run(text, params)).rowCount ?? 0,
  };
}

/**
 * The driver under a PostgreSQL client, for the queue's hot statements, or
 * null (SQLite, or a transaction's client, whose statements must stay in its
 * transaction). Prisma's JS query compiler costs several times the driver's
 * own work per statement (bench/queue.ts; docs/decisions/0005-sync-queue.md),
 * and a statement the queue runs for every few items pays it every time.
 */
export function driverOf(db: object): DriverSql | null {
  return drivers.get(db) ?? null;
}

// errorFormat "minimal": an error's message is Prisma's own sentence. The
// default frames the call site, and with the JS query compiler that frame is a
// page of minified runtime source, which then filled log lines and the queue's
// lastError (shown to merchants) with tens of kilobytes.
export function createPrismaClient(url: string = env.DATABASE_URL, opts: { poolSize?: number; onQuery?: () => void } = {}): Db {
  const wrap = <F,>(f: F): F => (opts.onQuery ? (counting(f as unknown as AdapterFactory, opts.onQuery) as unknown as F) : f);
  if (providerFor(url) === "postgresql") {
    // Our pool, lent to Prisma's adapter, so the queue's hot statements can use
    // it directly (driverSql below). One pool: the same connection limit.
    const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10 });
    // An idle connection dropped by the server (a restart) must not crash the
    // process; the next query opens a new one and reports its own error.
    pool.on("error", () => {});
    const adapter = wrap(new PrismaPg(pool));
    const client = new PostgresClient({ adapter, errorFormat: "minimal" }) as unknown as Db;
    const disconnect = client.$disconnect.bind(client);
    // Prisma never ends a pool it was lent.
    client.$disconnect = async () => {
      await disconnect();
      if (!pool.ended) await pool.end();
    };
    drivers.set(client, driverSql(pool, opts.onQuery));
    return client;
  }
  return new SqliteClient({ adapter: wrap(sqliteAdapter(url)), errorFormat: "minimal" });
}

export function providerOf(url: string = env.DATABASE_URL): DbProvider {
  return providerFor(url);
}

declare global {
  var __clubTiersPrisma: Db | undefined;
}

const prisma: Db = globalThis.__clubTiersPrisma ?? (globalThis.__clubTiersPrisma = createPrismaClient());

export const dbProvider: DbProvider = providerFor(env.DATABASE_URL);

/** Liveness probe for the health route: one real round trip. */
export async function pingDatabase(client: Db = prisma): Promise<void> {
  await client.$queryRawUnsafe("SELECT 1");
}

/**
 * A list in parts small enough to bind in one statement: SQLite (libsql) binds
 * at most 999 parameters, so an `in: [...]` over a few thousand ids fails
 * ("The query parameter limit supported by your database is exceeded").
 */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A unique rule refused the write (Prisma's P2002). Inside a transaction this has rolled it back. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: string }).code === "P2002";
}

export default prisma;

// Prisma's codes for "the database could not serve this now": unreachable,
// timed out (SQLite's SQLITE_BUSY arrives as P1008), connection closed, pool
// exhausted, transaction API timeouts, write conflicts and deadlocks.
const UNAVAILABLE_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2028", "P2034"]);
const UNAVAILABLE_KINDS = new Set(["DatabaseNotReachable", "SocketTimeout", "ConnectionClosed", "TooManyConnections", "TransactionWriteConflict"]);
// Node's network errors and PostgreSQL's "come back later" SQLSTATEs.
const UNAVAILABLE_SYSTEM = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "57P01", "57P02", "57P03", "53300", "40001", "40P01"]);

/**
 * The database is busy or unreachable for a moment (another process holds
 * SQLite's write lock, PostgreSQL restarts): the request should answer 503
 * and the next one may well succeed. Never true for a bad query or bad data.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; e && typeof e === "object" && depth < 6; depth++) {
    const x = e as { code?: unknown; name?: unknown; kind?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } }; cause?: unknown };
    if (typeof x.code === "string" && (UNAVAILABLE_CODES.has(x.code) || UNAVAILABLE_SYSTEM.has(x.code))) return true;
    if (x.name === "PrismaClientInitializationError" || isSqliteBusy(x)) return true;
    if (typeof x.kind === "string" && UNAVAILABLE_KINDS.has(x.kind)) return true;
    const kind = x.meta?.driverAdapterError?.cause?.kind;
    if (typeof kind === "string" && UNAVAILABLE_KINDS.has(kind)) return true;
    e = x.cause;
  }
  return false;
}

/** What a request gets while the database is unavailable: short, and retryable. */
export function databaseUnavailableResponse(): Response {
  return new Response("The database is busy. Try again in a moment.", {
    status: 503,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Retry-After": "1", "Cache-Control": "no-store" },
  });
}
