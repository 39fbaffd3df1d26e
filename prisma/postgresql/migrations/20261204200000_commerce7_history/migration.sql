-- Commerce7 order history reads (ADR 0025): a year of orders into the spend ledger.
CREATE TABLE "Commerce7History" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "trigger" TEXT NOT NULL,
    "since" TIMESTAMP(3) NOT NULL,
    "cursor" TEXT NOT NULL DEFAULT 'start',
    "pagesRead" INTEGER NOT NULL DEFAULT 0,
    "ordersTotal" INTEGER,
    "ordersRead" INTEGER NOT NULL DEFAULT 0,
    "ordersRecorded" INTEGER NOT NULL DEFAULT 0,
    "ordersKnown" INTEGER NOT NULL DEFAULT 0,
    "ordersSkipped" INTEGER NOT NULL DEFAULT 0,
    "refundsRecorded" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "Commerce7History_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "Commerce7History_shop_createdAt_idx" ON "Commerce7History"("shop", "createdAt");
