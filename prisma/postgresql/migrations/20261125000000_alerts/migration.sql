-- AlterTable
ALTER TABLE "CrmSyncQueue" ADD COLUMN     "alertedAt" TIMESTAMP(3);
