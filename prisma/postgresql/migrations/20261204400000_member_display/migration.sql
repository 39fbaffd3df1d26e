-- The merchant line ended members see in their customer account (ADR 0027)
ALTER TABLE "Shop" ADD COLUMN "memberEndedMessage" TEXT;
