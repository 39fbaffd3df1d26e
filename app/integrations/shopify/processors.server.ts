// Queue processors for Shopify shops. Each converges Shopify to the member's
// CURRENT local state (read here, at run time), never to the state the queue
// item was created with: add, upgrade and cancel all run the same convergence,
// so a late retry of an old item cannot undo a newer change. A member holds
// benefits on the shop's CURRENT platform only (read here too): once the shop
// has switched away from Shopify, converging removes them (leave_platform, or
// any older item that runs after the switch).
import type { Db } from "../../db.server";
import { asPlatform } from "../../domain/customers.server";
import { memberDisplayValue } from "../../domain/member-display.server";
import { SyncError } from "../../queue/errors";
import { ensureDiscount, type TiersConfig } from "./discounts.server";
import { findOrCreateCustomer } from "./customers.server";
import { syncMember } from "./members.server";
import { offlineAdmin } from "./session.server";
import { readShopContext } from "./shop.server";
import { InvalidShopContext, storeShopContext } from "../../domain/shops.server";
import type { PlatformCustomerIds } from "../../queue/registry";
import type { ShopifyAdmin } from "./admin.server";

export type ShopifyProcessorInput = {
  db: Db;
  shop: { domain: string; timezone: string };
  item: { id: string; customerId: string; stageId: string; actionType: string };
  signal?: AbortSignal;
  /** Tests and the sandbox may hand in a client; otherwise the shop's offline session is used. */
  admin?: ShopifyAdmin;
};

export type ProcessorOutput = {
  result?: Record<string, unknown>;
  enrollment?: { platformMembershipId?: string | null };
  customer?: PlatformCustomerIds;
};

export async function convergeShopifyMember(input: ShopifyProcessorInput): Promise<ProcessorOutput> {
  const { db, shop, item, signal } = input;
  const customer = await db.customer.findFirst({ where: { id: item.customerId, shop: shop.domain } });
  if (!customer) throw new SyncError("permanent", `Customer ${item.customerId} no longer exists in this shop`);
  const admin = input.admin ?? (await offlineAdmin(db, shop.domain));

  // Only the Shopify id: a Commerce7 id (kept from before a platform switch) means nothing here.
  let shopifyCustomerId = customer.shopifyCustomerId;
  if (!shopifyCustomerId) {
    shopifyCustomerId = (
      await findOrCreateCustomer(admin, { email: customer.email, firstName: customer.firstName, lastName: customer.lastName }, { signal })
    ).platformId;
  }

  const [value, tiers, platformNow] = await Promise.all([
    // Benefits (the discount function) and what the member sees in their
    // account (the extension), from the current state: app/domain/member-display.ts.
    memberDisplayValue(db, shop.domain, customer.id, { timeZone: shop.timezone }),
    db.tier.findMany({ where: { shop: shop.domain }, select: { handle: true } }),
    db.shop.findUnique({ where: { domain: shop.domain }, select: { crm: true } }),
  ]);
  const desired = asPlatform(platformNow?.crm) === "shopify" ? value : null;
  const outcome = await syncMember(admin, shopifyCustomerId, desired, tiers.map((t) => t.handle), { signal });
  return {
    result: { customerGid: shopifyCustomerId, tier: desired?.tier ?? null, writes: outcome.writes },
    customer: customer.shopifyCustomerId ? undefined : { shopifyCustomerId },
  };
}

/** Makes sure the shop's one member-pricing discount exists and carries every active tier's percentage. */
export async function ensureShopifyDiscount(input: Omit<ShopifyProcessorInput, "item">): Promise<ProcessorOutput> {
  const { db, shop, signal } = input;
  const tiers = await db.tier.findMany({ where: { shop: shop.domain }, orderBy: { rank: "asc" } });
  const config: TiersConfig = { tiers: {} };
  for (const t of tiers) {
    if (t.active && t.discountPercent > 0) config.tiers[t.handle] = { percentage: t.discountPercent, title: `${t.name} member ${t.discountPercent}%` };
  }
  const admin = input.admin ?? (await offlineAdmin(db, shop.domain));
  const storedId = tiers.find((t) => t.shopifyDiscountId)?.shopifyDiscountId ?? null;
  const outcome = await ensureDiscount(admin, storedId, config, { signal });
  // Every tier points at the one discount. Idempotent: a re-run writes the same id.
  await db.tier.updateMany({
    where: { shop: shop.domain, OR: [{ shopifyDiscountId: null }, { NOT: { shopifyDiscountId: outcome.discountId } }] },
    data: { shopifyDiscountId: outcome.discountId },
  });
  return { result: { discountId: outcome.discountId, created: outcome.created, configUpdated: outcome.configUpdated } };
}

/**
 * The `refresh_shop_context` item (queued at install): the shop's zone and
 * currency from Shopify, stored unless a newer shop/update already was. Every
 * shop is a Shopify shop, whichever platform holds its members.
 */
export async function refreshShopifyShopContext(input: Omit<ShopifyProcessorInput, "item">): Promise<ProcessorOutput> {
  const { db, shop, signal } = input;
  const at = new Date();
  const admin = input.admin ?? (await offlineAdmin(db, shop.domain));
  const context = await readShopContext(admin, { signal });
  try {
    const { stored } = await storeShopContext(db, shop.domain, { ...context, at });
    return { result: { ...context, stored } };
  } catch (error) {
    if (error instanceof InvalidShopContext) throw new SyncError("permanent", error.message);
    throw error;
  }
}
