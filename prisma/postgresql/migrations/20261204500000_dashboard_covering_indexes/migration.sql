-- The home page charts count memberships and sync attempts per month and hour.
-- These indexes hold every column those counts read, so the counts are read
-- from the index alone (no table row per membership): the figures stay under
-- 100 ms at 100,000 members (bench/dashboard.ts). Each replaces a narrower
-- index that is its prefix, so no query loses its index.
DROP INDEX "Enrollment_shop_status_expiresAt_idx";

CREATE INDEX "Enrollment_shop_status_expiresAt_tierId_idx" ON "Enrollment"("shop", "status", "expiresAt", "tierId");

DROP INDEX "Enrollment_shop_endedAt_idx";

CREATE INDEX "Enrollment_shop_endedAt_status_expiresAt_tierId_idx" ON "Enrollment"("shop", "endedAt", "status", "expiresAt", "tierId");

DROP INDEX "SyncAttempt_shop_startedAt_idx";

CREATE INDEX "SyncAttempt_shop_startedAt_outcome_idx" ON "SyncAttempt"("shop", "startedAt", "outcome");
