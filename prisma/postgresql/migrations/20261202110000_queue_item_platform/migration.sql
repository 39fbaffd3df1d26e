-- Every queue item records the platform it was queued for, and runs against
-- it (issue 12): a platform switch no longer sends earlier items to the new
-- platform. Items from before this column were queued for their shop's
-- platform at the time, which is the shop's platform now (no row: Shopify).
ALTER TABLE "CrmSyncQueue" ADD COLUMN "platform" TEXT NOT NULL DEFAULT 'shopify';

UPDATE "CrmSyncQueue"
SET "platform" = 'commerce7'
WHERE EXISTS (SELECT 1 FROM "Shop" WHERE "Shop"."domain" = "CrmSyncQueue"."shop" AND "Shop"."crm" = 'commerce7');
