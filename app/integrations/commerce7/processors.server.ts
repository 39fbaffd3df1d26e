// Queue processors for Commerce7 shops. Like Shopify's, they converge the
// platform to the member's CURRENT local state, read at run time: add, upgrade
// and cancel share one convergence, so a late retry of an old item cannot undo
// a newer change, and running any of them twice changes nothing remotely.
import type { Db } from "../../db.server";
import { getCommerce7Credentials } from "../../domain/shops.server";
import { SyncError } from "../../queue/errors";
import { Commerce7Client, type Commerce7Options } from "./client.server";
import { findOrCreateCustomer } from "./customers.server";
import { convergeMembership } from "./memberships.server";

export type Commerce7ProcessorInput = {
  db: Db;
  shop: { domain: string };
  item: { id: string; customerId: string };
  signal?: AbortSignal;
  clientOptions?: Commerce7Options;
};

export async function commerce7ClientFor(db: Db, shop: string, opts?: Commerce7Options): Promise<Commerce7Client> {
  const creds = await getCommerce7Credentials(db, shop);
  if (!creds) {
    throw new SyncError("auth", "Commerce7 is not connected: enter the tenant, app id and app secret in Settings.", { platform: "commerce7" });
  }
  return new Commerce7Client(creds, opts);
}

export async function convergeCommerce7Member(input: Commerce7ProcessorInput) {
  const { db, shop, item, signal } = input;
  const customer = await db.customer.findFirst({ where: { id: item.customerId, shop: shop.domain } });
  if (!customer) throw new SyncError("permanent", `Customer ${item.customerId} no longer exists in this shop`);
  const client = await commerce7ClientFor(db, shop.domain, input.clientOptions);

  let platformId = customer.platformId;
  if (!platformId) {
    platformId = (
      await findOrCreateCustomer(client, { email: customer.email, firstName: customer.firstName, lastName: customer.lastName }, signal)
    ).platformId;
  }

  const [active, tiers] = await Promise.all([
    db.enrollment.findFirst({ where: { shop: shop.domain, customerId: customer.id, status: "active" }, include: { tier: true } }),
    db.tier.findMany({ where: { shop: shop.domain }, select: { c7ClubId: true } }),
  ]);
  if (active && !active.tier.c7ClubId) {
    throw new SyncError("permanent", `The tier "${active.tier.name}" is not mapped to a Commerce7 club: choose its club in Settings, then retry.`, {
      platform: "commerce7",
    });
  }
  const ourClubs = tiers.map((t) => t.c7ClubId).filter((id): id is string => Boolean(id));
  const outcome = await convergeMembership(client, platformId, active?.tier.c7ClubId ?? null, ourClubs, signal);

  // The membership id belongs to the enrollment that is active now, which may
  // be newer than the one this item was queued for. Writing the remote's
  // current truth is idempotent, so it needs no fencing.
  if (active && outcome.membershipId && active.platformMembershipId !== outcome.membershipId) {
    await db.enrollment.updateMany({ where: { id: active.id, shop: shop.domain }, data: { platformMembershipId: outcome.membershipId } });
  }
  return {
    result: { customerId: platformId, membershipId: outcome.membershipId, created: outcome.created, cancelled: outcome.cancelled },
    customer: customer.platformId ? undefined : { platformId },
  };
}
