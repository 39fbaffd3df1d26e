-- The queue screen (issue 17): how the last attempt failed, for the merchant's sentence,
-- and the indexes its "All" tab and action filter read newest first.
ALTER TABLE "CrmSyncQueue" ADD COLUMN "lastErrorKind" TEXT;

-- CreateIndex
CREATE INDEX "CrmSyncQueue_shop_createdAt_idx" ON "CrmSyncQueue"("shop", "createdAt");

-- CreateIndex
CREATE INDEX "CrmSyncQueue_shop_actionType_createdAt_idx" ON "CrmSyncQueue"("shop", "actionType", "createdAt");
