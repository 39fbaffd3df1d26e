// Coalesced items: work whose every run converges to the current state (the
// member's Shopify metafield, a shop's alert digest) needs only one pending
// item per key, however many changes call for it. The pending item holds a
// well-known idempotency key, so each further enqueue is a no-op (ON CONFLICT
// DO NOTHING, ADR 0005); when it starts, it gives the key up, so a change
// committed after that point queues the next run instead of joining one that
// has already read the state.
//
// The alert (alerts.server.ts) and the member refresh (member-display) share
// this: one mechanism, two keys.
import type { Db, Tx } from "../db.server";
import { queueCrmSync, type EnqueueInput } from "./enqueue.server";
import { exec } from "./sql.server";

const ENDED = ["completed", "failed", "cancelled"];

/**
 * Queues `input` under its pending key, or joins the pending item that holds
 * it. An item that ended without giving the key up (discarded or stopped
 * before it started, failed before its processor ran) would hold it for
 * good, and every later enqueue would join a finished item: such a holder is
 * retired first (renamed to `retiredKey(id)`). An item still pending or
 * processing is joined: processing ones give the key up under the lock the
 * caller holds, before they read anything (giveUpPendingKey), so one that
 * still holds it has not read the state yet.
 */
export async function queueCoalesced(tx: Tx, input: EnqueueInput & { idempotencyKey: string }, retiredKey: (id: string) => string) {
  const held = await tx.crmSyncQueue.findUnique({ where: { shop_idempotencyKey: { shop: input.shop, idempotencyKey: input.idempotencyKey } }, select: { id: true, status: true } });
  // Joined: the insert would be a no-op (a burst of orders spends one read each here, no more).
  if (held && !ENDED.includes(held.status)) return { id: held.id, created: false };
  if (held) await exec(tx, `UPDATE "CrmSyncQueue" SET "idempotencyKey" = $1 WHERE id = $2 AND shop = $3`, retiredKey(held.id), held.id, input.shop);
  return queueCrmSync(input, tx);
}

/**
 * Renames `item`'s key from `pendingKey` to `runningKey` (a no-op when it no
 * longer holds it: a re-run after a lost lease). `lock`, when given, runs in
 * the same transaction first: the writers that enqueue under the same lock
 * then either committed before the key was given up (and this run reads their
 * change) or find the key free and queue the next run.
 */
export async function giveUpPendingKey(
  db: Db,
  item: { id: string; shop: string },
  pendingKey: string,
  runningKey: string,
  lock?: (tx: Tx) => Promise<void>,
): Promise<void> {
  const rename = (c: Db | Tx) =>
    exec(c, `UPDATE "CrmSyncQueue" SET "idempotencyKey" = $1 WHERE id = $2 AND shop = $3 AND "idempotencyKey" = $4`, runningKey, item.id, item.shop, pendingKey);
  if (!lock) {
    await rename(db);
    return;
  }
  await db.$transaction(async (tx) => {
    await lock(tx);
    await rename(tx);
  });
}
