// The migration that adds paid spend (20261202300000_paid_spend), on real
// databases of both providers: a database built from the migrations before it,
// given a shop and purchases, then migrated. Every order recorded before it
// counted at once, and still counts; every shop now counts orders when paid.
import { describe, expect, it } from "vitest";
import { migrationProviders as providers, migrationsOf, scratch, sqlOf } from "../support/migration-scratch";

const MIGRATION = "20261202300000_paid_spend";

describe("paid spend: the migration", () => {
  for (const provider of providers) {
    it(`${provider}: orders recorded before it keep counting (from when they were recorded); shops count orders when paid`, async () => {
      const db = await scratch(provider, "paid_spend_");
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
