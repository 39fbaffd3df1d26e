// Customer search through the shop's own platform, for the enrollment wizard.
import type { Db } from "../db.server";
import { commerce7ClientFor } from "./commerce7/processors.server";
import { searchCustomers as searchCommerce7 } from "./commerce7/customers.server";
import { offlineAdmin } from "./shopify/session.server";
import { searchCustomers as searchShopify, type PlatformCustomer } from "./shopify/customers.server";

export type { PlatformCustomer };

export async function searchPlatformCustomers(db: Db, shop: string, query: string): Promise<PlatformCustomer[]> {
  const row = await db.shop.findUnique({ where: { domain: shop }, select: { crm: true } });
  if (row?.crm === "commerce7") return searchCommerce7(await commerce7ClientFor(db, shop), query);
  return searchShopify(await offlineAdmin(db, shop), query);
}
