// For tests of one migration on real databases: an empty scratch database of
// either provider that runs raw SQL scripts, and the migrations as files. A
// test applies the migrations before the one it checks, writes old-shaped
// rows, then applies that one. PostgreSQL scratch databases carry the run's
// prefix, so the run's teardown drops them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import pg from "pg";
import { ROOT, baseProvider, baseUrl, newSqliteFile, pgAdmin, runPrefix, uniqueName, withDatabase, type Provider } from "./databases";

export type ScratchDb = { run: (sql: string) => Promise<void>; rows: (sql: string) => Promise<Record<string, unknown>[]>; close: () => Promise<void> };

/** Runs SQL scripts (several statements each) against a new, empty database of `provider`. */
export async function scratch(provider: Provider, prefix: string): Promise<ScratchDb> {
  if (provider === "sqlite") {
    const client = createClient({ url: `file:${newSqliteFile(prefix)}` });
    return {
      run: async (sql) => void (await client.executeMultiple(sql)),
      rows: async (sql) => (await client.execute(sql)).rows.map((r) => ({ ...r })),
      close: async () => client.close(),
    };
  }
  const name = uniqueName(`${runPrefix()}${prefix}`);
  await pgAdmin(baseUrl(), (c) => c.query(`CREATE DATABASE "${name}"`));
  const client = new pg.Client({ connectionString: withDatabase(baseUrl(), name) });
  await client.connect();
  return {
    run: async (sql) => void (await client.query(sql)),
    rows: async (sql) => (await client.query(sql)).rows,
    close: () => client.end(),
  };
}

export const migrationsOf = (provider: Provider) => readdirSync(join(ROOT, "prisma", provider, "migrations")).filter((m) => /^\d{14}_/.test(m)).sort();
export const sqlOf = (provider: Provider, m: string) => readFileSync(join(ROOT, "prisma", provider, "migrations", m, "migration.sql"), "utf8");

/** SQLite always; PostgreSQL too when the run's database is PostgreSQL. */
export const migrationProviders: Provider[] = baseProvider() === "postgresql" ? ["sqlite", "postgresql"] : ["sqlite"];
