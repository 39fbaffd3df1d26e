-- Paid spend (ADR 0019): an order's financial status, when its spend started to count, and the shop's choice of when orders count.
-- AlterTable
ALTER TABLE "Purchase" ADD COLUMN "countedAt" DATETIME;
ALTER TABLE "Purchase" ADD COLUMN "financialStatus" TEXT;

-- AlterTable
-- Added in place, not by the table redefinition `prisma migrate diff` writes for a
-- required column on SQLite: SQLite adds a NOT NULL column with a constant
-- default directly, and a redefinition written against this migration's schema
-- would drop any Shop column a later-numbered migration already added to a
-- database that applied it first (20261202400000_shop_context_at's contextAt).
ALTER TABLE "Shop" ADD COLUMN "countOrdersWhen" TEXT NOT NULL DEFAULT 'paid';

-- Orders recorded before this migration all counted at once (the rule until
-- now): they keep counting. Their financial status was not kept (null).
UPDATE "Purchase" SET "countedAt" = "createdAt";
