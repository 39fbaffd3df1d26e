// The order history backfill's calls to Shopify (ADR 0023): start the bulk
// query, watch it, and read its JSONL result line by line.
//
// The result of 12 months of orders can be hundreds of megabytes: it is
// streamed from the URL and handed over one line at a time, never held whole.
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { z } from "zod";
import { SyncError } from "../../queue/errors";
import { decimalToMinor } from "../../domain/money";
import { networkProblem } from "../network-errors";
import { assertNoUserErrors, payloadOf, type ShopifyAdmin } from "./admin.server";
import { BULK_OPERATION_QUERY, BULK_RUN_QUERY_MUTATION, CURRENT_BULK_OPERATION_QUERY, ordersBulkQuery } from "./operations";

type Opts = { signal?: AbortSignal };

/**
 * Starts the bulk query of the orders placed since `since`; answers its id.
 * The query's text depends on `since` only, so a retry whose first reply was
 * lost finds its own operation running (OPERATION_IN_PROGRESS) and adopts it.
 */
export async function startOrdersBulkQuery(admin: ShopifyAdmin, since: Date, opts: Opts = {}): Promise<{ id: string }> {
  const query = ordersBulkQuery(since);
  const res = payloadOf("bulkOperationRunQuery", (await admin.request(BULK_RUN_QUERY_MUTATION, { query }, opts)).bulkOperationRunQuery);
  if (res.userErrors.some((e) => e.code === "OPERATION_IN_PROGRESS")) {
    const current = (await admin.request(CURRENT_BULK_OPERATION_QUERY, {}, opts)).bulkOperations.nodes[0];
    if (current && current.query.trim() === query.trim()) return { id: current.id };
    // Another bulk query of this app (an older backfill's) is running: wait for it.
    throw new SyncError("retryable", "Shopify is running another bulk query for this app; the backfill starts when it ends", { platform: "shopify", retryAfterMs: 30_000 });
  }
  assertNoUserErrors("bulkOperationRunQuery", res.userErrors);
  if (!res.bulkOperation) throw new SyncError("retryable", "Shopify bulkOperationRunQuery: no operation in the answer", { platform: "shopify" });
  return { id: res.bulkOperation.id };
}

export type BulkState = { status: string; errorCode: string | null; objectCount: number; url: string | null };

export async function bulkOperationState(admin: ShopifyAdmin, id: string, opts: Opts = {}): Promise<BulkState | null> {
  const op = (await admin.request(BULK_OPERATION_QUERY, { id }, opts)).bulkOperation;
  if (!op) return null;
  return { status: op.status, errorCode: op.errorCode ?? null, objectCount: Number(op.objectCount ?? 0), url: op.url ?? null };
}

/** The result file's lines, as they arrive. Stop early by leaving the loop (the download is cancelled). */
export async function* bulkResultLines(url: string, opts: Opts = {}): AsyncGenerator<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: opts.signal });
  } catch (error) {
    throw new SyncError("retryable", `Shopify bulk result: Shopify ${networkProblem(error)}`, { platform: "shopify", cause: error });
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new SyncError(res.status === 404 || res.status === 403 ? "permanent" : "retryable", `Shopify bulk result: HTTP ${res.status}`, { platform: "shopify", httpStatus: res.status });
  }
  const stream = Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) if (line.trim()) yield line;
  } catch (error) {
    throw new SyncError("retryable", `Shopify bulk result: the download broke off (${networkProblem(error)})`, { platform: "shopify", cause: error });
  } finally {
    lines.close();
    stream.destroy();
  }
}

const moneyBag = z.object({ shopMoney: z.object({ amount: z.string(), currencyCode: z.string().regex(/^[A-Z]{3}$/) }) });
const orderLine = z.object({
  id: z.string().startsWith("gid://shopify/Order/"),
  createdAt: z.iso.datetime({ offset: true }),
  cancelledAt: z.iso.datetime({ offset: true }).nullish(),
  test: z.boolean(),
  email: z.string().nullish(),
  displayFinancialStatus: z.string().nullish(),
  customer: z
    .object({ id: z.string().startsWith("gid://shopify/Customer/"), firstName: z.string().nullish(), lastName: z.string().nullish(), defaultEmailAddress: z.object({ emailAddress: z.string().nullish() }).nullish() })
    .nullish(),
  subtotalPriceSet: moneyBag.nullish(),
  currentSubtotalPriceSet: moneyBag,
  refunds: z.array(z.object({ id: z.string().startsWith("gid://shopify/Refund/"), createdAt: z.iso.datetime({ offset: true }).nullish(), totalRefundedSet: moneyBag })).default([]),
});

/** One order of the result, in the shop's money (minor units). */
export type BulkOrder = {
  orderId: string;
  createdAt: Date;
  cancelledAt: Date | null;
  test: boolean;
  /** Shopify's webhook spelling ("paid", "pending", …), as the paid-spend rules read it. */
  financialStatus: string | null;
  customer: { id: string; email: string; firstName: string; lastName: string } | null;
  currency: string;
  subtotalCents: number;
  currentSubtotalCents: number;
  refunds: { refundId: string; createdAt: Date | null; totalRefundedCents: number }[];
};

/** Reads one JSONL line; throws with the field named when it is not an order we can read. */
export function parseBulkOrder(line: string): BulkOrder {
  const o = orderLine.parse(JSON.parse(line));
  const currency = o.currentSubtotalPriceSet.shopMoney.currencyCode;
  const minor = (bag: z.infer<typeof moneyBag>) => {
    const v = decimalToMinor(bag.shopMoney.amount, bag.shopMoney.currencyCode);
    if (v === null) throw new Error(`not an amount in ${bag.shopMoney.currencyCode}: ${bag.shopMoney.amount}`);
    return v;
  };
  const current = minor(o.currentSubtotalPriceSet);
  return {
    orderId: o.id,
    createdAt: new Date(o.createdAt),
    cancelledAt: o.cancelledAt ? new Date(o.cancelledAt) : null,
    test: o.test,
    financialStatus: o.displayFinancialStatus ? o.displayFinancialStatus.toLowerCase() : null,
    customer: o.customer
      ? { id: o.customer.id, email: (o.customer.defaultEmailAddress?.emailAddress || o.email || "").trim().toLowerCase(), firstName: o.customer.firstName ?? "", lastName: o.customer.lastName ?? "" }
      : null,
    currency,
    subtotalCents: o.subtotalPriceSet ? minor(o.subtotalPriceSet) : current,
    currentSubtotalCents: current,
    refunds: o.refunds.map((r) => ({ refundId: r.id, createdAt: r.createdAt ? new Date(r.createdAt) : null, totalRefundedCents: minor(r.totalRefundedSet) })),
  };
}
