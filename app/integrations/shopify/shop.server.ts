// The shop's own clock and money as Shopify knows them: its IANA time zone and
// its currency (ISO 4217). Read at install, and refreshed by shop/update.
import type { ShopifyAdmin } from "./admin.server";
import { SHOP_QUERY } from "./operations";
import { SyncError } from "../../queue/errors";

export type ShopContext = { timezone: string; currency: string };

export async function readShopContext(admin: ShopifyAdmin, opts: { signal?: AbortSignal } = {}): Promise<ShopContext> {
  const res = await admin.request(SHOP_QUERY, {}, opts);
  const shop = res.shop;
  if (!shop?.ianaTimezone || !shop.currencyCode) throw new SyncError("retryable", "Shopify answered the shop query without its time zone or currency");
  return { timezone: shop.ianaTimezone, currency: shop.currencyCode };
}
