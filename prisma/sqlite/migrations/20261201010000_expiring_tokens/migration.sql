-- AlterTable
ALTER TABLE "Shop" ADD COLUMN "tokenMigrationError" TEXT;
ALTER TABLE "Shop" ADD COLUMN "tokenMigrationFailedAt" DATETIME;

-- CreateTable
CREATE TABLE "ShopifyTokenLease" (
    "shop" TEXT NOT NULL PRIMARY KEY,
    "holder" TEXT NOT NULL,
    "until" DATETIME NOT NULL
);
