// Recording an attempt's outcome. Each function is one transaction that
// (a) changes the item's status only if this worker still holds it — same id,
// same fence, still processing — and (b) writes the attempt's SyncAttempt row.
// If the fence moved (the lease expired and someone else took the item), the
// stale worker records nothing: it returns false and the caller logs it.
import type { Db, Tx } from "../db.server";
import { dbProvider } from "../db.server";
import { raiseAlerts } from "./alerts.server";
import { sql } from "./sql.server";
import { refreshSyncState } from "./sync-state.server";
import type { ProcessorResult } from "./registry";
import type { AttemptOutcome, QueueItem } from "./types";

export type AttemptInfo = { workerId: string; startedAt: Date; durationMs: number; httpStatus?: number; error?: string };

// VALUES lists carry untyped parameters; PostgreSQL needs the fence cast to compare it.
const castInt = (expr: string) => (dbProvider === "postgresql" ? `CAST(${expr} AS INTEGER)` : expr);

const held = (item: QueueItem) => ({ id: item.id, fence: item.fence, status: "processing" });

async function attemptRow(tx: Tx, item: QueueItem, attempt: number, outcome: AttemptOutcome, info: AttemptInfo) {
  await tx.syncAttempt.create({
    data: {
      shop: item.shop,
      queueId: item.id,
      attempt,
      startedAt: info.startedAt,
      durationMs: Math.max(0, Math.round(info.durationMs)),
      outcome,
      httpStatus: info.httpStatus ?? null,
      error: info.error ? info.error.slice(0, 2000) : null,
      workerId: info.workerId,
    },
  });
}

export type Success = { item: QueueItem; out: ProcessorResult; info: AttemptInfo };

/**
 * Records several successes in ONE transaction (group commit): a fenced update
 * per item, then one insert of all their attempt rows and one sync-state pass.
 * Returns, per entry, whether this worker still held the item.
 */
export async function recordSuccesses(db: Db, entries: Success[]): Promise<boolean[]> {
  if (entries.length === 0) return [];
  return db.$transaction(async (tx) => {
    const now = new Date();
    // One fenced UPDATE for the whole group: a row changes only if this worker
    // still holds it (same id, same fence, still processing).
    const values = entries.map((_, i) => `($${i * 3 + 2}, $${i * 3 + 3}, $${i * 3 + 4})`).join(", ");
    const params = entries.flatMap(({ item, out }) => [item.id, item.fence, out.result ? JSON.stringify(out.result) : null]);
    const updated = await tx.$queryRawUnsafe<{ id: string }[]>(
      sql(`WITH v(id, fence, result) AS (VALUES ${values})
       UPDATE "CrmSyncQueue" SET status = 'completed', "completedAt" = $1, attempts = attempts + 1, result = v.result,
         "lastError" = NULL, "lockedBy" = NULL, "leaseUntil" = NULL, "updatedAt" = $1
       FROM v WHERE "CrmSyncQueue".id = v.id AND "CrmSyncQueue".fence = ${castInt("v.fence")} AND "CrmSyncQueue".status = 'processing'
       RETURNING "CrmSyncQueue".id`),
      now,
      ...params,
    );
    const ok = new Set(updated.map((r) => String(r.id)));
    const held = entries.map(({ item }) => ok.has(item.id));
    const kept = entries.filter((_, i) => held[i]);
    if (kept.length) {
      await tx.syncAttempt.createMany({
        data: kept.map(({ item, info }) => ({
          shop: item.shop,
          queueId: item.id,
          attempt: item.attempts + 1,
          startedAt: info.startedAt,
          durationMs: Math.max(0, Math.round(info.durationMs)),
          outcome: "success",
          workerId: info.workerId,
        })),
      });
    }
    for (const { item, out } of kept) {
      if (item.enrollmentId && out.enrollment && "platformMembershipId" in out.enrollment) {
        await tx.enrollment.updateMany({
          where: { id: item.enrollmentId, shop: item.shop },
          data: { platformMembershipId: out.enrollment.platformMembershipId ?? null },
        });
      }
      if (out.customer?.platformId) {
        await tx.customer.updateMany({ where: { id: item.customerId, shop: item.shop, platformId: null }, data: { platformId: out.customer.platformId } });
      }
    }
    for (const shop of new Set(kept.map(({ item }) => item.shop))) {
      await refreshSyncState(tx, shop, kept.filter(({ item }) => item.shop === shop).map(({ item }) => item.enrollmentId));
    }
    return held;
  });
}

/** Collects successes for a moment and records them together (see recordSuccesses). */
export class SuccessBatcher {
  private pending: { entry: Success; resolve: (ok: boolean) => void; reject: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly maxBatch = 32,
    private readonly maxDelayMs = 2,
  ) {}

  record(entry: Success): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ entry, resolve, reject });
      if (this.pending.length >= this.maxBatch) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.maxDelayMs);
    });
  }

  async flush() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending.splice(0);
    if (!batch.length) return;
    try {
      const held = await recordSuccesses(this.db, batch.map((b) => b.entry));
      batch.forEach((b, i) => b.resolve(held[i]!));
    } catch (error) {
      batch.forEach((b) => b.reject(error));
    }
  }
}

export async function recordSuccess(db: Db, item: QueueItem, out: ProcessorResult, info: AttemptInfo): Promise<boolean> {
  const [held] = await recordSuccesses(db, [{ item, out, info }]);
  return held ?? false;
}

/** A retryable failure: one attempt used; pending again after `delayMs`, or failed when none are left. */
export async function recordRetry(db: Db, item: QueueItem, delayMs: number, info: AttemptInfo): Promise<{ recorded: boolean; failed: boolean }> {
  const attempts = item.attempts + 1;
  const failed = attempts >= item.maxAttempts;
  const recorded = await db.$transaction(async (tx) => {
    const { count } = await tx.crmSyncQueue.updateMany({
      where: held(item),
      data: {
        status: failed ? "failed" : "pending",
        attempts,
        nextRunAt: new Date(Date.now() + (failed ? 0 : delayMs)),
        lastError: failed ? `Gave up after ${attempts} attempts. Last error: ${info.error ?? "unknown"}` : (info.error ?? null),
        lockedBy: null,
        leaseUntil: null,
      },
    });
    if (count === 0) return false;
    await attemptRow(tx, item, attempts, failed ? "failed" : "retry", info);
    await refreshSyncState(tx, item.shop, [item.enrollmentId]);
    if (failed) await raiseAlerts(tx, [item]);
    return true;
  });
  return { recorded, failed: recorded && failed };
}

/** A permanent failure: failed at once, with the reason a merchant can act on. */
export async function recordFailure(db: Db, item: QueueItem, info: AttemptInfo): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.crmSyncQueue.updateMany({
      where: held(item),
      data: { status: "failed", attempts: { increment: 1 }, lastError: info.error ?? "failed", lockedBy: null, leaseUntil: null },
    });
    if (count === 0) return false;
    await attemptRow(tx, item, item.attempts + 1, "failed", info);
    await refreshSyncState(tx, item.shop, [item.enrollmentId]);
    await raiseAlerts(tx, [item]);
    return true;
  });
}

/** Throttled: wait as long as the platform asks, using no attempt. */
export async function recordDeferral(db: Db, item: QueueItem, retryAfterMs: number, info: AttemptInfo): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.crmSyncQueue.updateMany({
      where: held(item),
      data: {
        status: "pending",
        throttleDeferrals: { increment: 1 },
        nextRunAt: new Date(Date.now() + retryAfterMs),
        lastError: info.error ?? "throttled",
        lockedBy: null,
        leaseUntil: null,
      },
    });
    if (count === 0) return false;
    await attemptRow(tx, item, item.attempts, "throttled", info);
    return true;
  });
}

/** Shutdown: hand the item back untouched (no attempt used) for the next worker. */
export async function recordRelease(db: Db, item: QueueItem, info: AttemptInfo): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.crmSyncQueue.updateMany({
      where: held(item),
      data: { status: "pending", nextRunAt: new Date(), lockedBy: null, leaseUntil: null, lastError: info.error ?? null },
    });
    if (count === 0) return false;
    await attemptRow(tx, item, item.attempts, "released", info);
    return true;
  });
}
