// Commerce7 customer addresses and pickup locations: what a club membership
// needs besides the customer and the club.
import { z } from "zod";
import type { Commerce7Client } from "./client.server";

const addressSchema = z.looseObject({
  id: z.string(),
  address: z.string().nullish(),
  city: z.string().nullish(),
  zipCode: z.string().nullish(),
  isDefault: z.boolean().optional(),
});
const addressList = z.looseObject({ customerAddresses: z.array(addressSchema), cursor: z.string().nullish() });
export type RemoteAddress = z.infer<typeof addressSchema>;

export type LocalAddress = { address: string; address2: string; city: string; stateCode: string; zipCode: string; countryCode: string };

const locationSchema = z.looseObject({ id: z.string(), title: z.string().nullish(), isPickupLocation: z.boolean().optional() });
const locationList = z.looseObject({ inventoryLocations: z.array(locationSchema), cursor: z.string().nullish() });
export type PickupLocation = { id: string; title: string };

async function pages<T>(read: (cursor: string) => Promise<{ items: T[]; cursor: string | null | undefined }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null | undefined = "start";
  for (let page = 0; cursor && page < 100; page++) {
    const res: { items: T[]; cursor: string | null | undefined } = await read(cursor);
    out.push(...res.items);
    if (res.items.length === 0) break;
    cursor = res.cursor;
  }
  return out;
}

export function listAddresses(client: Commerce7Client, customerId: string, signal?: AbortSignal): Promise<RemoteAddress[]> {
  return pages(async (cursor) => {
    const res = await client.request("GET", `/customer/${encodeURIComponent(customerId)}/address`, addressList, { query: { cursor }, signal });
    return { items: res.customerAddresses, cursor: res.cursor };
  });
}

const same = (a: string | null | undefined, b: string) => (a ?? "").trim().toLowerCase() === b.trim().toLowerCase();

/**
 * The Commerce7 id of this address on the customer: an existing one with the
 * same street, city and ZIP, else a new one. Looking first makes a retry after
 * a lost response find what the first try created instead of adding a twin.
 */
export async function ensureAddress(client: Commerce7Client, customerId: string, address: LocalAddress, known?: RemoteAddress[], signal?: AbortSignal): Promise<string> {
  const existing = (known ?? (await listAddresses(client, customerId, signal))).find(
    (a) => same(a.address, address.address) && same(a.city, address.city) && same(a.zipCode, address.zipCode),
  );
  if (existing) return existing.id;
  const created = await client.request("POST", `/customer/${encodeURIComponent(customerId)}/address`, addressSchema, { body: address, signal });
  return created.id;
}

/** Locations members can pick up at (Commerce7's inventory locations marked for pickup). */
export async function listPickupLocations(client: Commerce7Client, signal?: AbortSignal): Promise<PickupLocation[]> {
  const all = await pages(async (cursor) => {
    const res = await client.request("GET", "/inventory-location", locationList, { query: { cursor }, signal });
    return { items: res.inventoryLocations, cursor: res.cursor };
  });
  return all.filter((l) => l.isPickupLocation !== false).map((l) => ({ id: l.id, title: l.title ?? l.id }));
}
