-- Gentler endings per tier (ADR 0025): a grace period in days and stepping
-- down instead of expiring, and when a membership in grace ends.
ALTER TABLE "Tier" ADD COLUMN "graceDays" INTEGER NOT NULL DEFAULT 0;

ALTER TABLE "Tier" ADD COLUMN "stepDown" BOOLEAN NOT NULL DEFAULT false;

ALTER TABLE "Enrollment" ADD COLUMN "graceEndsAt" TIMESTAMP(3);
