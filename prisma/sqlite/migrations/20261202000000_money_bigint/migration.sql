-- Money as 64-bit integer cents (a 32-bit column overflows at 21,474,836.47).
-- SQLite's INTEGER is already 64-bit; the tables are redefined so the declared types match the model.
-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Tier" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "shop" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "handle" TEXT NOT NULL,
    "rank" INTEGER NOT NULL,
    "annualThresholdCents" BIGINT NOT NULL,
    "initialPurchaseCents" BIGINT NOT NULL,
    "durationMonths" INTEGER NOT NULL,
    "upgradable" BOOLEAN NOT NULL DEFAULT true,
    "upgradeOnly" BOOLEAN NOT NULL DEFAULT false,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "discountPercent" INTEGER NOT NULL DEFAULT 0,
    "shopifyDiscountId" TEXT,
    "c7ClubId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_Tier" ("active", "annualThresholdCents", "c7ClubId", "createdAt", "discountPercent", "durationMonths", "handle", "id", "initialPurchaseCents", "name", "rank", "shop", "shopifyDiscountId", "updatedAt", "upgradable", "upgradeOnly") SELECT "active", "annualThresholdCents", "c7ClubId", "createdAt", "discountPercent", "durationMonths", "handle", "id", "initialPurchaseCents", "name", "rank", "shop", "shopifyDiscountId", "updatedAt", "upgradable", "upgradeOnly" FROM "Tier";
DROP TABLE "Tier";
ALTER TABLE "new_Tier" RENAME TO "Tier";
CREATE INDEX "Tier_shop_active_rank_idx" ON "Tier"("shop", "active", "rank");
CREATE UNIQUE INDEX "Tier_shop_handle_key" ON "Tier"("shop", "handle");
-- Not in the model (Prisma has no partial indexes): kept from the init migration.
CREATE UNIQUE INDEX "Tier_shop_rank_active_key" ON "Tier"("shop", "rank") WHERE "active" = 1;
CREATE TABLE "new_Purchase" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "shop" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "amountCents" BIGINT NOT NULL,
    "currency" TEXT NOT NULL,
    "occurredAt" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Purchase_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Purchase" ("amountCents", "createdAt", "currency", "customerId", "id", "occurredAt", "orderId", "shop") SELECT "amountCents", "createdAt", "currency", "customerId", "id", "occurredAt", "orderId", "shop" FROM "Purchase";
DROP TABLE "Purchase";
ALTER TABLE "new_Purchase" RENAME TO "Purchase";
CREATE INDEX "Purchase_shop_customerId_occurredAt_idx" ON "Purchase"("shop", "customerId", "occurredAt");
CREATE UNIQUE INDEX "Purchase_shop_orderId_key" ON "Purchase"("shop", "orderId");
CREATE TABLE "new_Refund" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "shop" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "refundId" TEXT NOT NULL,
    "amountCents" BIGINT NOT NULL,
    "occurredAt" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_Refund" ("amountCents", "createdAt", "id", "occurredAt", "orderId", "refundId", "shop") SELECT "amountCents", "createdAt", "id", "occurredAt", "orderId", "refundId", "shop" FROM "Refund";
DROP TABLE "Refund";
ALTER TABLE "new_Refund" RENAME TO "Refund";
CREATE INDEX "Refund_shop_orderId_idx" ON "Refund"("shop", "orderId");
CREATE UNIQUE INDEX "Refund_shop_refundId_key" ON "Refund"("shop", "refundId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

