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

// errorFormat "minimal": an error's message is Prisma's own sentence. The
// default frames the call site, and with the JS query compiler that frame is a
// page of minified runtime source, which then filled log lines and the queue's
// lastError (shown to merchants) with tens of kilobytes.
export function createPrismaClient(url: string = env.DATABASE_URL, opts: { poolSize?: number; onQuery?: () => void } = {}): Db {
  const wrap = <F,>(f: F): F => (opts.onQuery ? (counting(f as unknown as AdapterFactory, opts.onQuery) as unknown as F) : f);
  if (providerFor(url) === "postgresql") {
    const adapter = wrap(new PrismaPg({ connectionString: url, max: opts.poolSize ?? 10 }));
    return new PostgresClient({ adapter, errorFormat: "minimal" }) as unknown as Db;
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
