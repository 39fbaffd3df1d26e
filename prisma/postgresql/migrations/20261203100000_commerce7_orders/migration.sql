-- Commerce7 orders as spend (ADR 0021): the order webhook's key (hash to find
-- the shop, encrypted copy to show it), its optional Basic auth, how far the
-- catch-up read the failed deliveries, and the shop's Commerce7 pace.
ALTER TABLE "Shop" ADD COLUMN "c7WebhookKeyHash" TEXT;
ALTER TABLE "Shop" ADD COLUMN "c7WebhookKeyEnc" TEXT;
ALTER TABLE "Shop" ADD COLUMN "c7WebhookAuthEnc" TEXT;
ALTER TABLE "Shop" ADD COLUMN "c7WebhookLogCheckedAt" TIMESTAMP(3);
ALTER TABLE "Shop" ADD COLUMN "c7RequestsPerMinute" INTEGER NOT NULL DEFAULT 100;
CREATE UNIQUE INDEX "Shop_c7WebhookKeyHash_key" ON "Shop"("c7WebhookKeyHash");
