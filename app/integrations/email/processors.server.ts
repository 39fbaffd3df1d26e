// The `send_alert` queue item: one email to the shop's alert address listing
// every failed item not reported yet, then those items are marked alerted.
//
// At least once: if the process dies after the mail server accepted the
// message and before the items are marked, the retry sends it again. Items
// failing while an alert is in flight are picked up by the next alert item
// (app/queue/alerts.server.ts: one pending alert per shop).
import { chunks, type Db } from "../../db.server";
import { failureDigest } from "../../domain/alerts";
import { customerExport } from "../../domain/privacy.server";
import { env } from "../../env.server";
import { log } from "../../log.server";
import { ALERT_ACTION, ALERT_ORDERING_KEY, PENDING_ALERT_KEY, rejoinAlert, takeAlert } from "../../queue/alerts.server";
import { queueCrmSync } from "../../queue/enqueue.server";
import { SyncError } from "../../queue/errors";
import type { ProcessorContext, ProcessorResult } from "../../queue/registry";
import { sendMail } from "./mailer.server";

/** Failures per email (a mass failure is one email); more queue the next alert item. */
const MAX_PER_EMAIL = 5_000;

export function queueScreenUrl(shop: string) {
  return `https://${shop}/admin/apps/club-tiers/app/queue?status=failed`;
}

export async function sendFailureAlert(ctx: Pick<ProcessorContext, "db" | "shop" | "signal" | "item">): Promise<ProcessorResult> {
  const { db, item } = ctx;
  // From here on, new failures queue the next alert rather than join this one.
  await takeAlert(db, item);
  try {
    return await sendDigest(ctx);
  } catch (error) {
    if (error instanceof SyncError && (error.kind === "permanent" || error.kind === "auth")) throw error;
    // To be retried: be the shop's pending alert again, unless a newer one is.
    if (await rejoinAlert(db, item)) throw error;
    return { result: { sent: false, reason: "a newer alert item reports these failures" } };
  }
}

async function sendDigest({ db, shop, signal }: Pick<ProcessorContext, "db" | "shop" | "signal">): Promise<ProcessorResult> {
  const row = await db.shop.findUnique({ where: { domain: shop.domain }, select: { alertEmail: true, uninstalledAt: true } });
  // The merchant left: nothing of the app reaches them (an email already handed to the mail server is not recalled).
  if (row?.uninstalledAt) return { result: { sent: false, reason: "the shop uninstalled the app" } };
  if (!row?.alertEmail) return { result: { sent: false, reason: "no alert email" } };
  const failed = await unreported(db, shop.domain);
  if (failed.length === 0) return { result: { sent: false, reason: "nothing new" } };
  if (!env.SMTP_URL) {
    log("alerts", "warn", "alert_not_sent", { shop: shop.domain, failures: failed.length, reason: "SMTP_URL is not set" });
    return { result: { sent: false, reason: "SMTP_URL is not set", failures: failed.length } };
  }

  const emails = new Map<string, string>();
  for (const ids of chunks([...new Set(failed.map((f) => f.customerId))])) {
    for (const c of await db.customer.findMany({ where: { shop: shop.domain, id: { in: ids } }, select: { id: true, email: true } })) emails.set(c.id, c.email);
  }
  const digest = failureDigest(
    shop.domain,
    shop.crm,
    failed.map((f) => ({ action: f.actionType, member: emails.get(f.customerId) ?? null, error: f.lastError, failedAt: f.updatedAt })),
    queueScreenUrl(shop.domain),
  );
  const sent = await sendMail(env.SMTP_URL, env.ALERT_FROM, { to: row.alertEmail, ...digest }, signal);
  const alertedAt = new Date();
  for (const ids of chunks(failed.map((f) => f.id))) {
    await db.crmSyncQueue.updateMany({ where: { shop: shop.domain, id: { in: ids }, alertedAt: null }, data: { alertedAt } });
  }
  // More than one email's worth: the next alert item reports the rest.
  if (failed.length === MAX_PER_EMAIL) {
    await queueCrmSync({ shop: shop.domain, actionType: ALERT_ACTION, stageId: "alert", customerId: ALERT_ORDERING_KEY, idempotencyKey: PENDING_ALERT_KEY }, db);
  }
  log("alerts", "info", "alert_sent", { shop: shop.domain, failures: failed.length });
  return { result: { sent: true, failures: failed.length, messageId: sent.messageId } };
}

function unreported(db: Db, shop: string) {
  return db.crmSyncQueue.findMany({
    where: { shop, status: "failed", alertedAt: null, NOT: { actionType: ALERT_ACTION } },
    orderBy: { updatedAt: "asc" },
    take: MAX_PER_EMAIL,
    select: { id: true, actionType: true, customerId: true, lastError: true, updatedAt: true },
  });
}

/**
 * The `send_data_export` item (customers/data_request): email the merchant
 * everything we hold on the customer, as JSON, at the shop's alert address.
 * Unlike an alert, a data request must reach the merchant: without an address
 * or a mail server it fails for good, visibly, on the queue screen, to be
 * retried once Settings (or SMTP_URL) is fixed.
 */
export async function sendDataExport({ db, shop, item, signal }: Pick<ProcessorContext, "db" | "shop" | "item" | "signal">): Promise<ProcessorResult> {
  const data = await customerExport(db, shop.domain, item.customerId);
  if (!data) return { result: { sent: false, reason: "customer no longer held (erased)" } };
  const row = await db.shop.findUnique({ where: { domain: shop.domain }, select: { alertEmail: true } });
  if (!row?.alertEmail) throw new SyncError("permanent", "A customer asked for their data: set an alert email in Settings to receive it, then retry.", { platform: "email" });
  if (!env.SMTP_URL) throw new SyncError("permanent", "A customer asked for their data, but email is not set up on this server (SMTP_URL).", { platform: "email" });
  const sent = await sendMail(
    env.SMTP_URL,
    env.ALERT_FROM,
    {
      to: row.alertEmail,
      subject: `Club Tiers: customer data request for ${data.customer.email} (${shop.domain})`,
      text: [
        `Shopify passed on a request from ${data.customer.email} for the data Club Tiers holds about them.`,
        "Forward what follows to the customer (amounts are in cents of the shop's currency):",
        "",
        JSON.stringify(data, null, 2),
      ].join("\n"),
    },
    signal,
  );
  log("privacy", "info", "data_export_sent", { shop: shop.domain, item: item.id });
  return { result: { sent: true, messageId: sent.messageId } };
}
