-- AlterTable
ALTER TABLE "Shop" ADD COLUMN "c7Clubs" TEXT;
ALTER TABLE "Shop" ADD COLUMN "c7ClubsAt" DATETIME;

-- CreateTable
CREATE TABLE "CustomerAddress" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "shop" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "address2" TEXT NOT NULL DEFAULT '',
    "city" TEXT NOT NULL,
    "stateCode" TEXT NOT NULL,
    "zipCode" TEXT NOT NULL,
    "countryCode" TEXT NOT NULL,
    "platformAddressId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "CustomerAddress_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- AlterTable (ADD COLUMN keeps the table and its hand-written partial unique index)
ALTER TABLE "Enrollment" ADD COLUMN "deliveryMethod" TEXT NOT NULL DEFAULT 'Ship';
ALTER TABLE "Enrollment" ADD COLUMN "pickupLocationId" TEXT;

-- CreateIndex
CREATE INDEX "CustomerAddress_shop_idx" ON "CustomerAddress"("shop");

-- CreateIndex
CREATE UNIQUE INDEX "CustomerAddress_customerId_kind_key" ON "CustomerAddress"("customerId", "kind");

