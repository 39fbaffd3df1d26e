// Switching a shop's platform (Settings): a guided operation, not a field.
//
// Invariants:
// - Every active member's benefits move: per member, a `leave_platform` item
//   for the OLD platform (Shopify: tags and `$app` metafield; Commerce7: our
//   club membership) and an `add_membership` item for the NEW one, queued in
//   the switch's transaction (outbox) and run by the worker like every item:
//   paced per (shop, platform), retried, alerted.
// - Items keep the platform they were queued for (CrmSyncQueue.platform): an
//   item queued before the switch still runs against the old platform, and a
//   member's items run in order, so the removal comes after them and the add
//   after the removal. Processors converge a platform to "holds nothing" once
//   the shop has left it, so even an old item that runs late removes, never
//   restores.
// - Serialised against every enqueue by the shop's platform lock
//   (member-lock.server.ts): no item is queued for the old platform once the
//   switch has read the members.
import { dbProvider, type Db, type Tx } from "../db.server";
import { lockShopPlatform } from "../member-lock.server";
import { queueCrmSync } from "../queue/enqueue.server";
import { asPlatform, type Platform } from "./platforms";
import { DISCOUNT_ORDERING_KEY } from "./tiers.server";

export type SwitchPreview = {
  from: Platform;
  to: Platform;
  activeMembers: number;
  /** Commerce7 only: tiers with active members and no club, which would leave those members nowhere to go. */
  tiersWithoutClub: { name: string; members: number }[];
};

/** What a switch to `to` would do now: shown in Settings before the merchant saves. */
export async function switchPreview(db: Db | Tx, shop: string, to: Platform): Promise<SwitchPreview> {
  const row = await db.shop.findUnique({ where: { domain: shop }, select: { crm: true } });
  const perTier = await db.enrollment.groupBy({ by: ["tierId"], where: { shop, status: "active" }, _count: { _all: true } });
  const tiers = await db.tier.findMany({ where: { shop, id: { in: perTier.map((t) => t.tierId) } }, select: { id: true, name: true, c7ClubId: true, rank: true } });
  const members = new Map(perTier.map((t) => [t.tierId, t._count._all]));
  return {
    from: asPlatform(row?.crm),
    to,
    activeMembers: perTier.reduce((sum, t) => sum + t._count._all, 0),
    tiersWithoutClub:
      to === "commerce7"
        ? tiers
            .filter((t) => !t.c7ClubId)
            .sort((a, b) => a.rank - b.rank)
            .map((t) => ({ name: t.name, members: members.get(t.id) ?? 0 }))
        : [],
  };
}

/** Why a switch cannot be made now (the merchant's words), or null. */
export function switchRefusal(preview: SwitchPreview): string | null {
  const [first, ...more] = preview.tiersWithoutClub;
  if (!first) return null;
  const names = [first, ...more].map((t) => `${t.name} (${t.members} member${t.members === 1 ? "" : "s"})`).join(", ");
  return `Map every tier with members to a Commerce7 club first (below): ${names} ha${more.length ? "ve" : "s"} none.`;
}

/**
 * Inside the caller's transaction: sets the shop's platform to `to` and queues,
 * per active member, the removal from the old platform and the add on the new
 * one (and, onto Shopify, the member discount). Nothing when the shop is on
 * `to` already. The caller checks switchRefusal first and wakes the worker
 * after commit.
 */
export async function switchPlatform(tx: Tx, shop: string, to: Platform, now = new Date()): Promise<{ from: Platform; members: number }> {
  // The Shop row first, then the platform lock: the order of every writer that
  // takes both (uninstall and reinstall, a worker recording a failure: row,
  // then their enqueue's shared platform lock), so none can deadlock with us.
  if (dbProvider === "postgresql") await tx.$queryRawUnsafe(`SELECT 1 FROM "Shop" WHERE domain = $1 FOR UPDATE`, shop);
  await lockShopPlatform(tx, shop);
  const row = await tx.shop.findUnique({ where: { domain: shop }, select: { crm: true } });
  const from = asPlatform(row?.crm);
  if (from === to) return { from, members: 0 };
  await tx.shop.update({ where: { domain: shop }, data: { crm: to } });
  // Read after the lock: every membership committed before it is here.
  const active = await tx.enrollment.findMany({ where: { shop, status: "active" }, select: { id: true, customerId: true, tierId: true }, orderBy: { customerId: "asc" } });
  const key = `switch:${from}>${to}:${now.getTime()}`;
  for (const e of active) {
    const member = { shop, enrollmentId: e.id, customerId: e.customerId, stageId: e.tierId };
    await queueCrmSync({ ...member, actionType: "leave_platform", platform: from, idempotencyKey: `${key}:leave:${e.id}` }, tx);
    await queueCrmSync({ ...member, actionType: "add_membership", platform: to, idempotencyKey: `${key}:add:${e.id}` }, tx);
  }
  if (to === "shopify") {
    // Members are priced on Shopify by the one member discount: make sure it exists and is current.
    await queueCrmSync({ shop, actionType: "ensure_discount", stageId: "platform-switch", customerId: DISCOUNT_ORDERING_KEY, platform: "shopify", idempotencyKey: `${key}:discount` }, tx);
  }
  return { from, members: active.length };
}
