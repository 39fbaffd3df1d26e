// Permanent failures raise an alert. Inside the very transaction that marks an
// item `failed`, a `send_alert` item is queued for its shop (outbox), so an
// alert can be neither lost (crash after the failure) nor raised for a
// failure that rolled back. The alert item is an ordinary queue item: retried
// with backoff while the mail server is down, one at a time per shop (one
// ordering key), and deduplicated per failure.
//
// Invariants:
// - Only shops with an alert email get alert items; the queue screen's banner
//   is the alert for the others.
// - A failed `send_alert` never raises another alert (no loops).
import type { Tx } from "../db.server";
import { queueCrmSync } from "./enqueue.server";
import type { QueueItem } from "./types";

export const ALERT_ACTION = "send_alert";
/** All of a shop's alerts share one ordering key: they run one at a time, in order. */
export const ALERT_ORDERING_KEY = "shop-alerts";

export async function raiseAlerts(tx: Tx, failed: Pick<QueueItem, "id" | "shop" | "actionType" | "fence">[]) {
  const items = failed.filter((i) => i.actionType !== ALERT_ACTION);
  if (items.length === 0) return;
  const shops = await tx.shop.findMany({ where: { domain: { in: [...new Set(items.map((i) => i.shop))] }, alertEmail: { not: null } }, select: { domain: true } });
  const alerting = new Set(shops.map((s) => s.domain));
  for (const item of items) {
    if (!alerting.has(item.shop)) continue;
    await queueCrmSync(
      { shop: item.shop, actionType: ALERT_ACTION, stageId: "alert", customerId: ALERT_ORDERING_KEY, idempotencyKey: `alert:${item.id}:${item.fence}` },
      tx,
    );
  }
}
