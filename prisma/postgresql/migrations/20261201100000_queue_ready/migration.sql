-- AlterTable
ALTER TABLE "CrmSyncQueue" ADD COLUMN     "ready" BOOLEAN NOT NULL DEFAULT true;

-- CreateIndex
CREATE INDEX "CrmSyncQueue_status_ready_nextRunAt_idx" ON "CrmSyncQueue"("status", "ready", "nextRunAt");
