// The member's `$app:membership` value from the database (member-display.ts
// builds it), and the coalesced `refresh_member` item that keeps it current
// on Shopify when spend or a renewal changes it (ADR 0027).
import type { Db, Tx } from "../db.server";
import { lockMember, lockMembers, lockShopPlatform, lockShopPlatformShared } from "../member-lock.server";
import { giveUpPendingKey, queueCoalesced } from "../queue/coalesce.server";
import { queueCrmSync, wakeWorker } from "../queue/enqueue.server";
import { SyncError } from "../queue/errors";
import type { ProcessorContext, ProcessorResult } from "../queue/registry";
import { recordedSpendCents } from "./enrollments.server";
import { membershipValue, type DisplayTier, type MembershipValue } from "./member-display";
import { cents } from "./money";

export const REFRESH_ACTION = "refresh_member";

/** The idempotency key a member's pending refresh holds: further enqueues join it. */
export const refreshPendingKey = (customerId: string) => `refresh:${customerId}`;
const runningKey = (customerId: string, itemId: string) => `refresh:${customerId}:${itemId}`;

const displayTier = (t: { id: string; handle: string; name: string; rank: number; active: boolean; upgradable: boolean; annualThresholdCents: bigint | number }): DisplayTier => ({
  id: t.id,
  handle: t.handle,
  name: t.name,
  rank: t.rank,
  active: t.active,
  upgradable: t.upgradable,
  annualThresholdCents: cents(t.annualThresholdCents),
});

/**
 * The member's value as of `now`, read from committed state: null when there
 * is nothing to show. `timeZone`: the zone the caller already read with the
 * shop (the worker's), else the shop row's.
 */
export async function memberDisplayValue(db: Db | Tx, shop: string, customerId: string, opts: { now?: Date; timeZone?: string } = {}): Promise<MembershipValue | null> {
  const now = opts.now ?? new Date();
  const active = await db.enrollment.findFirst({ where: { shop, customerId, status: "active" }, include: { tier: true } });
  // The same "latest" the order rules use (orders.server.ts): one the merchant replaced stays replaced.
  const shown = active ?? (await db.enrollment.findFirst({ where: { shop, customerId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], include: { tier: true } }));
  if (!shown || !["active", "expired", "cancelled"].includes(shown.status)) return null;
  const [tiers, shopRow, spendCents] = await Promise.all([
    db.tier.findMany({ where: { shop } }),
    db.shop.findUnique({ where: { domain: shop }, select: { timezone: true, currency: true, memberEndedMessage: true } }),
    shown.status === "active" ? recordedSpendCents(db, shop, customerId, now) : Promise.resolve(0),
  ]);
  return membershipValue({
    enrollment: { status: shown.status, tierId: shown.tierId, startedAt: shown.startedAt, expiresAt: shown.expiresAt, graceEndsAt: shown.graceEndsAt, endedAt: shown.endedAt, tier: displayTier(shown.tier) },
    tiers: tiers.map(displayTier),
    spendCents,
    timeZone: opts.timeZone ?? shopRow?.timezone ?? "UTC",
    currency: shopRow?.currency ?? "USD",
    endedMessage: shopRow?.memberEndedMessage ?? null,
    now,
  });
}

/**
 * Queues the member's refresh in the caller's transaction, under the member's
 * lock (the caller holds it): one pending item per member, which every spend
 * change or renewal until it starts joins. Shopify shops only: the metafield
 * is Shopify's.
 */
export async function queueMemberRefresh(tx: Tx, shop: string, customerId: string, enrollmentId: string | null, stageId: string): Promise<void> {
  await queueCoalesced(tx, { shop, customerId, enrollmentId, actionType: REFRESH_ACTION, stageId, idempotencyKey: refreshPendingKey(customerId) }, (id) => runningKey(customerId, id));
}

/**
 * A starting refresh gives its pending key up under the member's lock, so a
 * change committed after this reads as "queue the next refresh", and one
 * committed before it is what this run reads.
 */
export async function startMemberRefresh(db: Db, item: { id: string; shop: string; customerId: string }): Promise<void> {
  await giveUpPendingKey(db, item, refreshPendingKey(item.customerId), runningKey(item.customerId, item.id), (tx) => lockMember(tx, item.shop, item.customerId));
}

// ——— Every member at once ———
//
// What a member sees also depends on the shop: the merchant's line for ended
// members (Settings), the tiers' names, thresholds and order. A change there
// queues one `refresh_members_display` item per (shop, scope), coalesced like
// the member's own refresh, which queues each member's refresh in batches
// under their locks (the per-member coalescing keeps that cheap when a
// member's refresh is already waiting).

export const DISPLAY_ACTION = "refresh_members_display";
/** One ordering key per shop: these run one at a time, in order. */
export const DISPLAY_ORDERING_KEY = "shop-member-display";
export type DisplayScope = "active" | "ended";
const SCOPE_STATUSES: Record<DisplayScope, string[]> = { active: ["active"], ended: ["expired", "cancelled"] };
const BATCH = 200;

/** Queues the refresh of every member in `scope` (Shopify shops with such members only). True when one is queued or joined. */
export async function queueMembersDisplayRefresh(tx: Tx, shop: string, scope: DisplayScope, once?: string): Promise<boolean> {
  const row = await tx.shop.findUnique({ where: { domain: shop }, select: { crm: true } });
  if ((row?.crm ?? "shopify") !== "shopify") return false;
  if (!(await tx.enrollment.findFirst({ where: { shop, status: { in: SCOPE_STATUSES[scope] } }, select: { id: true } }))) return false;
  const item = { shop, actionType: DISPLAY_ACTION, stageId: scope, customerId: DISPLAY_ORDERING_KEY } as const;
  // Held until our commit: a running item gives its key up under this lock
  // exclusive, so it either reads after our change or leaves the key to us.
  await lockShopPlatformShared(tx, shop);
  // `once`: a key of its own, queued at most once (while its item is kept), not coalesced.
  if (once) return (await queueCrmSync({ ...item, idempotencyKey: `${once}:${scope}` }, tx)).created;
  await queueCoalesced(tx, { ...item, idempotencyKey: `display:${scope}` }, (id) => `display:${scope}:${id}`);
  return true;
}

/** The value's version members' metafields were last brought to at boot (MEMBERSHIP_VALUE_VERSION). */
export const DISPLAY_UPGRADE_KEY = "display-v2";

/**
 * At boot: members whose metafield was written before it carried what they
 * see (v1: the benefit fields only) keep that until their next change, so
 * each installed Shopify shop queues one refresh of its active and ended
 * members, once (DISPLAY_UPGRADE_KEY; every instance may run this at once).
 * Returns how many items were queued.
 */
export async function queueDisplayUpgrade(db: Db): Promise<number> {
  let queued = 0;
  let after = "";
  for (;;) {
    const shops = await db.shop.findMany({ where: { crm: "shopify", uninstalledAt: null, domain: { gt: after } }, orderBy: { domain: "asc" }, take: BATCH, select: { domain: true } });
    if (!shops.length) break;
    after = shops.at(-1)!.domain;
    for (const { domain } of shops) {
      for (const scope of ["active", "ended"] as const) if (await db.$transaction((tx) => queueMembersDisplayRefresh(tx, domain, scope, DISPLAY_UPGRADE_KEY))) queued++;
    }
  }
  if (queued) wakeWorker();
  return queued;
}

/**
 * The `refresh_members_display` item. It gives its pending key up under the
 * shop's platform lock, which every enqueue holds shared: a change committed
 * after that queues the next run. Cut short by its deadline, it is retried
 * from the start (members already waiting are joined, not queued again).
 */
export async function refreshMembersDisplay({ db, item, signal }: Pick<ProcessorContext, "db" | "item" | "signal">): Promise<ProcessorResult> {
  const shop = item.shop;
  const scope: DisplayScope = item.stageId === "ended" ? "ended" : "active";
  await giveUpPendingKey(db, item, `display:${scope}`, `display:${scope}:${item.id}`, (tx) => lockShopPlatform(tx, shop));
  let after = "";
  let members = 0;
  for (;;) {
    if (signal.aborted) throw new SyncError("retryable", `Member display refresh stopped at its deadline after ${members} members; it runs again.`);
    const batch = await db.enrollment.findMany({
      where: { shop, status: { in: SCOPE_STATUSES[scope] }, customerId: { gt: after } },
      orderBy: { customerId: "asc" },
      distinct: ["customerId"],
      take: BATCH,
      select: { customerId: true },
    });
    if (!batch.length) break;
    after = batch.at(-1)!.customerId;
    const ids = batch.map((e) => e.customerId);
    await db.$transaction(async (tx) => {
      await lockMembers(tx, shop, ids);
      for (const id of ids) await queueMemberRefresh(tx, shop, id, null, "display");
    });
    members += ids.length;
  }
  if (members) wakeWorker();
  return { result: { scope, members } };
}
