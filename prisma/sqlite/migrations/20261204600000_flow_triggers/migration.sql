-- Shopify Flow triggers (ADR 0028): membership events with their frozen
-- payload, sent once each through the queue, and the days before expiry at
-- which the expiring-soon trigger fires.
ALTER TABLE "Shop" ADD COLUMN "flowExpiringSoonDays" INTEGER NOT NULL DEFAULT 14;

CREATE TABLE "MembershipEvent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "shop" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "enrollmentId" TEXT,
    "kind" TEXT NOT NULL,
    "handle" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "occurredAt" DATETIME NOT NULL,
    "sendStartedAt" DATETIME,
    "sentAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE UNIQUE INDEX "MembershipEvent_shop_idempotencyKey_key" ON "MembershipEvent"("shop", "idempotencyKey");

CREATE INDEX "MembershipEvent_shop_customerId_idx" ON "MembershipEvent"("shop", "customerId");
