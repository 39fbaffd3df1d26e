// The one Prisma client of this process, on the database DATABASE_URL names.
//
// SQLite goes through @prisma/adapter-libsql and PostgreSQL through
// @prisma/adapter-pg; both run Prisma's JS query compiler, so no engine binary
// is needed (docs/decisions/0002-prisma-js-engine-and-adapters.md). Outside
// production the client is kept on globalThis so Vite's module reloads reuse
// one connection pool instead of opening a new one per edit.
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import { providerFor } from "../prisma/provider.mjs";
import { env } from "./env.server";

export type Db = PrismaClient;
export type Tx = Omit<PrismaClient, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;
export type DbProvider = "sqlite" | "postgresql";

export function createPrismaClient(url: string = env.DATABASE_URL): PrismaClient {
  const adapter =
    providerFor(url) === "postgresql"
      ? new PrismaPg({ connectionString: url, max: 10 })
      : new PrismaLibSQL({ url });
  return new PrismaClient({ adapter });
}

declare global {
  var __clubTiersPrisma: PrismaClient | undefined;
}

const prisma: PrismaClient =
  globalThis.__clubTiersPrisma ?? (globalThis.__clubTiersPrisma = createPrismaClient());

export const dbProvider: DbProvider = providerFor(env.DATABASE_URL);

/** Quick liveness probe for the health route. */
export async function pingDatabase(client: PrismaClient = prisma): Promise<void> {
  await client.$queryRawUnsafe("SELECT 1");
}

export default prisma;
