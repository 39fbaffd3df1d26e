// What the enrollment wizard asks of the shop's own platform: customer search,
// and on Commerce7 whether a customer has an address and where members can pick up.
import type { Db } from "../db.server";
import { SyncError } from "../queue/errors";
import { listAddresses, listPickupLocations, type PickupLocation } from "./commerce7/addresses.server";
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

/**
 * Whether a Commerce7 customer already has an address there (a club
 * membership needs one). Unknown (Commerce7 unreachable) counts as no, so the
 * wizard asks: an address entered twice is matched, not duplicated.
 */
export async function commerce7CustomerHasAddress(db: Db, shop: string, platformId: string): Promise<boolean> {
  try {
    return (await listAddresses(await commerce7ClientFor(db, shop), platformId)).length > 0;
  } catch (error) {
    if (error instanceof SyncError) return false;
    throw error;
  }
}

/** The shop's Commerce7 pickup locations, or null when Commerce7 cannot be read now. */
export async function commerce7PickupLocations(db: Db, shop: string): Promise<PickupLocation[] | null> {
  try {
    return await listPickupLocations(await commerce7ClientFor(db, shop));
  } catch (error) {
    if (error instanceof SyncError) return null;
    throw error;
  }
}
