// The data model on real databases: migrations, the database-enforced rules,
// and that both providers and the migrations agree with prisma/models.prisma.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderSchema } from "../../scripts/db.mjs";
import { ROOT, baseProvider, baseUrl, freshDatabase, migrate, newSqliteFile, pgAdmin, pushSchema, runPrefix, uniqueName, withDatabase } from "../support/databases";
import { diffStructures, introspect, type Structure } from "../support/introspect";
import prisma from "~/db.server";

const HAND_WRITTEN = ["Enrollment_one_active_per_customer", "Tier_shop_rank_active_key"];

function withoutHandWritten(s: Structure): Structure {
  const copy: Structure = structuredClone(s);
  for (const t of Object.values(copy)) for (const name of HAND_WRITTEN) delete t.indexes[name];
  return copy;
}

async function scratchUrl(provider: "sqlite" | "postgresql"): Promise<string> {
  if (provider === "sqlite") return `file:${newSqliteFile("scratch_")}`;
  const name = uniqueName(`${runPrefix()}scratch_`);
  await pgAdmin(baseUrl(), (c) => c.query(`CREATE DATABASE "${name}"`));
  return withDatabase(baseUrl(), name);
}

const providers: ("sqlite" | "postgresql")[] = baseProvider() === "postgresql" ? ["sqlite", "postgresql"] : ["sqlite"];

describe("migrations", () => {
  it("apply to an empty database and create every model's table", async () => {
    const url = await scratchUrl(baseProvider());
    migrate(url);
    const tables = Object.keys(await introspect(url)).sort();
    expect(tables).toEqual(
      ["Commerce7History", "CrmSyncQueue", "Customer", "CustomerAddress", "Enrollment", "MemberImport", "MemberImportRow", "MembershipDayCount", "MembershipDayDelta", "MembershipEvent", "OrderBackfill", "PaceBucket", "Purchase", "Recalculation", "Refund", "Renewal", "Session", "Shop", "ShopifyTokenLease", "SyncAttempt", "Tier", "WebhookEvent"].sort(),
    );
  });

  it("the per-provider schema files are exactly what prisma/models.prisma renders", () => {
    for (const provider of ["sqlite", "postgresql"]) {
      const onDisk = readFileSync(join(ROOT, "prisma", provider, "schema.prisma"), "utf8");
      expect(onDisk, `prisma/${provider}/schema.prisma is stale: run node scripts/db.mjs render`).toBe(renderSchema(provider));
    }
  });

  for (const provider of providers) {
    it(`${provider}: the migrations build the same database as the schema (no drift)`, async () => {
      const migrated = await scratchUrl(provider);
      const pushed = await scratchUrl(provider);
      migrate(migrated);
      pushSchema(pushed);
      const fromMigrations = await introspect(migrated);
      const fromSchema = await introspect(pushed);
      expect(diffStructures(withoutHandWritten(fromMigrations), fromSchema, ["migrations", "schema"])).toEqual([]);
      // The rules Prisma cannot express exist in the migrated database.
      expect(fromMigrations.Enrollment?.indexes.Enrollment_one_active_per_customer).toMatchObject({ unique: true, partial: true });
      expect(fromMigrations.Tier?.indexes.Tier_shop_rank_active_key).toMatchObject({ unique: true, partial: true });
    }, 60_000);
  }

  if (baseProvider() === "postgresql") {
    it("SQLite and PostgreSQL migrations produce the same model (tables, columns, nullability, indexes)", async () => {
      const sqlite = await scratchUrl("sqlite");
      migrate(sqlite);
      const differences = diffStructures(await introspect(sqlite), await introspect(process.env.DATABASE_URL!), ["sqlite", "postgresql"]);
      expect(differences).toEqual([]);
    }, 60_000);
  }
});

describe("rules the database enforces", () => {
  async function seed(shop = "rules.myshopify.com") {
    const tier = await prisma.tier.create({
      data: { shop, name: "Gold", handle: `gold-${Math.random()}`, rank: 1, annualThresholdCents: 120000, initialPurchaseCents: 10000, durationMonths: 12 },
    });
    const customer = await prisma.customer.create({ data: { shop, email: `a${Math.random()}@example.com` } });
    return { tier, customer };
  }

  it("rejects a second active enrollment for the same customer, but keeps history", async () => {
    const { tier, customer } = await seed();
    const base = { shop: tier.shop, customerId: customer.id, tierId: tier.id, expiresAt: new Date(Date.now() + 86_400_000) };
    await prisma.enrollment.create({ data: { ...base, status: "expired" } });
    await prisma.enrollment.create({ data: { ...base, status: "cancelled" } });
    await prisma.enrollment.create({ data: base });
    await expect(prisma.enrollment.create({ data: base })).rejects.toThrow(/Unique constraint/i);
    expect(await prisma.enrollment.count({ where: { customerId: customer.id, status: "active" } })).toBe(1);
  });

  it("a database error's message is Prisma's sentence, not a page of its runtime's source (it reaches logs and lastError)", async () => {
    const { tier, customer } = await seed("errors.myshopify.com");
    const base = { shop: tier.shop, customerId: customer.id, tierId: tier.id, expiresAt: new Date(Date.now() + 86_400_000) };
    await prisma.enrollment.create({ data: base });
    const error = (await prisma.enrollment.create({ data: base }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/Unique constraint/i);
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).not.toMatch(/function|=>/);
  });

  it("keeps rank unique among a shop's active tiers only", async () => {
    const shop = "ranks.myshopify.com";
    const tier = (handle: string, rank: number, active = true) =>
      prisma.tier.create({
        data: { shop, name: handle, handle, rank, active, annualThresholdCents: 0, initialPurchaseCents: 0, durationMonths: 12 },
      });
    await tier("silver", 1);
    await expect(tier("gold", 1)).rejects.toThrow(/Unique constraint/i);
    await tier("old-gold", 1, false);
    await prisma.tier.create({
      data: { shop: "other.myshopify.com", name: "x", handle: "x", rank: 1, annualThresholdCents: 0, initialPurchaseCents: 0, durationMonths: 12 },
    });
    expect(await prisma.tier.count({ where: { rank: 1, shop: { in: [shop, "other.myshopify.com"] } } })).toBe(3);
  });

  it("keeps customers unique per shop by email and by each platform's id, and orders unique per shop", async () => {
    const shop = "uniq.myshopify.com";
    await prisma.customer.create({ data: { shop, email: "x@example.com", shopifyCustomerId: "gid://shopify/Customer/1", commerce7CustomerId: "c7-1" } });
    await expect(prisma.customer.create({ data: { shop, email: "x@example.com" } })).rejects.toThrow(/Unique constraint/i);
    await expect(
      prisma.customer.create({ data: { shop, email: "y@example.com", shopifyCustomerId: "gid://shopify/Customer/1" } }),
    ).rejects.toThrow(/Unique constraint/i);
    await expect(prisma.customer.create({ data: { shop, email: "y@example.com", commerce7CustomerId: "c7-1" } })).rejects.toThrow(/Unique constraint/i);
    // One platform's id is no rule on the other's column.
    await prisma.customer.create({ data: { shop, email: "z@example.com", shopifyCustomerId: "c7-1", commerce7CustomerId: "gid://shopify/Customer/1" } });
    // The same email in another shop is another customer.
    const other = await prisma.customer.create({ data: { shop: "uniq2.myshopify.com", email: "x@example.com" } });
    const p = { shop, orderId: "1001", customerId: other.id, amountCents: 100, currency: "USD", occurredAt: new Date() };
    await prisma.purchase.create({ data: p });
    await expect(prisma.purchase.create({ data: p })).rejects.toThrow(/Unique constraint/i);
  });
});

describe("per-test-file databases", () => {
  it("each test file starts from an empty migrated copy", async () => {
    const url = await freshDatabase(baseUrl() === process.env.DATABASE_URL ? baseUrl() : process.env.DATABASE_URL!);
    expect(url).not.toBe(process.env.DATABASE_URL);
  });
});
