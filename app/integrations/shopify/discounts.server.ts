// The member benefit on Shopify: ONE automatic app discount, backed by the
// discount function (extensions/club-discount), for all tiers. Each tier's
// percentage lives in that discount's `$app:tiers` metafield, so adding or
// changing a tier never needs a second discount.
//
// Lookup order: the id we stored → the discount carrying our stable key →
// create it. The key is the `club-tiers` tag, confirmed by the `$app:tiers`
// metafield (a namespace only this app can write), never the title, which a
// merchant may rename. Creating is the only non-idempotent step; the lookup
// before it makes a retry find what an earlier try created whose reply was
// lost. (The search index lags behind writes by seconds; the queue's first
// retry comes 30 s later.)
import { SyncError } from "../../queue/errors";
import { assertNoUserErrors, payloadOf, type ShopifyAdmin } from "./admin.server";
import type { AdminData } from "./admin-operations";
import {
  APP_NAMESPACE,
  DISCOUNT_CREATE_MUTATION,
  DISCOUNT_FUNCTION_HANDLE,
  DISCOUNT_NODES_QUERY,
  DISCOUNT_NODE_QUERY,
  DISCOUNT_TAG,
  DISCOUNT_TITLE,
  METAFIELDS_SET_MUTATION,
  TIERS_CONFIG_KEY,
} from "./operations";

/** What the discount function reads from `$app:tiers`. */
export type TiersConfig = { tiers: Record<string, { percentage: number; title: string }> };

/** The discount as both lookups select it (by id, and each node of the tag search). */
type DiscountNode = NonNullable<AdminData<typeof DISCOUNT_NODE_QUERY>["discountNode"]>;

export function tiersConfigJson(config: TiersConfig): string {
  const tiers = Object.fromEntries(
    Object.keys(config.tiers)
      .sort()
      .map((handle) => [handle, { percentage: config.tiers[handle]!.percentage, title: config.tiers[handle]!.title }]),
  );
  return JSON.stringify({ tiers });
}

async function findDiscount(admin: ShopifyAdmin, storedId: string | null, signal?: AbortSignal): Promise<DiscountNode | null> {
  if (storedId) {
    const byId = await admin.request(DISCOUNT_NODE_QUERY, { id: storedId }, { signal });
    if (byId.discountNode) return byId.discountNode;
  }
  const byKey = await admin.request(DISCOUNT_NODES_QUERY, { query: `tag:${DISCOUNT_TAG}` }, { signal });
  const ours = byKey.discountNodes.nodes.filter((n) => n.discount.__typename === "DiscountAutomaticApp");
  return ours.find((n) => n.metafield !== null) ?? ours[0] ?? null;
}

/** Makes sure the discount exists and carries `config`; returns its DiscountNode id. */
export async function ensureDiscount(
  admin: ShopifyAdmin,
  storedId: string | null,
  config: TiersConfig,
  opts: { signal?: AbortSignal; now?: Date } = {},
): Promise<{ discountId: string; created: boolean; configUpdated: boolean }> {
  const value = tiersConfigJson(config);
  const existing = await findDiscount(admin, storedId, opts.signal);
  if (!existing) {
    const res = await admin.request(
      DISCOUNT_CREATE_MUTATION,
      {
        discount: {
          title: DISCOUNT_TITLE,
          functionHandle: DISCOUNT_FUNCTION_HANDLE,
          discountClasses: ["PRODUCT"],
          startsAt: (opts.now ?? new Date()).toISOString(),
          combinesWith: { orderDiscounts: true, productDiscounts: false, shippingDiscounts: true },
          tags: [DISCOUNT_TAG],
          metafields: [{ namespace: APP_NAMESPACE, key: TIERS_CONFIG_KEY, type: "json", value }],
        },
      },
      { signal: opts.signal },
    );
    const payload = payloadOf("discountAutomaticAppCreate", res.discountAutomaticAppCreate);
    assertNoUserErrors("discountAutomaticAppCreate", payload.userErrors);
    const created = payload.automaticAppDiscount;
    if (!created) throw new SyncError("retryable", "Shopify discountAutomaticAppCreate returned no discount", { platform: "shopify" });
    return { discountId: created.discountId, created: true, configUpdated: true };
  }
  if (existing.metafield?.value === value) return { discountId: existing.id, created: false, configUpdated: false };
  const res = await admin.request(
    METAFIELDS_SET_MUTATION,
    {
      metafields: [
        {
          ownerId: existing.id,
          namespace: APP_NAMESPACE,
          key: TIERS_CONFIG_KEY,
          type: "json",
          value,
          compareDigest: existing.metafield?.compareDigest ?? null,
        },
      ],
    },
    { signal: opts.signal },
  );
  const { userErrors } = payloadOf("metafieldsSet", res.metafieldsSet);
  if (userErrors.some((e) => e.code === "STALE_OBJECT")) {
    throw new SyncError("retryable", "Shopify discount configuration changed concurrently; will converge on the next try", {
      platform: "shopify",
    });
  }
  assertNoUserErrors("metafieldsSet", userErrors);
  return { discountId: existing.id, created: false, configUpdated: true };
}
