// The migration that adds paid spend (20261202300000_paid_spend), on real
// databases of both providers: a database built from the migrations before it,
// given a shop and purchases, then migrated. Every order recorded before it
// counted at once, and still counts; every shop now counts orders when paid.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { ROOT, baseProvider, baseUrl, newSqliteFile, pgAdmin, runPrefix, uniqueName, withDatabase, type Provider } from "../support/databases";

const MIGRATION = "20261202300000_paid_spend";

async function scratch(provider: Provider): Promise<{ run: (sql: string) => Promise<void>; rows: (sql: string) => Promise<Record<string, unknown>[]>; close: () => Promise<void> }> {
  if (provider === "sqlite") {
    const client = createClient({ url: `file:${newSqliteFile("paid_spend_")}` });
    return {
      run: async (sql) => void (await client.executeMultiple(sql)),
      rows: async (sql) => (await client.execute(sql)).rows.map((r) => ({ ...r })),
      close: async () => client.close(),
    };
  }
  const name = uniqueName(`${runPrefix()}paid_spend_`);
  await pgAdmin(baseUrl(), (c) => c.query(`CREATE DATABASE "${name}"`));
  const client = new pg.Client({ connectionString: withDatabase(baseUrl(), name) });
  await client.connect();
  return {
    run: async (sql) => void (await client.query(sql)),
    rows: async (sql) => (await client.query(sql)).rows,
    close: () => client.end(),
  };
}

const migrationsOf = (provider: Provider) => readdirSync(join(ROOT, "prisma", provider, "migrations")).filter((m) => /^\d{14}_/.test(m)).sort();
const sqlOf = (provider: Provider, m: string) => readFileSync(join(ROOT, "prisma", provider, "migrations", m, "migration.sql"), "utf8");

const providers: Provider[] = baseProvider() === "postgresql" ? ["sqlite", "postgresql"] : ["sqlite"];

describe("paid spend: the migration", () => {
  for (const provider of providers) {
    it(`${provider}: orders recorded before it keep counting (from when they were recorded); shops count orders when paid`, async () => {
      const db = await scratch(provider);
      try {
        for (const m of migrationsOf(provider).filter((m) => m < MIGRATION)) await db.run(sqlOf(provider, m));
        const now = provider === "sqlite" ? "CURRENT_TIMESTAMP" : "now()";
        await db.run(`
          INSERT INTO "Shop" ("id", "domain", "crm", "alertEmail", "updatedAt") VALUES ('s1', 'wine.myshopify.com', 'shopify', 'owner@example.com', ${now});
          INSERT INTO "Customer" ("id", "shop", "email", "updatedAt") VALUES ('c', 'wine.myshopify.com', 'c@example.com', ${now});
          INSERT INTO "Purchase" ("id", "shop", "orderId", "customerId", "amountCents", "currency", "occurredAt", "createdAt")
            VALUES ('p', 'wine.myshopify.com', 'gid://shopify/Order/1', 'c', 3000000000, 'USD', '2026-11-01 10:00:00', '2026-11-01 10:00:05');
        `);
        await db.run(sqlOf(provider, MIGRATION));
        const [purchase] = await db.rows(`SELECT "amountCents", "financialStatus", "countedAt", "createdAt" FROM "Purchase"`);
        expect(Number(purchase!.amountCents)).toBe(3_000_000_000);
        expect(purchase!.financialStatus).toBeNull();
        expect(new Date(String(purchase!.countedAt)).getTime()).toBe(new Date(String(purchase!.createdAt)).getTime());
        expect(await db.rows(`SELECT "domain", "alertEmail", "countOrdersWhen" FROM "Shop"`)).toEqual([{ domain: "wine.myshopify.com", alertEmail: "owner@example.com", countOrdersWhen: "paid" }]);
      } finally {
        await db.close();
      }
    }, 60_000);
  }
});
