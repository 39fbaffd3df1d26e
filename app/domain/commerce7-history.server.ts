// Commerce7 order history (issue 15 item 4, ADR 0022): the orders of the last
// 12 months of a Commerce7 shop, read through Commerce7's cursor-paginated
// order list into the spend ledger, so spend-driven tiers mean something on
// day one, as the Shopify backfill does for Shopify shops.
//
// Invariants:
// - Once per order: each order goes through the Commerce7 webhook's own
//   reading and the order recording's backfill mode
//   (recordCommerce7HistoryOrder): keyed on the order id, under the member's
//   lock, so a read run twice, or beside live Order webhooks of the same
//   orders, counts each order once.
// - No membership changes: a history read records spend and decides nothing;
//   the recalculation preview shows what the rules would do with it.
// - Durable and resumable: the work is queue items of one ordering key
//   (`c7history:<id>`), run one after another, each reading pages for about
//   10 s. The next page's cursor is kept after each page is recorded, so a
//   crash reads at most that page again (its orders are then "known").
// - One read open per shop at a time; the window (`since`) is fixed at the
//   request.
import type { Db, Tx } from "../db.server";
import { commerce7ClientFor } from "../integrations/commerce7/processors.server";
import { listOrdersSince } from "../integrations/commerce7/orders.server";
import { log } from "../log.server";
import { queueCrmSync, wakeWorker } from "../queue/enqueue.server";
import { isSyncError } from "../queue/errors";
import type { ProcessorContext, ProcessorResult } from "../queue/registry";
import { recordCommerce7HistoryOrder, type HistoryOutcome } from "./commerce7-orders.server";
import { spendWindowStart } from "./dates";
import { shopTimeZone } from "./shops.server";

export const C7_HISTORY_ACTION = "commerce7_history";
export type Commerce7HistoryTrigger = "settings" | "connect";
/** One item reads pages for about this long, then hands over to the next (ADR 0022's slices). */
const SLICE_MS = 10_000;

const orderingKey = (id: string) => `c7history:${id}`;

/**
 * Queues a read of the orders of the 12 months before `now` (the spend
 * window, in the shop's zone). While one is running, that one is answered
 * instead. Pass the caller's transaction to commit with it.
 */
export async function requestCommerce7History(db: Db | Tx, shop: string, trigger: Commerce7HistoryTrigger, now = new Date()): Promise<{ id: string; queued: boolean }> {
  const open = await db.commerce7History.findFirst({ where: { shop, status: "running" }, orderBy: { createdAt: "desc" }, select: { id: true } });
  if (open) return { id: open.id, queued: false };
  const since = spendWindowStart(now, await shopTimeZone(db, shop));
  const row = await db.commerce7History.create({ data: { shop, trigger, since, createdAt: now } });
  await queueCrmSync(
    { shop, actionType: C7_HISTORY_ACTION, stageId: row.id, customerId: orderingKey(row.id), idempotencyKey: `c7history:${row.id}:start`, maxAttempts: 20, platform: "commerce7", runAt: now },
    db,
  );
  return { id: row.id, queued: true };
}

/** Settings' "Read order history": Commerce7 shops with credentials only; the worker woken after the commit. */
export async function startCommerce7History(db: Db, shop: string, now = new Date()): Promise<{ ok: true; id: string; queued: boolean } | { ok: false; message: string }> {
  const row = await db.shop.findUnique({ where: { domain: shop }, select: { crm: true, c7Tenant: true, c7CredentialsEnc: true } });
  if (row?.crm !== "commerce7") return { ok: false, message: "The order history is read from Commerce7: this shop's members are on Shopify." };
  if (!row.c7Tenant || !row.c7CredentialsEnc) return { ok: false, message: "Connect Commerce7 first: enter the tenant, app id and app secret and save." };
  const out = await requestCommerce7History(db, shop, "settings", now);
  if (out.queued) wakeWorker();
  return { ok: true, ...out };
}

/** The shop's latest read, for Settings. */
export async function latestCommerce7History(db: Db, shop: string) {
  return db.commerce7History.findFirst({ where: { shop }, orderBy: { createdAt: "desc" } });
}

const COUNTER: Record<HistoryOutcome, "ordersRecorded" | "ordersKnown" | "ordersSkipped" | "refundsRecorded"> = {
  recorded: "ordersRecorded",
  known: "ordersKnown",
  skipped: "ordersSkipped",
  refund: "refundsRecorded",
  refund_known: "ordersKnown",
};

/**
 * The `commerce7_history` item: reads and records pages until the list ends
 * (the read is then `completed`) or its time is up (then the next item is
 * queued, and this one completes). A Commerce7 error is the queue's to retry;
 * on the item's last attempt, or one that cannot succeed, the read is marked
 * failed with it.
 */
export async function readCommerce7History({ db, item, signal, attempt, prepaidRequests }: Pick<ProcessorContext, "db" | "item" | "signal" | "attempt" | "prepaidRequests">): Promise<ProcessorResult> {
  const shop = item.shop;
  let read = await db.commerce7History.findFirst({ where: { id: item.stageId, shop } });
  if (!read || read.status !== "running") return { result: { skipped: read ? read.status : "gone" } };
  const began = Date.now();
  let pages = 0;
  try {
    const client = await commerce7ClientFor(db, shop, undefined, prepaidRequests);
    for (;;) {
      if (pages > 0 && (signal.aborted || Date.now() - began > SLICE_MS)) {
        // Due at the request's time: ahead of anything queued since.
        await queueCrmSync({
          shop,
          actionType: C7_HISTORY_ACTION,
          stageId: read.id,
          customerId: orderingKey(read.id),
          idempotencyKey: `c7history:${read.id}:page:${read.pagesRead}`,
          maxAttempts: 20,
          platform: "commerce7",
          runAt: read.createdAt,
        });
        return { result: { pages, continuesAtPage: read.pagesRead } };
      }
      const page = await listOrdersSince(client, read.since, read.cursor, signal);
      const counts = { ordersRecorded: 0, ordersKnown: 0, ordersSkipped: 0, refundsRecorded: 0 };
      for (const order of page.orders) counts[COUNTER[await recordCommerce7HistoryOrder(db, shop, order)]]++;
      pages++;
      read = await db.commerce7History.update({
        where: { id: read.id },
        data: {
          cursor: page.next ?? read.cursor,
          pagesRead: { increment: 1 },
          ordersRead: { increment: page.orders.length },
          ...(read.ordersTotal === null && page.total !== null ? { ordersTotal: page.total } : {}),
          ordersRecorded: { increment: counts.ordersRecorded },
          ordersKnown: { increment: counts.ordersKnown },
          ordersSkipped: { increment: counts.ordersSkipped },
          refundsRecorded: { increment: counts.refundsRecorded },
          ...(page.next ? {} : { status: "completed", completedAt: new Date() }),
        },
      });
      if (!page.next) {
        log("commerce7", "info", "order_history_read", { shop, pages: read.pagesRead, orders: read.ordersRead, recorded: read.ordersRecorded, known: read.ordersKnown });
        return { result: { pages, completed: true } };
      }
    }
  } catch (error) {
    const last = isSyncError(error) && (error.kind === "auth" || error.kind === "permanent" || (error.kind === "retryable" && attempt >= item.maxAttempts));
    if (last) await db.commerce7History.updateMany({ where: { id: read.id, shop, status: "running" }, data: { status: "failed", error: (error as Error).message.slice(0, 500), completedAt: new Date() } });
    throw error;
  }
}
