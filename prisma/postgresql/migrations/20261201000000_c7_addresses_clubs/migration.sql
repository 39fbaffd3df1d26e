-- AlterTable
ALTER TABLE "Shop" ADD COLUMN     "c7Clubs" TEXT,
ADD COLUMN     "c7ClubsAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Enrollment" ADD COLUMN     "deliveryMethod" TEXT NOT NULL DEFAULT 'Ship',
ADD COLUMN     "pickupLocationId" TEXT;

-- CreateTable
CREATE TABLE "CustomerAddress" (
    "id" TEXT NOT NULL,
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
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CustomerAddress_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "CustomerAddress_shop_idx" ON "CustomerAddress"("shop");

-- CreateIndex
CREATE UNIQUE INDEX "CustomerAddress_customerId_kind_key" ON "CustomerAddress"("customerId", "kind");

-- AddForeignKey
ALTER TABLE "CustomerAddress" ADD CONSTRAINT "CustomerAddress_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

