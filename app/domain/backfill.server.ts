// Order history backfill (issue 15 item 3, ADR 0023): a year of Shopify
// orders into the spend ledger, so spend-driven tiers mean something on day one.
//
// Invariants:
// - Once per order: every order is recorded through the orders webhooks' own
//   code (recordOrderFactsIn, mode ORDERS_BACKFILL) under the member's lock,
//   keyed on the order's GID, and every refund on its refund GID, so a
//   backfill run twice, or beside live orders/create and refunds/create for
//   the same orders, counts each once.
// - No membership changes: a backfill records spend and decides nothing; the
//   recalculation preview (recalculation.server.ts) shows what the rules
//   would do with it, and only its Apply changes members.
// - Durable and resumable: the work is queue items of one ordering key
//   (`backfill:<id>`), run one after another. Each chunk of lines is recorded
//   in ONE transaction with the backfill's position (linesDone), so a crash
//   resumes at the first line not recorded, and nothing is recorded twice.
// - Streamed: the result file is read line by line, never held whole.
import { env } from "../env.server";
import { isUniqueViolation, type Db, type Tx } from "../db.server";
import { bulkOperationState, bulkResultLines, parseBulkOrder, startOrdersBulkQuery, type BulkOrder } from "../integrations/shopify/bulk-orders.server";
import { offlineAdmin } from "../integrations/shopify/session.server";
import type { ShopifyAdmin } from "../integrations/shopify/admin.server";
import { log } from "../log.server";
import { queueCrmSync, wakeWorker } from "../queue/enqueue.server";
import { isSyncError } from "../queue/errors";
import type { ProcessorContext, ProcessorResult } from "../queue/registry";
import { spendWindowStart } from "./dates";
import { cancelRefundId, insertRefundIn, isRetryableRace, ORDERS_BACKFILL, recordingContext, recordOrderFactsIn, type RecordingContext } from "./orders.server";
import { shopTimeZone } from "./shops.server";
import { cents } from "./money";

export const BACKFILL_ACTION = "backfill_orders";
export type BackfillTrigger = "install" | "settings";
export type BackfillStatus = "starting" | "running" | "reading" | "completed" | "failed";
const OPEN: BackfillStatus[] = ["starting", "running", "reading"];

/** Lines per transaction: one chunk's orders and the position after them commit together. Small, so a live webhook of one of its members waits well under its transaction's 5 s. */
export const BACKFILL_CHUNK = 50;
/** One item reads for about this long, then hands over to the next (ADR 0022's slices). */
const SLICE_MS = 10_000;

const orderingKey = (id: string) => `backfill:${id}`;

/**
 * Queues a backfill of the orders of the 12 months before `now` (the spend
 * window, in the shop's zone). While one is open, that one is answered
 * instead: one backfill at a time per shop (Shopify runs one bulk query per
 * app and shop anyway). Pass the caller's transaction to commit with it.
 */
export async function requestBackfill(db: Db | Tx, shop: string, trigger: BackfillTrigger, now = new Date()): Promise<{ id: string; queued: boolean }> {
  const open = await db.orderBackfill.findFirst({ where: { shop, status: { in: OPEN } }, orderBy: { createdAt: "desc" }, select: { id: true } });
  if (open) return { id: open.id, queued: false };
  const since = spendWindowStart(now, await shopTimeZone(db, shop));
  const row = await db.orderBackfill.create({ data: { shop, trigger, since, createdAt: now } });
  await queueCrmSync({ shop, actionType: BACKFILL_ACTION, stageId: row.id, customerId: orderingKey(row.id), idempotencyKey: `backfill:${row.id}:start`, maxAttempts: 20, runAt: now }, db);
  return { id: row.id, queued: true };
}

/** Settings' "Read order history": queued, and the worker woken after the commit. */
export async function startBackfill(db: Db, shop: string, now = new Date()) {
  const r = await db.$transaction((tx) => requestBackfill(tx, shop, "settings", now));
  if (r.queued) wakeWorker();
  return r;
}

/**
 * The `backfill_orders` item. Its backfill's status says what to do:
 * starting: ask Shopify for the bulk query; running: look at it (again later
 * while it runs); reading (items keyed `…:from:<line>`): record the result
 * from that line for a slice, then queue the next slice.
 */
export async function backfillOrders(ctx: Pick<ProcessorContext, "db" | "item" | "signal"> & { admin?: ShopifyAdmin }): Promise<ProcessorResult> {
  const { db, item, signal } = ctx;
  const shop = item.shop;
  const row = await db.orderBackfill.findFirst({ where: { id: item.stageId, shop } });
  if (!row || !OPEN.includes(row.status as BackfillStatus)) return { result: { skipped: row?.status ?? "gone" } };
  const admin = ctx.admin ?? offlineAdmin(db, shop);
  try {
    if (row.status === "starting") {
      const { id } = await startOrdersBulkQuery(admin, row.since, { signal });
      await db.orderBackfill.updateMany({ where: { id: row.id, shop, status: "starting" }, data: { status: "running", bulkOperationId: id } });
      return watch(db, admin, { ...row, status: "running", bulkOperationId: id }, item, signal);
    }
    if (row.status === "running") return watch(db, admin, row, item, signal);
    return read(db, admin, row, item, signal);
  } catch (error) {
    // Shopify refused for good (the query, the scope, the token): the merchant
    // sees why on Settings; a transient failure is retried by the queue.
    if (isSyncError(error) && (error.kind === "permanent" || error.kind === "auth")) {
      await db.orderBackfill.updateMany({ where: { id: row.id, shop, status: { in: OPEN } }, data: { status: "failed", error: error.message, completedAt: new Date() } });
    }
    throw error;
  }
}

type Row = NonNullable<Awaited<ReturnType<Db["orderBackfill"]["findFirst"]>>>;
type Item = ProcessorContext["item"];

/** Looks at the bulk query: still running (look again later), finished (the first read slice is queued), or failed. */
async function watch(db: Db, admin: ShopifyAdmin, row: Row, item: Item, signal: AbortSignal): Promise<ProcessorResult> {
  const state = await bulkOperationState(admin, row.bulkOperationId!, { signal });
  const shop = row.shop;
  if (!state || ["FAILED", "CANCELED", "CANCELING", "EXPIRED"].includes(state.status)) {
    const error = state ? `Shopify's bulk query ended ${state.status.toLowerCase()}${state.errorCode ? ` (${state.errorCode})` : ""}` : "Shopify no longer knows the bulk query";
    await db.orderBackfill.updateMany({ where: { id: row.id, shop, status: "running" }, data: { status: "failed", error, completedAt: new Date() } });
    return { result: { failed: error } };
  }
  if (state.status !== "COMPLETED") {
    await db.orderBackfill.updateMany({ where: { id: row.id, shop, status: "running" }, data: { objectCount: state.objectCount } });
    await queueCrmSync({ shop, actionType: BACKFILL_ACTION, stageId: row.id, customerId: orderingKey(row.id), idempotencyKey: `backfill:${row.id}:after:${item.id}`, maxAttempts: 20, runAt: new Date(Date.now() + env.BACKFILL_POLL_MS) });
    return { result: { bulk: state.status, objectCount: state.objectCount } };
  }
  await finished(db, shop, row.id, state.objectCount);
  return { result: { bulk: "COMPLETED", objectCount: state.objectCount } };
}

/** The bulk query is done (seen by a poll or the webhook): reading starts at line 0, queued once. */
async function finished(db: Db, shop: string, id: string, objectCount: number | null) {
  const moved = await db.$transaction(async (tx) => {
    const { count } = await tx.orderBackfill.updateMany({ where: { id, shop, status: "running" }, data: { status: "reading", ...(objectCount === null ? {} : { objectCount }) } });
    if (count === 1) await queueCrmSync({ shop, actionType: BACKFILL_ACTION, stageId: id, customerId: orderingKey(id), idempotencyKey: `backfill:${id}:from:0`, maxAttempts: 20 }, tx);
    return count === 1;
  });
  if (moved) wakeWorker();
  return moved;
}

/**
 * bulk_operations/finish: the backfill whose query it was is looked at now
 * rather than at its next poll. Anything else (another app's bulk query
 * cannot reach us; an old or unknown one) changes nothing.
 */
export async function bulkOperationFinished(db: Db, shop: string, payload: { admin_graphql_api_id?: unknown; status?: unknown }) {
  const id = typeof payload.admin_graphql_api_id === "string" ? payload.admin_graphql_api_id : null;
  if (!id) return { status: "ignored" as const };
  const row = await db.orderBackfill.findFirst({ where: { shop, bulkOperationId: id, status: "running" }, select: { id: true } });
  if (!row) return { status: "ignored" as const };
  // The poll that verifies the status with Shopify runs now (the webhook's
  // word is not taken for the file's URL, which only the API gives).
  const { created } = await queueCrmSync({ shop, actionType: BACKFILL_ACTION, stageId: row.id, customerId: orderingKey(row.id), idempotencyKey: `backfill:${row.id}:finished` });
  if (created) wakeWorker();
  return { status: "queued" as const, backfillId: row.id };
}

/** A read slice: records from its line on, one chunk per transaction, until the file ends or the slice's time is up. */
async function read(db: Db, admin: ShopifyAdmin, row: Row, item: Item, signal: AbortSignal): Promise<ProcessorResult> {
  const shop = row.shop;
  const from = Number(/:from:(\d+)$/.exec(item.idempotencyKey)?.[1] ?? NaN);
  const next = (line: number) =>
    queueCrmSync({ shop, actionType: BACKFILL_ACTION, stageId: row.id, customerId: orderingKey(row.id), idempotencyKey: `backfill:${row.id}:from:${line}`, maxAttempts: 20 });
  if (from !== row.linesDone) {
    // Not this item's turn (a poll finding the read under way, or a slice
    // retried after it had handed over): make sure the slice at the current
    // position exists, and leave it to that one.
    await next(row.linesDone);
    return { result: { skipped: `reading at line ${row.linesDone}` } };
  }
  const state = await bulkOperationState(admin, row.bulkOperationId!, { signal });
  if (!state?.url) {
    // Shopify gives no file for an empty result.
    if (state?.status === "COMPLETED" && state.objectCount === 0) {
      await db.orderBackfill.updateMany({ where: { id: row.id, shop, status: "reading" }, data: { status: "completed", completedAt: new Date() } });
      return { result: { completed: true, lines: 0 } };
    }
    throw new Error("Shopify gave no result file for the finished bulk query");
  }
  const began = Date.now();
  const firstLine = row.linesDone;
  let line = 0;
  let done = row.linesDone;
  let chunk: { line: number; order: BulkOrder | null }[] = [];
  const slice = new AbortController();
  const flush = async () => {
    if (!chunk.length) return;
    await recordChunk(db, shop, row.id, done, chunk);
    done += chunk.length;
    chunk = [];
  };
  for await (const text of bulkResultLines(state.url, { signal: AbortSignal.any([signal, slice.signal]) })) {
    line++;
    if (line <= done) continue;
    let order: BulkOrder | null = null;
    try {
      order = parseBulkOrder(text);
    } catch (error) {
      // One unreadable line must not stop a year of orders; it is counted as skipped.
      log("backfill", "warn", "unreadable_line", { shop, backfill: row.id, line, error: error instanceof Error ? error.message.slice(0, 200) : String(error) });
    }
    chunk.push({ line, order });
    if (chunk.length >= BACKFILL_CHUNK) {
      await flush();
      if (signal.aborted || Date.now() - began > SLICE_MS) {
        slice.abort();
        await next(done);
        return { result: { from: firstLine, to: done, continues: true } };
      }
    }
  }
  await flush();
  await db.orderBackfill.updateMany({ where: { id: row.id, shop, status: "reading", linesDone: done }, data: { status: "completed", completedAt: new Date() } });
  return { result: { from: firstLine, to: done, completed: true } };
}

type Counts = { recorded: number; known: number; skipped: number; refunds: number };

/**
 * One chunk of lines, in one transaction with the backfill's new position.
 * A race lost to a live webhook (the same order or refund created meanwhile)
 * or a deadlock with another multi-member writer rolls the chunk back whole;
 * it runs again and finds the winner's rows.
 */
async function recordChunk(db: Db, shop: string, backfillId: string, before: number, lines: { line: number; order: BulkOrder | null }[]) {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.$transaction(
        async (tx) => {
          const counts: Counts = { recorded: 0, known: 0, skipped: 0, refunds: 0 };
          const orders = lines.flatMap((l) => (l.order ? [l.order] : []));
          // The chunk's members are locked at once (ascending ids), then their rows read once.
          const ctx = await recordingContext(tx, shop, orders);
          counts.skipped += lines.length - orders.length;
          for (const order of orders) await recordBulkOrder(tx, shop, order, counts, ctx);
          const { count } = await tx.orderBackfill.updateMany({
            where: { id: backfillId, shop, status: "reading", linesDone: before },
            data: {
              linesDone: before + lines.length,
              ordersRecorded: { increment: counts.recorded },
              ordersKnown: { increment: counts.known },
              ordersSkipped: { increment: counts.skipped },
              refundsRecorded: { increment: counts.refunds },
            },
          });
          // Another slice recorded these lines first: nothing of this one may commit.
          if (count !== 1) throw new ChunkTaken();
        },
        { timeout: 120_000, maxWait: 30_000 },
      );
      return;
    } catch (error) {
      if (error instanceof ChunkTaken) throw new Error(`Backfill ${backfillId}: lines after ${before} were recorded by another slice`);
      if (!(isRetryableRace(error) || isUniqueViolation(error) || isDeadlock(error)) || attempt >= 5) throw error;
    }
  }
}

class ChunkTaken extends Error {}

function isDeadlock(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${String((error as { code?: unknown }).code ?? "")}` : String(error);
  return /40P01|deadlock detected|40001/.test(text);
}

/**
 * One order of the result, as the webhooks would have recorded it: the
 * purchase (orders/create's rules, no decision), its refunds (refunds/create's
 * rows, by their ids) and its cancellation (orders/cancelled's).
 */
async function recordBulkOrder(tx: Tx, shop: string, o: BulkOrder, counts: Counts, ctx: RecordingContext) {
  if (!o.customer || o.test) {
    counts.skipped++;
    return;
  }
  if (o.cancelledAt) {
    // As orders/create: a cancelled order we never recorded never counts. One we
    // recorded stops counting, as orders/cancelled would have made it.
    const recorded = ctx.purchases.get(o.orderId);
    if (!recorded) {
      counts.skipped++;
      return;
    }
    const r = await insertRefundIn(tx, { shop, orderId: o.orderId, refundId: cancelRefundId(o.orderId), amountCents: cents(recorded.amountCents), occurredAt: o.cancelledAt }, o.financialStatus, ctx);
    counts.known++;
    if (r.status === "recorded") counts.refunds++;
    return;
  }
  // With refunds, the purchase is the order's subtotal as placed and the
  // refunds take the refunded lines back out (as orders/create then
  // refunds/create record it); without, the current subtotal (an edit that
  // removed lines counts as it stands).
  const amountCents = o.refunds.length ? o.subtotalCents : o.currentSubtotalCents;
  const outcome = await recordOrderFactsIn(
    tx,
    shop,
    { orderId: o.orderId, platform: "shopify", customer: o.customer, at: o.createdAt, amountCents, currency: o.currency, financialStatus: o.financialStatus },
    ORDERS_BACKFILL,
    ctx,
  );
  if (outcome.status === "backfilled") counts.recorded++;
  else if (outcome.status === "duplicate") counts.known++;
  else counts.skipped++;
  for (const r of refundShares(o)) {
    const done = await insertRefundIn(tx, { shop, orderId: o.orderId, refundId: r.refundId, amountCents: r.amountCents, occurredAt: r.createdAt ?? o.createdAt }, null, ctx);
    if (done.status === "recorded") counts.refunds++;
  }
}

/**
 * Each refund's share of the refunded subtotal (subtotal - current subtotal):
 * a bulk query cannot read a refund's lines (a connection inside a list
 * field), so the refunded lines' subtotal is known per order and shared out
 * by each refund's total (which carries tax and shipping too). The order's
 * sum is exact; a refund also delivered by refunds/create keeps the amount
 * first recorded (one row per refund id).
 */
export function refundShares(o: Pick<BulkOrder, "subtotalCents" | "currentSubtotalCents" | "refunds">) {
  const refunded = Math.max(0, o.subtotalCents - o.currentSubtotalCents);
  const totals = o.refunds.reduce((s, r) => s + r.totalRefundedCents, 0);
  let left = refunded;
  return o.refunds.map((r, i) => {
    const share = i === o.refunds.length - 1 ? left : totals > 0 ? Math.floor((refunded * r.totalRefundedCents) / totals) : Math.floor(refunded / o.refunds.length);
    left -= share;
    return { refundId: r.refundId, createdAt: r.createdAt, amountCents: share };
  });
}

export type BackfillView = {
  id: string;
  status: BackfillStatus;
  trigger: string;
  since: Date;
  objectCount: number;
  linesDone: number;
  ordersRecorded: number;
  ordersKnown: number;
  ordersSkipped: number;
  refundsRecorded: number;
  error: string | null;
  createdAt: Date;
  completedAt: Date | null;
};

/** The shop's latest backfill, for Settings' progress (read from the database, so a reload shows the same). */
export async function latestBackfill(db: Db, shop: string): Promise<BackfillView | null> {
  const row = await db.orderBackfill.findFirst({ where: { shop }, orderBy: { createdAt: "desc" } });
  return row ? { ...row, status: row.status as BackfillStatus } : null;
}
