// A member's state on Shopify, mirrored three ways and converged, never replayed:
//   1. the app-owned metafield `$app:membership` (what the discount function and
//      the customer-account extension read; its value: app/domain/member-display.ts),
//   2. one `club:<tier-handle>` tag (for segments, Flow and emails; never read back as truth),
//   3. the benefit itself: the automatic app discount (see discounts.server.ts).
// `syncMember` makes Shopify match `desired` whatever it holds now, so running it
// twice changes nothing, and a late run of an old queue item cannot undo a newer
// change: the caller always passes the enrollment's *current* local state.
import { membershipJson, type MembershipValue } from "../../domain/member-display";
import { SyncError } from "../../queue/errors";
import { assertNoUserErrors, payloadOf, type ShopifyAdmin } from "./admin.server";
import {
  APP_NAMESPACE,
  MEMBERSHIP_KEY,
  MEMBER_STATE_QUERY,
  METAFIELDS_DELETE_MUTATION,
  METAFIELDS_SET_MUTATION,
  TAGS_ADD_MUTATION,
  TAGS_REMOVE_MUTATION,
} from "./operations";

export const TAG_PREFIX = "club:";

export function tierTag(handle: string) {
  return `${TAG_PREFIX}${handle}`;
}

export type SyncMemberResult = { changed: boolean; writes: string[] };

/**
 * Converges one customer. `knownTierHandles` bounds which `club:` tags we own:
 * tags of other tiers are removed, anything else a merchant tagged is left alone.
 * A concurrent writer that changes the metafield between our read and write makes
 * `compareDigest` reject the write; we re-read and converge again (twice at most).
 */
export async function syncMember(
  admin: ShopifyAdmin,
  customerGid: string,
  desired: MembershipValue | null,
  knownTierHandles: string[],
  opts: { signal?: AbortSignal } = {},
): Promise<SyncMemberResult> {
  const writes: string[] = [];
  for (let round = 0; round < 3; round++) {
    const state = await admin.request(MEMBER_STATE_QUERY, { id: customerGid }, opts);
    if (!state.customer) {
      throw new SyncError("permanent", `Shopify customer ${customerGid} no longer exists`, { platform: "shopify" });
    }
    const { tags, metafield } = state.customer;

    // 1. The metafield first: it carries the benefit.
    const wanted = desired ? membershipJson(desired) : null;
    if (wanted !== null && metafield?.value !== wanted) {
      const res = await admin.request(
        METAFIELDS_SET_MUTATION,
        {
          metafields: [
            {
              ownerId: customerGid,
              namespace: APP_NAMESPACE,
              key: MEMBERSHIP_KEY,
              type: "json",
              value: wanted,
              // null: "must not exist yet"; a digest: "must still be what we read".
              compareDigest: metafield?.compareDigest ?? null,
            },
          ],
        },
        opts,
      );
      const { userErrors } = payloadOf("metafieldsSet", res.metafieldsSet);
      if (userErrors.some((e) => e.code === "STALE_OBJECT")) continue;
      assertNoUserErrors("metafieldsSet", userErrors);
      writes.push("metafieldsSet");
    } else if (wanted === null && metafield) {
      const res = await admin.request(
        METAFIELDS_DELETE_MUTATION,
        { metafields: [{ ownerId: customerGid, namespace: APP_NAMESPACE, key: MEMBERSHIP_KEY }] },
        opts,
      );
      assertNoUserErrors("metafieldsDelete", payloadOf("metafieldsDelete", res.metafieldsDelete).userErrors);
      writes.push("metafieldsDelete");
    }

    // 2. Tags: add the current tier's (while it holds benefits), remove our other tiers'.
    const owned = new Set(knownTierHandles.map(tierTag));
    const want = desired?.tier ? tierTag(desired.tier) : null;
    const toRemove = tags.filter((t) => t !== want && (owned.has(t) || t.startsWith(TAG_PREFIX)));
    if (want && !tags.includes(want)) {
      const res = await admin.request(
        TAGS_ADD_MUTATION,
        { id: customerGid, tags: [want] },
        opts,
      );
      assertNoUserErrors("tagsAdd", payloadOf("tagsAdd", res.tagsAdd).userErrors);
      writes.push("tagsAdd");
    }
    if (toRemove.length) {
      const res = await admin.request(
        TAGS_REMOVE_MUTATION,
        { id: customerGid, tags: toRemove },
        opts,
      );
      assertNoUserErrors("tagsRemove", payloadOf("tagsRemove", res.tagsRemove).userErrors);
      writes.push("tagsRemove");
    }
    return { changed: writes.length > 0, writes };
  }
  throw new SyncError("retryable", "Shopify membership metafield kept changing underneath us; will converge on the next try", {
    platform: "shopify",
  });
}
