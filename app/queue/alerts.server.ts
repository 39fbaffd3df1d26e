// Permanent failures raise an alert. Inside the very transaction that marks an
// item `failed`, the shop's pending alert item is queued if it has none
// (outbox), so an alert can be neither lost (crash after the failure) nor
// raised for a failure that rolled back. The alert item is an ordinary queue
// item: retried with backoff while the mail server is down, one at a time per
// shop (one ordering key).
//
// Invariants:
// - At most one pending alert item per shop: it carries the key
//   PENDING_ALERT_KEY, unique per shop, and new failures join it (the insert
//   is a no-op); it reports every failure not reported yet when it runs, so a
//   mass failure is one email, not thousands of queue rows.
// - A running alert gives the key up first (takeAlert): failures after that
//   point queue the next alert, so none is left unreported by an email that
//   had already been written. If the send then has to be retried, the alert
//   takes the key back (rejoinAlert) — or, when a newer alert holds it, ends,
//   since that one reports everything.
// - Only shops with an alert email get alert items; the queue screen's banner
//   is the alert for the others.
// - A failed `send_alert` never raises another alert (no loops).
// - A shop that uninstalled gets no alert: none is raised for it, and a
//   `send_alert` that runs after the uninstall sends nothing (ADR 0017).
import type { Db, Tx } from "../db.server";
import { isUniqueViolation } from "../db.server";
import { giveUpPendingKey } from "./coalesce.server";
import { queueCrmSync } from "./enqueue.server";
import { exec } from "./sql.server";
import type { QueueItem } from "./types";

export const ALERT_ACTION = "send_alert";
/** All of a shop's alerts share one ordering key: they run one at a time, in order. */
export const ALERT_ORDERING_KEY = "shop-alerts";
/** The idempotency key of a shop's pending alert item. */
export const PENDING_ALERT_KEY = "alert:next";

export async function raiseAlerts(tx: Tx, failed: Pick<QueueItem, "id" | "shop" | "actionType" | "fence">[]) {
  const items = failed.filter((i) => i.actionType !== ALERT_ACTION);
  if (items.length === 0) return;
  const shops = await tx.shop.findMany({ where: { domain: { in: [...new Set(items.map((i) => i.shop))] }, alertEmail: { not: null }, uninstalledAt: null }, select: { domain: true } });
  for (const { domain } of shops) {
    await queueCrmSync({ shop: domain, actionType: ALERT_ACTION, stageId: "alert", customerId: ALERT_ORDERING_KEY, idempotencyKey: PENDING_ALERT_KEY }, tx);
  }
}

/** A running alert gives up the pending key: failures from now on queue the next alert. */
export async function takeAlert(db: Db, item: Pick<QueueItem, "id" | "shop">): Promise<void> {
  await giveUpPendingKey(db, item, PENDING_ALERT_KEY, `alert:${item.id}`);
}

/**
 * A running alert that must be retried takes the pending key back, and is the
 * shop's pending alert again. False when a newer alert holds the key: that one
 * reports every unreported failure, so this one can end.
 */
export async function rejoinAlert(db: Db, item: Pick<QueueItem, "id" | "shop">): Promise<boolean> {
  try {
    const n = await exec(
      db,
      `UPDATE "CrmSyncQueue" SET "idempotencyKey" = $1 WHERE id = $2 AND shop = $3
         AND NOT EXISTS (SELECT 1 FROM "CrmSyncQueue" o WHERE o.shop = $3 AND o."idempotencyKey" = $1)`,
      PENDING_ALERT_KEY,
      item.id,
      item.shop,
    );
    return n === 1;
  } catch (error) {
    // A newer alert was queued between the check and the write (PostgreSQL).
    if (isUniqueViolation(error) || /unique|duplicate key|23505/i.test(String((error as Error)?.message))) return false;
    throw error;
  }
}
