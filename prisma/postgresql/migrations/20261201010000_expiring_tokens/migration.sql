-- AlterTable
ALTER TABLE "Shop" ADD COLUMN     "tokenMigrationError" TEXT,
ADD COLUMN     "tokenMigrationFailedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "ShopifyTokenLease" (
    "shop" TEXT NOT NULL,
    "holder" TEXT NOT NULL,
    "until" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ShopifyTokenLease_pkey" PRIMARY KEY ("shop")
);
