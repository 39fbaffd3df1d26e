-- Paid spend (ADR 0019): an order's financial status, when its spend started to count, and the shop's choice of when orders count.
-- AlterTable
ALTER TABLE "Shop" ADD COLUMN     "countOrdersWhen" TEXT NOT NULL DEFAULT 'paid';

-- AlterTable
ALTER TABLE "Purchase" ADD COLUMN     "countedAt" TIMESTAMP(3),
ADD COLUMN     "financialStatus" TEXT;


-- Orders recorded before this migration all counted at once (the rule until
-- now): they keep counting. Their financial status was not kept (null).
UPDATE "Purchase" SET "countedAt" = "createdAt";
