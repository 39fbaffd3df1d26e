// Commerce7 club memberships, converged to the member's current local state.
//
// Commerce7 has no "change club" call: an upgrade creates the membership in the
// new club, then cancels the old one ("Switching to another club"). The create
// comes first and is itself idempotent (we look before we create), so a failure
// between the two steps leaves the member with two memberships for a moment,
// never with none, and the next try finishes the cancel.
import { z } from "zod";
import { SyncError } from "../../queue/errors";
import type { Commerce7Client } from "./client.server";

export const membershipSchema = z.looseObject({
  id: z.string(),
  customerId: z.string(),
  clubId: z.string(),
  status: z.string(),
  cancelDate: z.string().nullish(),
  cancellationReason: z.string().nullish(),
});
export type Membership = z.infer<typeof membershipSchema>;

const membershipList = z.looseObject({ clubMemberships: z.array(membershipSchema), total: z.number().optional(), cursor: z.string().nullish() });

const addressSchema = z.looseObject({ id: z.string(), isDefault: z.boolean().optional() });
const addressList = z.looseObject({ customerAddresses: z.array(addressSchema) });

export const SWITCHING_REASON = "Switching to another club";
export const ENDED_REASON = "Other";

export function isActive(m: Membership) {
  return m.status.toLowerCase() === "active" && !m.cancelDate;
}

/** Every membership of the customer, all pages. */
export async function listMemberships(client: Commerce7Client, customerId: string, signal?: AbortSignal): Promise<Membership[]> {
  const out: Membership[] = [];
  let cursor: string | undefined = "start";
  for (let page = 0; cursor && page < 100; page++) {
    const res: z.infer<typeof membershipList> = await client.request("GET", "/club-membership", membershipList, { query: { customerId, cursor }, signal });
    out.push(...res.clubMemberships);
    cursor = res.cursor ?? undefined;
    if (res.clubMemberships.length === 0) break;
  }
  return out;
}

/**
 * How the new membership is delivered. Address ids are Commerce7's; a missing
 * billing id means "the customer's default address in Commerce7".
 */
export type MembershipDelivery = {
  method: "Ship" | "Pickup";
  billToAddressId: string | null;
  shipToAddressId: string | null;
  pickupLocationId: string | null;
};

export const SHIP_TO_DEFAULT: MembershipDelivery = { method: "Ship", billToAddressId: null, shipToAddressId: null, pickupLocationId: null };

async function createMembership(client: Commerce7Client, customerId: string, clubId: string, delivery: MembershipDelivery, signal?: AbortSignal): Promise<Membership> {
  let billTo = delivery.billToAddressId;
  if (!billTo) {
    const { customerAddresses } = await client.request("GET", `/customer/${encodeURIComponent(customerId)}/address`, addressList, { signal });
    billTo = (customerAddresses.find((a) => a.isDefault) ?? customerAddresses[0])?.id ?? null;
  }
  if (!billTo) {
    throw new SyncError(
      "permanent",
      "This customer has no address in Commerce7, and a club membership needs a billing and a shipping address. " +
        "Add an address to the customer in Commerce7, then press Retry.",
      { platform: "commerce7" },
    );
  }
  try {
    return await client.request("POST", "/club-membership", membershipSchema, {
      body: {
        customerId,
        clubId,
        orderDeliveryMethod: delivery.method,
        billToCustomerAddressId: billTo,
        ...(delivery.method === "Ship" ? { shipToCustomerAddressId: delivery.shipToAddressId ?? billTo } : { pickupInventoryLocationId: delivery.pickupLocationId }),
        signupDate: new Date().toISOString(),
      },
      signal,
    });
  } catch (error) {
    // We never collect cards. A club that demands one is the merchant's to
    // settle in Commerce7; say so instead of Commerce7's field message.
    if (error instanceof SyncError && error.kind === "permanent" && /credit ?card/i.test(error.message)) {
      throw new SyncError(
        "permanent",
        "Commerce7 needs a credit card on file for this club membership, and Club Tiers does not collect cards. " +
          "In Commerce7, open the customer, add their credit card, then press Retry here.",
        { platform: "commerce7", httpStatus: error.httpStatus },
      );
    }
    throw error;
  }
}

async function cancel(client: Commerce7Client, membership: Membership, reason: string, signal?: AbortSignal) {
  try {
    await client.request("PUT", `/club-membership/${encodeURIComponent(membership.id)}`, membershipSchema, {
      body: { cancelDate: new Date().toISOString(), cancellationReason: reason },
      signal,
    });
  } catch (error) {
    // Already gone counts as cancelled: the goal state holds.
    if (error instanceof SyncError && error.httpStatus === 404) return;
    throw error;
  }
}

export type ConvergeResult = { membershipId: string | null; created: boolean; cancelled: string[] };

/**
 * Makes Commerce7 hold exactly one active membership in `desiredClubId` (or
 * none when null) among the clubs this app manages (`ourClubIds`). Memberships
 * in other clubs are the merchant's business and left alone.
 */
export async function convergeMembership(
  client: Commerce7Client,
  customerId: string,
  desiredClubId: string | null,
  ourClubIds: string[],
  signal?: AbortSignal,
  delivery: MembershipDelivery = SHIP_TO_DEFAULT,
): Promise<ConvergeResult> {
  const memberships = await listMemberships(client, customerId, signal);
  const ours = new Set([...ourClubIds, ...(desiredClubId ? [desiredClubId] : [])]);
  let keep: Membership | undefined;
  let created = false;
  if (desiredClubId) {
    keep = memberships.find((m) => m.clubId === desiredClubId && isActive(m));
    if (!keep) {
      keep = await createMembership(client, customerId, desiredClubId, delivery, signal);
      created = true;
    }
  }
  const cancelled: string[] = [];
  for (const m of memberships) {
    if (m.id === keep?.id || !isActive(m) || !ours.has(m.clubId)) continue;
    await cancel(client, m, desiredClubId ? SWITCHING_REASON : ENDED_REASON, signal);
    cancelled.push(m.id);
  }
  return { membershipId: keep?.id ?? null, created, cancelled };
}
