-- CreateTable
CREATE TABLE "Refund" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "refundId" TEXT NOT NULL,
    "amountCents" INTEGER NOT NULL,
    "occurredAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Refund_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Refund_shop_orderId_idx" ON "Refund"("shop", "orderId");

-- CreateIndex
CREATE UNIQUE INDEX "Refund_shop_refundId_key" ON "Refund"("shop", "refundId");
