-- Renewals by order, counted per month on the home page, and indexes for
-- the home page charts, which count memberships started and ended per month.
CREATE TABLE "Renewal" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "enrollmentId" TEXT NOT NULL,
    "renewedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Renewal_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "Renewal_shop_renewedAt_idx" ON "Renewal"("shop", "renewedAt");

CREATE INDEX "Renewal_enrollmentId_idx" ON "Renewal"("enrollmentId");

CREATE INDEX "Enrollment_shop_startedAt_tierId_idx" ON "Enrollment"("shop", "startedAt", "tierId");

CREATE INDEX "Enrollment_shop_endedAt_idx" ON "Enrollment"("shop", "endedAt");

ALTER TABLE "Renewal" ADD CONSTRAINT "Renewal_enrollmentId_fkey" FOREIGN KEY ("enrollmentId") REFERENCES "Enrollment"("id") ON DELETE CASCADE ON UPDATE CASCADE;
