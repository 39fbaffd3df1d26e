// Running one claimed item: the processor, then exactly one recorded outcome.
// Used by the worker and by the inline sync at enrollment, so both behave the same.
import type { Db } from "../db.server";
import { backoffDelay, type BackoffPolicy } from "./backoff";
import { isSyncError } from "./errors";
import { isTransportFailure } from "../integrations/network-errors";
import { recordDeferral, recordFailure, recordRetry, recordSuccessAlone, type AttemptInfo, type Success } from "./finish.server";
import { queueLog } from "./log.server";
import { observeAttempt } from "../metrics.server";
import { getProcessor } from "./registry";
import type { ErrorKind, QueueItem } from "./types";

/** A throttled item is deferred at most this many times before a deferral costs an attempt. */
export const MAX_THROTTLE_DEFERRALS = 50;
const DEFAULT_THROTTLE_DELAY_MS = 5_000;

export type RunOptions = {
  workerId: string;
  backoff: BackoffPolicy;
  timeoutMs: number;
  random?: () => number;
  /** Aborts the run (shutdown); the item is then released by the caller, not failed. */
  signal?: AbortSignal;
  onPermanentFailure?: (item: QueueItem, reason: string) => void;
  /** Records a success (the worker batches them; default: one transaction each). */
  recordSuccess?: (s: Success) => Promise<boolean>;
  /** Called once the processor has returned, before the outcome is recorded (frees the worker's slot). */
  onProcessed?: () => void;
  /** The item's shop row, when the caller has it already. */
  shop?: ShopRow | null;
  /** Epoch ms until which recording a success may be retried (default: the timeout from now). */
  recordDeadline?: number;
  /** Platform requests the caller already took pace tokens for (a Commerce7 item's first). */
  prepaidRequests?: number;
};

/**
 * Items running in this process, by id, across every worker and the inline
 * sync: one process never runs two copies of one item, whatever claims it
 * holds (a stale copy left in a buffer, a second worker in the same process).
 */
const runningHere = new Set<string>();

/** `cancelled`: the shop uninstalled while the item ran; it ended quietly (lifecycle.server.ts). */
export type RunOutcome = "completed" | "retry" | "failed" | "cancelled" | "throttled" | "stale" | "aborted" | "duplicate";

type ShopRow = { domain: string; crm: string; timezone: string };

export async function runItem(db: Db, item: QueueItem, o: RunOptions): Promise<RunOutcome> {
  if (runningHere.has(item.id)) {
    queueLog("warn", "duplicate_run_refused", { shop: item.shop, item: item.id, worker: o.workerId });
    o.onProcessed?.();
    return "duplicate";
  }
  runningHere.add(item.id);
  try {
    return await runOnce(db, item, o);
  } finally {
    runningHere.delete(item.id);
  }
}

async function runOnce(db: Db, item: QueueItem, o: RunOptions): Promise<RunOutcome> {
  const startedAt = new Date();
  const shopRow =
    o.shop !== undefined ? o.shop : await db.shop.findUnique({ where: { domain: item.shop }, select: { domain: true, crm: true, timezone: true } });
  const shop: ShopRow = shopRow ?? { domain: item.shop, crm: "shopify", timezone: "UTC" };
  const info = (extra: Partial<AttemptInfo> = {}): AttemptInfo => ({
    workerId: o.workerId,
    startedAt,
    durationMs: Date.now() - startedAt.getTime(),
    ...extra,
  });
  const done = (outcome: RunOutcome, extra: Record<string, unknown> = {}) => {
    observeAttempt(item.platform, item.actionType, outcome, Date.now() - startedAt.getTime());
    queueLog(outcome === "failed" ? "warn" : "info", "attempt", {
      shop: item.shop,
      item: item.id,
      action: item.actionType,
      attempt: item.attempts + 1,
      outcome,
      durationMs: Date.now() - startedAt.getTime(),
      ...extra,
    });
    return outcome;
  };

  // The item's own platform, not the shop's current one: items queued before
  // a platform switch still run against the platform they were queued for.
  const processor = getProcessor(item.platform, item.actionType);
  if (!processor) {
    const reason = `No ${item.platform} processor for "${item.actionType}".`;
    const recorded = await recordFailure(db, item, info({ error: reason }));
    if (recorded === "failed") o.onPermanentFailure?.(item, reason);
    return done(recorded, { error: reason });
  }

  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  try {
    const out = await processor({ db, item, shop, signal, attempt: item.attempts + 1, prepaidRequests: o.prepaidRequests });
    o.onProcessed?.();
    if (o.signal?.aborted) return done("aborted");
    const success = { item, out, info: info(), deadline: o.recordDeadline ?? Date.now() + o.timeoutMs };
    const held = o.recordSuccess ? await o.recordSuccess(success) : await recordSuccessAlone(db, success);
    return done(held ? "completed" : "stale");
  } catch (error) {
    o.onProcessed?.();
    if (o.signal?.aborted && !timeout.aborted) return done("aborted");
    const message = timeout.aborted ? `No answer within ${o.timeoutMs} ms` : error instanceof Error ? error.message : String(error);
    const httpStatus = isSyncError(error) ? error.httpStatus : undefined;
    const kind = timeout.aborted ? "retryable" : isSyncError(error) ? error.kind : "retryable";
    // What the merchant will read (app/queue/reasons.ts): "could not be reached" only when nothing answered.
    const errorKind: ErrorKind = kind === "retryable" && (timeout.aborted || isTransportFailure(error)) ? "unreachable" : kind;

    if (kind === "throttled" && item.throttleDeferrals < MAX_THROTTLE_DEFERRALS) {
      const wait = isSyncError(error) && error.retryAfterMs !== undefined ? error.retryAfterMs : DEFAULT_THROTTLE_DELAY_MS;
      const ok = await recordDeferral(db, item, wait, info({ error: message, httpStatus, kind: errorKind }));
      return done(ok ? "throttled" : "stale", { retryAfterMs: wait });
    }
    if (kind === "permanent" || kind === "auth") {
      const recorded = await recordFailure(db, item, info({ error: message, httpStatus, kind: errorKind }));
      if (recorded === "failed") o.onPermanentFailure?.(item, message);
      return done(recorded, { error: message, httpStatus });
    }
    const delay = backoffDelay(item.attempts + 1, o.backoff, o.random);
    const { recorded, failed, cancelled } = await recordRetry(db, item, delay, info({ error: message, httpStatus, kind: errorKind }));
    if (failed) o.onPermanentFailure?.(item, message);
    const outcome = !recorded ? "stale" : cancelled ? "cancelled" : failed ? "failed" : "retry";
    return done(outcome, { error: message, httpStatus, delayMs: outcome === "retry" ? delay : undefined });
  }
}
