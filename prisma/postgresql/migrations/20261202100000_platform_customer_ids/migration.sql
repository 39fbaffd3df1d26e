-- One customer id per platform, side by side (issue 12): "platformId" held a
-- Shopify GID or a Commerce7 id in one column, so after a platform switch one
-- platform was called with the other's ids.
ALTER TABLE "Customer" ADD COLUMN "shopifyCustomerId" TEXT,
ADD COLUMN "commerce7CustomerId" TEXT;

-- Existing ids go by the shop's platform (no Shop row: Shopify, the default).
-- A Shopify customer GID is Shopify's on any shop: Commerce7 ids are never
-- GIDs, so on a Commerce7 shop it is a leftover from before a switch.
UPDATE "Customer" AS c
SET "shopifyCustomerId" = c."platformId"
WHERE c."platformId" IS NOT NULL
  AND (c."platformId" LIKE 'gid://shopify/Customer/%'
       OR NOT EXISTS (SELECT 1 FROM "Shop" AS s WHERE s."domain" = c."shop" AND s."crm" = 'commerce7'));

UPDATE "Customer"
SET "commerce7CustomerId" = "platformId"
WHERE "platformId" IS NOT NULL AND "shopifyCustomerId" IS NULL;

-- DropIndex
DROP INDEX "Customer_shop_platformId_key";

-- AlterTable
ALTER TABLE "Customer" DROP COLUMN "platformId";

-- Nothing read the queue's copy of the remote id (processors read the customer row).
ALTER TABLE "CrmSyncQueue" DROP COLUMN "customerCrmId";

-- CreateIndex
CREATE UNIQUE INDEX "Customer_shop_shopifyCustomerId_key" ON "Customer"("shop", "shopifyCustomerId");

-- CreateIndex
CREATE UNIQUE INDEX "Customer_shop_commerce7CustomerId_key" ON "Customer"("shop", "commerce7CustomerId");
