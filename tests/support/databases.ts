// Real databases for tests: one migrated template per run, one copy per test file.
//
// SQLite: the template is a migrated file; each test file gets a copy.
// PostgreSQL: the template is a migrated database; each test file gets
// `CREATE DATABASE … TEMPLATE …`, which is a cheap file-level copy.
// Either way test files never see each other's rows and can run in parallel.
import { copyFileSync, mkdirSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import pg from "pg";
import { DEFAULT_SQLITE_URL, providerFor } from "../../prisma/provider.mjs";
import { runPrisma } from "../../scripts/db.mjs";
import { PG_TEST_PREFIX } from "./constants";

export const ROOT = resolve(import.meta.dirname, "../..");
export const TMP = join(ROOT, "tmp");

export type Provider = "sqlite" | "postgresql";

export function baseUrl(): string {
  return process.env.CLUB_TIERS_BASE_DATABASE_URL || process.env.DATABASE_URL || DEFAULT_SQLITE_URL;
}

export function baseProvider(): Provider {
  return providerFor(baseUrl());
}

/** Applies the migrations of the provider `url` names, with the real Prisma CLI. */
export function migrate(url: string) {
  runPrisma(["migrate", "deploy"], url, { quiet: true });
}

/** Builds a database straight from the schema (no migrations), for drift checks. */
export function pushSchema(url: string) {
  runPrisma(["db", "push", "--skip-generate", "--accept-data-loss"], url, { quiet: true });
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function pgAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(url, "postgres") });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export function uniqueName(prefix: string) {
  return `${prefix}${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
}

/**
 * This run's database-name prefix. Several test runs may share one PostgreSQL
 * server (two developers' suites, CI beside a session), so a run only ever drops
 * its own databases, plus leftovers of runs that started over a day ago.
 */
export function runPrefix(): string {
  return (process.env.CLUB_TIERS_TEST_RUN ??= `${PG_TEST_PREFIX}${Date.now().toString(36)}_${randomBytes(2).toString("hex")}_`);
}

export function newSqliteFile(prefix = "db") {
  mkdirSync(join(TMP, "test-dbs"), { recursive: true });
  return join(TMP, "test-dbs", `${uniqueName(prefix)}.sqlite`);
}

/** A fresh, migrated, empty database of the base provider; returns its URL. */
export async function freshDatabase(template: string): Promise<string> {
  if (providerFor(template) === "sqlite") {
    const file = newSqliteFile("t_");
    copyFileSync(template.slice("file:".length), file);
    return `file:${file}`;
  }
  const name = uniqueName(runPrefix());
  const templateName = new URL(template).pathname.slice(1);
  await pgAdmin(template, (c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${templateName}"`));
  return withDatabase(template, name);
}

/** Drops this run's databases, and any test database left by a run that began over a day ago. */
export async function dropTestDatabases(url: string, prefix: string) {
  const dayAgo = Date.now() - 86_400_000;
  await pgAdmin(url, async (c) => {
    const { rows } = await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [
      `${PG_TEST_PREFIX}%`,
    ]);
    for (const { datname } of rows) {
      const started = parseInt(datname.slice(PG_TEST_PREFIX.length).split("_")[0] ?? "", 36);
      if (datname.startsWith(prefix) || (Number.isFinite(started) && started < dayAgo)) {
        await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    }
  });
}
