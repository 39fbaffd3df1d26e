// The Commerce7 order catch-up (ADR 0021): what Commerce7 failed to deliver
// (our endpoint down, a rotated URL not yet pasted, a busy database) is read
// back from its web hook log and recorded as if it had arrived.
//
// Invariants:
// - Recording is the webhook's own (recordCommerce7Delivery): once per order
//   id, so a delivery read twice (overlapping windows, two instances running
//   the job, a delivery Commerce7 made after all) changes nothing twice.
// - Each shop reads from its checkpoint (Shop.c7WebhookLogCheckedAt) minus an
//   overlap, and the checkpoint moves to the run's start only after every
//   entry read was recorded; a failed read or write leaves it, and the next
//   run reads the same window again. It never moves back.
// - A shop is read only while it is installed, on Commerce7, with credentials
//   and a webhook URL (before there is a URL there is nothing of ours to miss).
// - One shop's failure (Commerce7 down, bad credentials) is logged and does
//   not stop the others.
import type { Db } from "../db.server";
import { commerce7ClientFor } from "../integrations/commerce7/processors.server";
import { listFailedDeliveries } from "../integrations/commerce7/web-hook-log.server";
import { log } from "../log.server";
import { recordCommerce7Delivery } from "./commerce7-orders.server";
import { InvalidPayload } from "./orders.server";

/** Read again before the checkpoint: entries can be written a little after the time they carry. */
export const CATCH_UP_OVERLAP_MS = 10 * 60_000;
/** A shop's first read looks this far back (Commerce7 disables a web hook after 48 hours of failures). */
export const CATCH_UP_FIRST_LOOKBACK_MS = 72 * 3_600_000;

export type CatchUpSummary = { shops: number; read: number; recorded: number; duplicates: number; invalid: number; failedShops: number };

export async function catchUpCommerce7Orders(db: Db, now = new Date(), opts: { signal?: AbortSignal } = {}): Promise<CatchUpSummary> {
  const shops = await db.shop.findMany({
    where: { crm: "commerce7", uninstalledAt: null, c7WebhookKeyHash: { not: null }, c7Tenant: { not: null }, c7CredentialsEnc: { not: null } },
    select: { domain: true, c7WebhookLogCheckedAt: true },
    orderBy: { domain: "asc" },
  });
  const summary: CatchUpSummary = { shops: shops.length, read: 0, recorded: 0, duplicates: 0, invalid: 0, failedShops: 0 };
  for (const shop of shops) {
    try {
      const s = await catchUpShop(db, shop.domain, shop.c7WebhookLogCheckedAt, now, opts.signal);
      summary.read += s.read;
      summary.recorded += s.recorded;
      summary.duplicates += s.duplicates;
      summary.invalid += s.invalid;
    } catch (error) {
      summary.failedShops++;
      log("commerce7", "warn", "order_catch_up_failed", { shop: shop.domain, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return summary;
}

/** One shop's failed deliveries since its checkpoint, recorded; then the checkpoint moves to `now`. */
export async function catchUpShop(db: Db, shop: string, checkedAt: Date | null, now: Date, signal?: AbortSignal) {
  const since = new Date(checkedAt ? checkedAt.getTime() - CATCH_UP_OVERLAP_MS : now.getTime() - CATCH_UP_FIRST_LOOKBACK_MS);
  const client = await commerce7ClientFor(db, shop);
  const entries = await listFailedDeliveries(client, "Order", since, signal);
  const s = { read: entries.length, recorded: 0, duplicates: 0, invalid: 0 };
  for (const entry of entries) {
    try {
      const outcome = await recordCommerce7Delivery(db, shop, { object: entry.object, action: entry.action, payload: entry.payload });
      if (outcome.status === "duplicate") s.duplicates++;
      else if (outcome.status !== "ignored") s.recorded++;
    } catch (error) {
      // An entry we cannot read would block the checkpoint forever: counted, logged (its id only) and passed.
      if (!(error instanceof InvalidPayload)) throw error;
      s.invalid++;
      log("commerce7", "warn", "order_catch_up_invalid", { shop, entry: entry.id, error: error.message });
    }
  }
  await db.shop.updateMany({ where: { domain: shop, OR: [{ c7WebhookLogCheckedAt: null }, { c7WebhookLogCheckedAt: { lt: now } }] }, data: { c7WebhookLogCheckedAt: now } });
  if (s.read) log("commerce7", "info", "order_catch_up", { shop, ...s });
  return s;
}
