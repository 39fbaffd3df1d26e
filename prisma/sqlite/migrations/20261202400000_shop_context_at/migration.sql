-- When the shop's zone and currency were last read from Shopify (install or shop/update).
ALTER TABLE "Shop" ADD COLUMN "contextAt" DATETIME;
