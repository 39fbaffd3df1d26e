-- One customer id per platform, side by side (issue 12): "platformId" held a
-- Shopify GID or a Commerce7 id in one column, so after a platform switch one
-- platform was called with the other's ids.
--
-- Existing ids go by the shop's platform (no Shop row: Shopify, the default).
-- A Shopify customer GID is Shopify's on any shop: Commerce7 ids are never
-- GIDs, so on a Commerce7 shop it is a leftover from before a switch.
--
-- The redefinitions below touch Customer and CrmSyncQueue only; the
-- hand-written partial unique indexes live on Enrollment and Tier and stay.

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Customer" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "shop" TEXT NOT NULL,
    "shopifyCustomerId" TEXT,
    "commerce7CustomerId" TEXT,
    "email" TEXT NOT NULL,
    "firstName" TEXT NOT NULL DEFAULT '',
    "lastName" TEXT NOT NULL DEFAULT '',
    "searchText" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_Customer" ("createdAt", "email", "firstName", "id", "lastName", "searchText", "shop", "updatedAt", "shopifyCustomerId", "commerce7CustomerId")
SELECT "createdAt", "email", "firstName", "id", "lastName", "searchText", "shop", "updatedAt",
    CASE WHEN "platformId" LIKE 'gid://shopify/Customer/%' OR NOT "onCommerce7" THEN "platformId" END,
    CASE WHEN "platformId" NOT LIKE 'gid://shopify/Customer/%' AND "onCommerce7" THEN "platformId" END
FROM (
    SELECT c.*, EXISTS (SELECT 1 FROM "Shop" AS s WHERE s."domain" = c."shop" AND s."crm" = 'commerce7') AS "onCommerce7"
    FROM "Customer" AS c
);
DROP TABLE "Customer";
ALTER TABLE "new_Customer" RENAME TO "Customer";
CREATE UNIQUE INDEX "Customer_shop_shopifyCustomerId_key" ON "Customer"("shop", "shopifyCustomerId");
CREATE UNIQUE INDEX "Customer_shop_commerce7CustomerId_key" ON "Customer"("shop", "commerce7CustomerId");
CREATE UNIQUE INDEX "Customer_shop_email_key" ON "Customer"("shop", "email");
-- Nothing read the queue's copy of the remote id (processors read the customer row).
CREATE TABLE "new_CrmSyncQueue" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "shop" TEXT NOT NULL,
    "enrollmentId" TEXT,
    "customerId" TEXT NOT NULL,
    "actionType" TEXT NOT NULL,
    "stageId" TEXT NOT NULL,
    "oldStageId" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "maxAttempts" INTEGER NOT NULL DEFAULT 5,
    "throttleDeferrals" INTEGER NOT NULL DEFAULT 0,
    "nextRunAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lockedBy" TEXT,
    "leaseUntil" DATETIME,
    "fence" INTEGER NOT NULL DEFAULT 0,
    "ready" BOOLEAN NOT NULL DEFAULT true,
    "lastError" TEXT,
    "result" TEXT,
    "idempotencyKey" TEXT NOT NULL,
    "discardedBy" TEXT,
    "discardReason" TEXT,
    "alertedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "completedAt" DATETIME
);
INSERT INTO "new_CrmSyncQueue" ("actionType", "alertedAt", "attempts", "completedAt", "createdAt", "customerId", "discardReason", "discardedBy", "enrollmentId", "fence", "id", "idempotencyKey", "lastError", "leaseUntil", "lockedBy", "maxAttempts", "nextRunAt", "oldStageId", "ready", "result", "shop", "stageId", "status", "throttleDeferrals", "updatedAt") SELECT "actionType", "alertedAt", "attempts", "completedAt", "createdAt", "customerId", "discardReason", "discardedBy", "enrollmentId", "fence", "id", "idempotencyKey", "lastError", "leaseUntil", "lockedBy", "maxAttempts", "nextRunAt", "oldStageId", "ready", "result", "shop", "stageId", "status", "throttleDeferrals", "updatedAt" FROM "CrmSyncQueue";
DROP TABLE "CrmSyncQueue";
ALTER TABLE "new_CrmSyncQueue" RENAME TO "CrmSyncQueue";
CREATE INDEX "CrmSyncQueue_status_nextRunAt_idx" ON "CrmSyncQueue"("status", "nextRunAt");
CREATE INDEX "CrmSyncQueue_status_ready_nextRunAt_idx" ON "CrmSyncQueue"("status", "ready", "nextRunAt");
CREATE INDEX "CrmSyncQueue_status_leaseUntil_idx" ON "CrmSyncQueue"("status", "leaseUntil");
CREATE INDEX "CrmSyncQueue_shop_status_createdAt_idx" ON "CrmSyncQueue"("shop", "status", "createdAt");
CREATE INDEX "CrmSyncQueue_shop_customerId_createdAt_idx" ON "CrmSyncQueue"("shop", "customerId", "createdAt");
CREATE INDEX "CrmSyncQueue_enrollmentId_idx" ON "CrmSyncQueue"("enrollmentId");
CREATE UNIQUE INDEX "CrmSyncQueue_shop_idempotencyKey_key" ON "CrmSyncQueue"("shop", "idempotencyKey");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
