-- Order history backfills and tier recalculations (ADR 0023).
CREATE TABLE "OrderBackfill" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "shop" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'starting',
    "trigger" TEXT NOT NULL,
    "since" DATETIME NOT NULL,
    "bulkOperationId" TEXT,
    "objectCount" INTEGER NOT NULL DEFAULT 0,
    "linesDone" INTEGER NOT NULL DEFAULT 0,
    "ordersRecorded" INTEGER NOT NULL DEFAULT 0,
    "ordersKnown" INTEGER NOT NULL DEFAULT 0,
    "ordersSkipped" INTEGER NOT NULL DEFAULT 0,
    "refundsRecorded" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" DATETIME
);

CREATE TABLE "Recalculation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "shop" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'previewed',
    "reason" TEXT NOT NULL,
    "members" INTEGER NOT NULL DEFAULT 0,
    "upgrades" INTEGER NOT NULL DEFAULT 0,
    "renewals" INTEGER NOT NULL DEFAULT 0,
    "keeps" INTEGER NOT NULL DEFAULT 0,
    "summary" TEXT NOT NULL DEFAULT '{}',
    "processed" INTEGER NOT NULL DEFAULT 0,
    "appliedUpgrades" INTEGER NOT NULL DEFAULT 0,
    "appliedRenewals" INTEGER NOT NULL DEFAULT 0,
    "appliedKeeps" INTEGER NOT NULL DEFAULT 0,
    "cursor" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "appliedAt" DATETIME,
    "completedAt" DATETIME
);

CREATE INDEX "OrderBackfill_shop_createdAt_idx" ON "OrderBackfill"("shop", "createdAt");

CREATE INDEX "Recalculation_shop_createdAt_idx" ON "Recalculation"("shop", "createdAt");
