// The one Prisma client of this process, on the database DATABASE_URL names.
//
// SQLite goes through @prisma/adapter-libsql and PostgreSQL through
// @prisma/adapter-pg; both run Prisma's JS query compiler, so no engine binary
// is needed (docs/decisions/0002-prisma-js-engine-and-adapters.md). Both
// providers' clients are generated side by side from one model
// (docs/decisions/0003-two-database-providers.md); their model APIs are
// identical, so the code is typed against the SQLite client's types.
//
// The client is kept on globalThis so Vite's module reloads in development reuse
// one connection pool instead of opening a new one per edit.
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as PostgresClient } from "#prisma/postgresql";
import { PrismaClient as SqliteClient } from "#prisma/sqlite";
import { providerFor } from "../prisma/provider.mjs";
import { env } from "./env.server";

export type { Prisma } from "#prisma/sqlite";
export type * from "#prisma/sqlite";

export type Db = SqliteClient;
export type Tx = Omit<Db, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends" | "$use">;
export type DbProvider = "sqlite" | "postgresql";

export function createPrismaClient(url: string = env.DATABASE_URL, opts: { poolSize?: number } = {}): Db {
  if (providerFor(url) === "postgresql") {
    const adapter = new PrismaPg({ connectionString: url, max: opts.poolSize ?? 10 });
    return new PostgresClient({ adapter }) as unknown as Db;
  }
  return new SqliteClient({ adapter: new PrismaLibSQL({ url }) });
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

export default prisma;
