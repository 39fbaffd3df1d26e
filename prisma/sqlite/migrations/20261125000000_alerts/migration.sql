-- AlterTable
ALTER TABLE "CrmSyncQueue" ADD COLUMN "alertedAt" DATETIME;
