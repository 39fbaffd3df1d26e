-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "isOnline" BOOLEAN NOT NULL DEFAULT false,
    "scope" TEXT,
    "expires" TIMESTAMP(3),
    "accessToken" TEXT NOT NULL,
    "userId" BIGINT,
    "firstName" TEXT,
    "lastName" TEXT,
    "email" TEXT,
    "accountOwner" BOOLEAN NOT NULL DEFAULT false,
    "locale" TEXT,
    "collaborator" BOOLEAN DEFAULT false,
    "emailVerified" BOOLEAN DEFAULT false,
    "refreshToken" TEXT,
    "refreshTokenExpires" TIMESTAMP(3),

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Shop" (
    "id" TEXT NOT NULL,
    "domain" TEXT NOT NULL,
    "crm" TEXT NOT NULL DEFAULT 'shopify',
    "c7Tenant" TEXT,
    "c7CredentialsEnc" TEXT,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "currency" TEXT NOT NULL DEFAULT 'USD',
    "alertEmail" TEXT,
    "installedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "uninstalledAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Shop_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Tier" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "handle" TEXT NOT NULL,
    "rank" INTEGER NOT NULL,
    "annualThresholdCents" INTEGER NOT NULL,
    "initialPurchaseCents" INTEGER NOT NULL,
    "durationMonths" INTEGER NOT NULL,
    "upgradable" BOOLEAN NOT NULL DEFAULT true,
    "upgradeOnly" BOOLEAN NOT NULL DEFAULT false,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "discountPercent" INTEGER NOT NULL DEFAULT 0,
    "shopifyDiscountId" TEXT,
    "c7ClubId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Tier_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Customer" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "platformId" TEXT,
    "email" TEXT NOT NULL,
    "firstName" TEXT NOT NULL DEFAULT '',
    "lastName" TEXT NOT NULL DEFAULT '',
    "searchText" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Customer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Enrollment" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "tierId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'active',
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "endedAt" TIMESTAMP(3),
    "endReason" TEXT,
    "platformMembershipId" TEXT,
    "syncState" TEXT NOT NULL DEFAULT 'pending',
    "idempotencyKey" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Enrollment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Purchase" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "amountCents" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "occurredAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Purchase_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CrmSyncQueue" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "enrollmentId" TEXT,
    "customerId" TEXT NOT NULL,
    "actionType" TEXT NOT NULL,
    "stageId" TEXT NOT NULL,
    "oldStageId" TEXT,
    "customerCrmId" TEXT NOT NULL DEFAULT '',
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "maxAttempts" INTEGER NOT NULL DEFAULT 5,
    "throttleDeferrals" INTEGER NOT NULL DEFAULT 0,
    "nextRunAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lockedBy" TEXT,
    "leaseUntil" TIMESTAMP(3),
    "fence" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "result" TEXT,
    "idempotencyKey" TEXT NOT NULL,
    "discardedBy" TEXT,
    "discardReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "CrmSyncQueue_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SyncAttempt" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "queueId" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "durationMs" INTEGER NOT NULL,
    "outcome" TEXT NOT NULL,
    "httpStatus" INTEGER,
    "error" TEXT,
    "workerId" TEXT,

    CONSTRAINT "SyncAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookEvent" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "dedupeKey" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WebhookEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Session_shop_idx" ON "Session"("shop");

-- CreateIndex
CREATE UNIQUE INDEX "Shop_domain_key" ON "Shop"("domain");

-- CreateIndex
CREATE INDEX "Tier_shop_active_rank_idx" ON "Tier"("shop", "active", "rank");

-- CreateIndex
CREATE UNIQUE INDEX "Tier_shop_handle_key" ON "Tier"("shop", "handle");

-- CreateIndex
CREATE UNIQUE INDEX "Customer_shop_platformId_key" ON "Customer"("shop", "platformId");

-- CreateIndex
CREATE UNIQUE INDEX "Customer_shop_email_key" ON "Customer"("shop", "email");

-- CreateIndex
CREATE INDEX "Enrollment_shop_status_expiresAt_idx" ON "Enrollment"("shop", "status", "expiresAt");

-- CreateIndex
CREATE INDEX "Enrollment_shop_tierId_status_idx" ON "Enrollment"("shop", "tierId", "status");

-- CreateIndex
CREATE INDEX "Enrollment_shop_syncState_idx" ON "Enrollment"("shop", "syncState");

-- CreateIndex
CREATE INDEX "Enrollment_shop_createdAt_idx" ON "Enrollment"("shop", "createdAt");

-- CreateIndex
CREATE INDEX "Enrollment_customerId_status_idx" ON "Enrollment"("customerId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "Enrollment_shop_idempotencyKey_key" ON "Enrollment"("shop", "idempotencyKey");

-- CreateIndex
CREATE INDEX "Purchase_shop_customerId_occurredAt_idx" ON "Purchase"("shop", "customerId", "occurredAt");

-- CreateIndex
CREATE UNIQUE INDEX "Purchase_shop_orderId_key" ON "Purchase"("shop", "orderId");

-- CreateIndex
CREATE INDEX "CrmSyncQueue_status_nextRunAt_idx" ON "CrmSyncQueue"("status", "nextRunAt");

-- CreateIndex
CREATE INDEX "CrmSyncQueue_status_leaseUntil_idx" ON "CrmSyncQueue"("status", "leaseUntil");

-- CreateIndex
CREATE INDEX "CrmSyncQueue_shop_status_createdAt_idx" ON "CrmSyncQueue"("shop", "status", "createdAt");

-- CreateIndex
CREATE INDEX "CrmSyncQueue_shop_customerId_createdAt_idx" ON "CrmSyncQueue"("shop", "customerId", "createdAt");

-- CreateIndex
CREATE INDEX "CrmSyncQueue_enrollmentId_idx" ON "CrmSyncQueue"("enrollmentId");

-- CreateIndex
CREATE UNIQUE INDEX "CrmSyncQueue_shop_idempotencyKey_key" ON "CrmSyncQueue"("shop", "idempotencyKey");

-- CreateIndex
CREATE INDEX "SyncAttempt_queueId_startedAt_idx" ON "SyncAttempt"("queueId", "startedAt");

-- CreateIndex
CREATE INDEX "SyncAttempt_shop_startedAt_idx" ON "SyncAttempt"("shop", "startedAt");

-- CreateIndex
CREATE UNIQUE INDEX "WebhookEvent_shop_topic_dedupeKey_key" ON "WebhookEvent"("shop", "topic", "dedupeKey");

-- AddForeignKey
ALTER TABLE "Enrollment" ADD CONSTRAINT "Enrollment_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Enrollment" ADD CONSTRAINT "Enrollment_tierId_fkey" FOREIGN KEY ("tierId") REFERENCES "Tier"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Purchase" ADD CONSTRAINT "Purchase_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SyncAttempt" ADD CONSTRAINT "SyncAttempt_queueId_fkey" FOREIGN KEY ("queueId") REFERENCES "CrmSyncQueue"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Hand-written: Prisma's schema language cannot express partial unique indexes.
-- The database itself allows at most one active enrollment per customer.
CREATE UNIQUE INDEX "Enrollment_one_active_per_customer" ON "Enrollment"("customerId") WHERE "status" = 'active';

-- A rank is unique among a shop's active tiers (inactive tiers keep their old rank).
CREATE UNIQUE INDEX "Tier_shop_rank_active_key" ON "Tier"("shop", "rank") WHERE "active" = true;
