// The migrations that split Customer.platformId into one id per platform
// (20261202100000_platform_customer_ids) and give every queue item its
// platform (20261202110000_queue_item_platform), on real databases of both
// providers: a database is built from the migrations before them, given rows
// the old way, then migrated; each id must sit in its platform's column, and
// each item carry its shop's platform.
import { describe, expect, it } from "vitest";
import { migrationProviders as providers, migrationsOf, scratch, sqlOf } from "../support/migration-scratch";

const MIGRATION = "20261202100000_platform_customer_ids";
const ITEM_PLATFORM = "20261202110000_queue_item_platform";

describe("one customer id per platform: the migration", () => {
  for (const provider of providers) {
    it(`${provider}: moves each stored id to its platform's column by the shop's platform, and a Shopify GID to Shopify's on any shop`, async () => {
      const db = await scratch(provider, "split_ids_");
      try {
        for (const m of migrationsOf(provider).filter((m) => m < MIGRATION)) await db.run(sqlOf(provider, m));
        const now = provider === "sqlite" ? "CURRENT_TIMESTAMP" : "now()";
        await db.run(`
          INSERT INTO "Shop" ("id", "domain", "crm", "updatedAt") VALUES ('s1', 'shopify.myshopify.com', 'shopify', ${now}), ('s2', 'wine.myshopify.com', 'commerce7', ${now});
          INSERT INTO "Customer" ("id", "shop", "platformId", "email", "updatedAt") VALUES
            ('a', 'shopify.myshopify.com', 'gid://shopify/Customer/1', 'a@example.com', ${now}),
            ('b', 'shopify.myshopify.com', NULL, 'b@example.com', ${now}),
            ('c', 'wine.myshopify.com', 'c7-uuid-1', 'c@example.com', ${now}),
            ('d', 'wine.myshopify.com', 'gid://shopify/Customer/4', 'd@example.com', ${now}),
            ('e', 'gone.myshopify.com', 'gid://shopify/Customer/5', 'e@example.com', ${now});
          INSERT INTO "CrmSyncQueue" ("id", "shop", "customerId", "actionType", "stageId", "customerCrmId", "idempotencyKey", "updatedAt")
            VALUES ('q', 'wine.myshopify.com', 'c', 'add_membership', 't', 'c7-uuid-1', 'k', ${now}),
                   ('r', 'shopify.myshopify.com', 'a', 'add_membership', 't', '', 'k', ${now});
        `);
        await db.run(sqlOf(provider, MIGRATION));
        await db.run(sqlOf(provider, ITEM_PLATFORM));
        const rows = await db.rows(`SELECT "id", "shopifyCustomerId", "commerce7CustomerId", "email" FROM "Customer" ORDER BY "id"`);
        expect(rows).toEqual([
          { id: "a", shopifyCustomerId: "gid://shopify/Customer/1", commerce7CustomerId: null, email: "a@example.com" },
          { id: "b", shopifyCustomerId: null, commerce7CustomerId: null, email: "b@example.com" },
          { id: "c", shopifyCustomerId: null, commerce7CustomerId: "c7-uuid-1", email: "c@example.com" },
          // Left from before the shop moved to Commerce7: it is Shopify's, and Commerce7 never gets it.
          { id: "d", shopifyCustomerId: "gid://shopify/Customer/4", commerce7CustomerId: null, email: "d@example.com" },
          // No Shop row: Shopify, the default platform.
          { id: "e", shopifyCustomerId: "gid://shopify/Customer/5", commerce7CustomerId: null, email: "e@example.com" },
        ]);
        // The queue items survive, without the copy of the id that nothing read, each for its shop's platform.
        const items = await db.rows(`SELECT * FROM "CrmSyncQueue" ORDER BY "id"`);
        expect(items.map((i) => [i.id, i.customerId, i.platform])).toEqual([
          ["q", "c", "commerce7"],
          ["r", "a", "shopify"],
        ]);
        expect(Object.keys(items[0]!)).not.toContain("customerCrmId");
      } finally {
        await db.close();
      }
    }, 60_000);
  }
});
