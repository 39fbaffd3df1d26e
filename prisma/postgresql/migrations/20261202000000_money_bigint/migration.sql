-- Money as 64-bit integer cents (a 32-bit column overflows at 21,474,836.47).
-- AlterTable
ALTER TABLE "Tier" ALTER COLUMN "annualThresholdCents" SET DATA TYPE BIGINT,
ALTER COLUMN "initialPurchaseCents" SET DATA TYPE BIGINT;

-- AlterTable
ALTER TABLE "Purchase" ALTER COLUMN "amountCents" SET DATA TYPE BIGINT;

-- AlterTable
ALTER TABLE "Refund" ALTER COLUMN "amountCents" SET DATA TYPE BIGINT;

