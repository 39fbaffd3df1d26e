// Queue processors for Commerce7 shops. Like Shopify's, they converge the
// platform to the member's CURRENT local state, read at run time: add, upgrade
// and cancel share one convergence, so a late retry of an old item cannot undo
// a newer change, and running any of them twice changes nothing remotely.
// A member holds a club membership on the shop's CURRENT platform only (read
// here too): once the shop has switched away from Commerce7, converging
// cancels ours (leave_platform, or any older item that runs after the switch).
import type { Db } from "../../db.server";
import { asPlatform } from "../../domain/customers.server";
import { getCommerce7Credentials } from "../../domain/shops.server";
import { SyncError } from "../../queue/errors";
import { Commerce7Client, type Commerce7Options } from "./client.server";
import { commerce7Gate, DEFAULT_COMMERCE7_REQUESTS_PER_MINUTE } from "./pace.server";
import { ensureAddress, listAddresses } from "./addresses.server";
import { findOrCreateCustomer } from "./customers.server";
import { convergeMembership, type MembershipDelivery } from "./memberships.server";

export type Commerce7ProcessorInput = {
  db: Db;
  shop: { domain: string };
  item: { id: string; customerId: string };
  signal?: AbortSignal;
  clientOptions?: Commerce7Options;
  /** Requests already paid for: the worker took the item's first token before starting it. */
  prepaidRequests?: number;
};

/** The shop's client, paced per request at the shop's Commerce7 pace (pace.server.ts). */
export async function commerce7ClientFor(db: Db, shop: string, opts?: Commerce7Options, prepaidRequests = 0): Promise<Commerce7Client> {
  const creds = await getCommerce7Credentials(db, shop);
  if (!creds) {
    throw new SyncError("auth", "Commerce7 is not connected: enter the tenant, app id and app secret in Settings.", { platform: "commerce7" });
  }
  return new Commerce7Client(creds, { ...opts, gate: opts?.gate ?? (await shopCommerce7Gate(db, shop, prepaidRequests)) });
}

/** The request gate of the shop's own pace (Shop.c7RequestsPerMinute). */
export async function shopCommerce7Gate(db: Db, shop: string, prepaidRequests = 0) {
  const row = await db.shop.findUnique({ where: { domain: shop }, select: { c7RequestsPerMinute: true } });
  return commerce7Gate(db, shop, row?.c7RequestsPerMinute ?? DEFAULT_COMMERCE7_REQUESTS_PER_MINUTE, prepaidRequests);
}

export async function convergeCommerce7Member(input: Commerce7ProcessorInput) {
  const { db, shop, item, signal } = input;
  const customer = await db.customer.findFirst({ where: { id: item.customerId, shop: shop.domain } });
  if (!customer) throw new SyncError("permanent", `Customer ${item.customerId} no longer exists in this shop`);
  const client = await commerce7ClientFor(db, shop.domain, input.clientOptions, input.prepaidRequests);

  // Only the Commerce7 id: a Shopify GID (kept from orders, or from before a
  // platform switch) is "Customer not found" to Commerce7.
  let commerce7CustomerId = customer.commerce7CustomerId;
  if (!commerce7CustomerId) {
    commerce7CustomerId = (
      await findOrCreateCustomer(client, { email: customer.email, firstName: customer.firstName, lastName: customer.lastName }, signal)
    ).platformId;
  }

  const [enrolled, tiers, addresses, platformNow] = await Promise.all([
    db.enrollment.findFirst({ where: { shop: shop.domain, customerId: customer.id, status: "active" }, include: { tier: true } }),
    db.tier.findMany({ where: { shop: shop.domain }, select: { c7ClubId: true } }),
    db.customerAddress.findMany({ where: { shop: shop.domain, customerId: customer.id } }),
    db.shop.findUnique({ where: { domain: shop.domain }, select: { crm: true } }),
  ]);
  const active = asPlatform(platformNow?.crm) === "commerce7" ? enrolled : null;
  if (active && !active.tier.c7ClubId) {
    throw new SyncError("permanent", `The tier "${active.tier.name}" has no Commerce7 club: choose its club on the tier's page, then press Retry.`, {
      platform: "commerce7",
    });
  }
  const delivery = active ? await deliveryFor(db, client, shop.domain, commerce7CustomerId, active, addresses, signal) : undefined;
  const ourClubs = tiers.map((t) => t.c7ClubId).filter((id): id is string => Boolean(id));
  const outcome = await convergeMembership(client, commerce7CustomerId, active?.tier.c7ClubId ?? null, ourClubs, signal, delivery);

  // The membership id belongs to the enrollment that is active now, which may
  // be newer than the one this item was queued for. Writing the remote's
  // current truth is idempotent, so it needs no fencing.
  if (active && outcome.membershipId && active.platformMembershipId !== outcome.membershipId) {
    await db.enrollment.updateMany({ where: { id: active.id, shop: shop.domain }, data: { platformMembershipId: outcome.membershipId } });
  }
  return {
    result: { customerId: commerce7CustomerId, membershipId: outcome.membershipId, created: outcome.created, cancelled: outcome.cancelled },
    customer: customer.commerce7CustomerId ? undefined : { commerce7CustomerId },
  };
}

type AddressRow = Awaited<ReturnType<Db["customerAddress"]["findMany"]>>[number];

/**
 * The membership's delivery, with the addresses the wizard took created in
 * Commerce7 first (once: each row keeps its Commerce7 id, and ensureAddress
 * finds an address a lost response already created).
 */
async function deliveryFor(
  db: Db,
  client: Commerce7Client,
  shop: string,
  platformCustomerId: string,
  enrollment: { deliveryMethod: string; pickupLocationId: string | null },
  rows: AddressRow[],
  signal?: AbortSignal,
): Promise<MembershipDelivery> {
  const ids: Record<string, string | null> = {};
  const missing = rows.filter((r) => !r.platformAddressId);
  const known = missing.length ? await listAddresses(client, platformCustomerId, signal) : [];
  for (const row of rows) {
    let id = row.platformAddressId;
    if (!id) {
      const { address, address2, city, stateCode, zipCode, countryCode } = row;
      id = await ensureAddress(client, platformCustomerId, { address, address2, city, stateCode, zipCode, countryCode }, known, signal);
      known.push({ id, address, city, zipCode });
      await db.customerAddress.updateMany({ where: { id: row.id, shop }, data: { platformAddressId: id } });
    }
    ids[row.kind] = id;
  }
  const billTo = ids.billing ?? null;
  return {
    method: enrollment.deliveryMethod === "Pickup" ? "Pickup" : "Ship",
    billToAddressId: billTo,
    shipToAddressId: ids.shipping ?? billTo,
    pickupLocationId: enrollment.pickupLocationId,
  };
}
