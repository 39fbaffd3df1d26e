// The inline sync at enrollment (Commerce7 shops): run the item now, through
// the same runner the worker uses, within a short deadline. Whatever happens,
// the row stays consistent: completed, or back in the queue with the error
// recorded for the worker to retry. The enrollment itself is never blocked
// beyond the deadline, and never fails because of it.
//
// A circuit breaker per shop (in this process): once an inline attempt runs
// into the deadline — the platform hangs — the shop's enrollments skip the
// inline attempt for ENROLL_INLINE_COOLDOWN_MS and go straight to the queue,
// so a hanging platform costs one merchant the deadline, not every
// enrollment. After the cool-down one enrollment tries inline again: an
// answer (any answer: the platform is not hanging) closes the breaker, another
// timeout opens it for another cool-down.
import type { Db } from "../db.server";
import { env } from "../env.server";
import { claimOne } from "./claim.server";
import { queueLog } from "./log.server";
import { wakeWorker } from "./notifier";
import { runItem } from "./run.server";

/** Consecutive inline timeouts of a shop after which its breaker opens. */
const OPEN_AFTER_TIMEOUTS = 1;

const breakers = new Map<string, { timeouts: number; openUntil: number; probing: boolean }>();

/** Whether the shop's inline attempt is skipped now (the breaker is open, or its one probe is running). */
function skipInline(shop: string, now: number): boolean {
  const b = breakers.get(shop);
  if (!b || b.timeouts < OPEN_AFTER_TIMEOUTS) return false;
  if (now < b.openUntil || b.probing) return true;
  b.probing = true; // half-open: this enrollment tries; the others keep queueing until it is answered
  return false;
}

function afterAttempt(shop: string, result: "answered" | "timed out" | "not tried", now: number) {
  const b = breakers.get(shop) ?? { timeouts: 0, openUntil: 0, probing: false };
  b.probing = false;
  if (result === "not tried") return;
  if (result === "answered") {
    breakers.delete(shop);
    return;
  }
  b.timeouts++;
  if (b.timeouts >= OPEN_AFTER_TIMEOUTS) {
    b.openUntil = now + env.ENROLL_INLINE_COOLDOWN_MS;
    queueLog("warn", "inline_breaker_open", { shop, timeouts: b.timeouts, coolDownMs: env.ENROLL_INLINE_COOLDOWN_MS });
  }
  breakers.set(shop, b);
}

export async function processNow(db: Db, shop: string, itemId: string, opts: { deadlineMs: number }): Promise<{ status: "completed" | "queued"; error?: string }> {
  if (skipInline(shop, Date.now())) {
    wakeWorker();
    return { status: "queued", error: "The platform did not answer recent syncs in time; this one is queued." };
  }
  let result: "answered" | "timed out" | "not tried" = "not tried";
  try {
    const item = await claimOne(db, itemId, { workerId: `inline:${process.pid}`, leaseMs: Math.max(env.QUEUE_LEASE_MS, opts.deadlineMs + 5000), now: new Date() });
    if (!item || item.shop !== shop) return { status: "queued" };
    const started = Date.now();
    result = "answered";
    const outcome = await runItem(db, item, {
      workerId: `inline:${process.pid}`,
      backoff: { baseMs: env.QUEUE_BACKOFF_BASE_MS, capMs: env.QUEUE_BACKOFF_CAP_MS },
      timeoutMs: opts.deadlineMs,
    });
    if (outcome === "completed") return { status: "completed" };
    // Not completed, and the whole deadline went by: the platform did not answer.
    if (outcome === "retry" && Date.now() - started >= opts.deadlineMs) result = "timed out";
    wakeWorker();
    const row = await db.crmSyncQueue.findFirst({ where: { id: itemId, shop }, select: { lastError: true } });
    return { status: "queued", error: row?.lastError ?? undefined };
  } finally {
    afterAttempt(shop, result, Date.now());
  }
}
