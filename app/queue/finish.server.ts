// Recording an attempt's outcome. Each function is one transaction that
// (a) changes the item's status only if this worker still holds it — same id,
// same fence, still processing — and (b) writes the attempt's SyncAttempt row.
// If the fence moved (the lease expired and someone else took the item), the
// stale worker records nothing: it returns false and the caller logs it.
import type { Db, Tx } from "../db.server";
import { dbProvider } from "../db.server";
import { raiseAlerts } from "./alerts.server";
import { promoteNext } from "./claim.server";
import { UNINSTALLED_REASON, shopUninstalled } from "./lifecycle.server";
import { queueLog } from "./log.server";
import { queryRows, sql } from "./sql.server";
import { refreshSyncState } from "./sync-state.server";
import type { ProcessorResult } from "./registry";
import type { AttemptOutcome, ErrorKind, QueueItem } from "./types";

export type AttemptInfo = {
  workerId: string;
  startedAt: Date;
  durationMs: number;
  httpStatus?: number;
  error?: string;
  /** How it failed, kept beside lastError for the merchant's sentence (app/queue/reasons.ts). */
  kind?: ErrorKind;
};

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

export type Success = {
  item: QueueItem;
  out: ProcessorResult;
  info: AttemptInfo;
  /** Epoch ms after which recording is no longer tried (the claim's lease is ending). */
  deadline?: number;
};

/**
 * Records several successes in ONE transaction (group commit): one fenced
 * update for the group, one insert of their attempt rows, the next item of
 * each member made a candidate, then each item's side writes (remote ids on
 * the enrollment and customer) and sync states. Returns, per entry, whether
 * this worker still held the item. `sideWrites: false` records the
 * completion alone (see recordSuccessAlone).
 */
export async function recordSuccesses(db: Db, entries: Success[], opts: { sideWrites?: boolean; note?: string } = {}): Promise<boolean[]> {
  if (entries.length === 0) return [];
  const sideWrites = opts.sideWrites !== false && entries.some(({ out }) => hasSideWrites(out));
  if (dbProvider === "postgresql" && !sideWrites) {
    const done = await completeInOneStatement(db, entries, opts.note);
    return entries.map(({ item }) => done.has(item.id));
  }
  return db.$transaction(async (tx) => {
    const now = new Date();
    // One fenced UPDATE for the whole group: a row changes only if this worker
    // still holds it (same id, same fence, still processing).
    const values = entries.map((_, i) => `($${i * 3 + 2}, $${i * 3 + 3}, $${i * 3 + 4})`).join(", ");
    const params = entries.flatMap(({ item, out }) => [item.id, item.fence, out.result ? JSON.stringify(out.result) : null]);
    const updated = await tx.$queryRawUnsafe<{ id: string }[]>(
      sql(`WITH v(id, fence, result) AS (VALUES ${values})
       UPDATE "CrmSyncQueue" SET status = 'completed', "completedAt" = $1, attempts = attempts + 1, result = v.result,
         "lastError" = NULL, "lastErrorKind" = NULL, "lockedBy" = NULL, "leaseUntil" = NULL, "updatedAt" = $1
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
          error: opts.note ? opts.note.slice(0, 2000) : null,
        })),
      });
      await promoteNext(tx, kept.map((k) => k.item));
    }
    if (opts.sideWrites !== false) {
      for (const { item, out } of kept) {
        if (item.enrollmentId && out.enrollment && "platformMembershipId" in out.enrollment) {
          await tx.enrollment.updateMany({
            where: { id: item.enrollmentId, shop: item.shop },
            data: { platformMembershipId: out.enrollment.platformMembershipId ?? null },
          });
        }
        // Each platform's id goes to its own column, and only where it is still unknown.
        const { shopifyCustomerId, commerce7CustomerId } = out.customer ?? {};
        if (shopifyCustomerId) {
          await tx.customer.updateMany({ where: { id: item.customerId, shop: item.shop, shopifyCustomerId: null }, data: { shopifyCustomerId } });
        }
        if (commerce7CustomerId) {
          await tx.customer.updateMany({ where: { id: item.customerId, shop: item.shop, commerce7CustomerId: null }, data: { commerce7CustomerId } });
        }
      }
    }
    for (const shop of new Set(kept.map(({ item }) => item.shop))) {
      await refreshSyncState(tx, shop, kept.filter(({ item }) => item.shop === shop).map(({ item }) => item.enrollmentId));
    }
    return held;
  });
}

/** A processor's answer that writes beyond the queue: remote ids kept on the enrollment or the customer. */
function hasSideWrites(out: ProcessorResult): boolean {
  return Boolean((out.enrollment && "platformMembershipId" in out.enrollment) || out.customer?.shopifyCustomerId || out.customer?.commerce7CustomerId);
}

/**
 * PostgreSQL, successes without side writes (the common case): the same
 * writes as the transaction in recordSuccesses — fenced completion, attempt
 * rows, the members' next items made candidates, the enrollments' sync
 * states — as ONE statement, so one round trip and no transaction to open
 * and commit. A statement is atomic, so nothing of it is recorded unless all
 * of it is. Its sub-statements all read the snapshot from before the
 * completion, so the promotion treats the items completed here as no longer
 * open, and the sync state of an enrollment whose latest item is one of them
 * is "synced" (the mapping of sync-state.server.ts).
 */
async function completeInOneStatement(db: Db | Tx, entries: Success[], note?: string): Promise<Set<string>> {
  const now = new Date();
  const width = 5;
  const values = entries
    .map((_, i) => `(${Array.from({ length: width }, (_, k) => `$${i * width + k + 3}`).join(", ")})`)
    .join(", ");
  const params = entries.flatMap(({ item, out, info }) => [
    item.id,
    item.fence,
    out.result ? JSON.stringify(out.result) : null,
    info.startedAt,
    Math.max(0, Math.round(info.durationMs)),
  ]);
  const rows = await queryRows<{ id: string }>(
    db,
    `WITH v(id, fence, result, started, duration) AS (VALUES ${values}),
     done AS (
       UPDATE "CrmSyncQueue" q SET status = 'completed', "completedAt" = $1, attempts = q.attempts + 1, result = v.result,
         "lastError" = NULL, "lastErrorKind" = NULL, "lockedBy" = NULL, "leaseUntil" = NULL, "updatedAt" = $1
       FROM v WHERE q.id = v.id AND q.fence = CAST(v.fence AS INTEGER) AND q.status = 'processing'
       RETURNING q.id, q.shop, q."customerId", q."enrollmentId", q.attempts, v.started, v.duration
     ),
     attempts AS (
       INSERT INTO "SyncAttempt" (id, shop, "queueId", attempt, "startedAt", "durationMs", outcome, "workerId", error)
       SELECT gen_random_uuid()::text, d.shop, d.id, d.attempts, CAST(d.started AS TIMESTAMP(3)), CAST(d.duration AS INTEGER), 'success', $2, CAST($${params.length + 3} AS TEXT)
       FROM done d
     ),
     promoted AS (
       UPDATE "CrmSyncQueue" SET ready = TRUE WHERE id IN (
         SELECT n.id FROM "CrmSyncQueue" n
         JOIN (SELECT DISTINCT shop, "customerId" FROM done) g ON g.shop = n.shop AND g."customerId" = n."customerId"
         WHERE n.status = 'pending' AND n.ready = FALSE AND NOT EXISTS (
           SELECT 1 FROM "CrmSyncQueue" p
           WHERE p.shop = n.shop AND p."customerId" = n."customerId" AND p.status IN ('pending', 'processing')
             AND p.id NOT IN (SELECT id FROM done)
             AND (p."createdAt" < n."createdAt" OR (p."createdAt" = n."createdAt" AND p.id < n.id))))
     ),
     states AS (
       UPDATE "Enrollment" e SET "syncState" = COALESCE((
         SELECT CASE WHEN q.id IN (SELECT id FROM done) THEN 'synced'
                     WHEN q.status = 'completed' THEN 'synced' WHEN q.status = 'failed' THEN 'failed'
                     WHEN q.status = 'cancelled' THEN 'discarded' ELSE 'pending' END
         FROM "CrmSyncQueue" q
         WHERE q.shop = e.shop AND q."enrollmentId" = e.id
         ORDER BY q."createdAt" DESC, q.id DESC LIMIT 1), e."syncState")
       WHERE (e.shop, e.id) IN (SELECT shop, "enrollmentId" FROM done WHERE "enrollmentId" IS NOT NULL)
     )
     SELECT id FROM done`,
    now,
    entries[0]!.info.workerId,
    ...params,
    note ? note.slice(0, 2000) : null,
  );
  return new Set(rows.map((r) => String(r.id)));
}

/** A rule of the data refused the write (unique, foreign key, null, too long): trying again cannot help. */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^P20(00|02|03|11|12)$/.test(code);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One success on its own, for when its group's transaction failed. The
 * platform has already done the work, so the recording is retried — never
 * the platform call — until the claim's lease nears its end:
 * - a side write that breaks a rule of the data (say, the remote customer id
 *   already belongs to another customer here) cannot succeed on retry: the
 *   item is recorded completed without it, and the attempt row and the log
 *   say which write was left out and why;
 * - anything else (the database unreachable) is retried with backoff.
 */
export async function recordSuccessAlone(db: Db, entry: Success): Promise<boolean> {
  for (let n = 0; ; n++) {
    try {
      const [held] = await recordSuccesses(db, [entry]);
      return held ?? false;
    } catch (error) {
      // Prisma's message opens with where it was called; the rule it names is on the last line.
      const message = (error instanceof Error ? error.message : String(error)).trim().split("\n").at(-1)!.trim();
      if (isDataError(error)) {
        queueLog("warn", "success_side_write_refused", { shop: entry.item.shop, item: entry.item.id, error: message.slice(0, 500) });
        const [held] = await recordSuccesses(db, [entry], { sideWrites: false, note: `Completed on the platform; a local write of its answer was refused: ${message}` });
        return held ?? false;
      }
      const wait = Math.min(2_000, 50 * 2 ** n);
      if (Date.now() + wait > (entry.deadline ?? 0)) throw error;
      await sleep(wait);
    }
  }
}

/**
 * Collects successes for a moment and records them together (see
 * recordSuccesses). If the group's transaction fails, each success is
 * recorded on its own (recordSuccessAlone), so one item's failing write never
 * turns another item's remote success into a retry.
 */
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
    } catch {
      // The whole transaction rolled back: nothing of it is recorded. Record each alone.
      await Promise.all(batch.map((b) => recordSuccessAlone(this.db, b.entry).then(b.resolve, b.reject)));
    }
  }
}

export async function recordSuccess(db: Db, item: QueueItem, out: ProcessorResult, info: AttemptInfo): Promise<boolean> {
  return recordSuccessAlone(db, { item, out, info, deadline: Date.now() + 5_000 });
}

/**
 * The item of a shop that uninstalled meanwhile ends quietly: cancelled, as
 * the uninstall cancelled its pending items, with the attempt recorded and no
 * alert (lifecycle.server.ts). The caller checked shopUninstalled first.
 */
async function endUninstalled(tx: Tx, item: QueueItem, attempts: number, info: AttemptInfo): Promise<boolean> {
  const { count } = await tx.crmSyncQueue.updateMany({
    where: held(item),
    data: { status: "cancelled", attempts, lastError: info.error ?? null, lastErrorKind: info.kind ?? null, discardedBy: null, discardReason: UNINSTALLED_REASON, lockedBy: null, leaseUntil: null },
  });
  if (count === 0) return false;
  await attemptRow(tx, item, attempts, "failed", info);
  await refreshSyncState(tx, item.shop, [item.enrollmentId]);
  await promoteNext(tx, [item]);
  return true;
}

export type FailureRecorded = "failed" | "cancelled" | "stale";

/**
 * A retryable failure: one attempt used; pending again after `delayMs`, or
 * failed when none are left (`cancelled` instead when the shop uninstalled).
 */
export async function recordRetry(db: Db, item: QueueItem, delayMs: number, info: AttemptInfo): Promise<{ recorded: boolean; failed: boolean; cancelled: boolean }> {
  const attempts = item.attempts + 1;
  const failed = attempts >= item.maxAttempts;
  const outcome = await db.$transaction(async (tx) => {
    if (await shopUninstalled(tx, item.shop)) return (await endUninstalled(tx, item, attempts, info)) ? "cancelled" : "stale";
    const { count } = await tx.crmSyncQueue.updateMany({
      where: held(item),
      data: {
        status: failed ? "failed" : "pending",
        attempts,
        nextRunAt: new Date(Date.now() + (failed ? 0 : delayMs)),
        lastError: failed ? `Gave up after ${attempts} attempts. Last error: ${info.error ?? "unknown"}` : (info.error ?? null),
        lastErrorKind: info.kind ?? null,
        lockedBy: null,
        leaseUntil: null,
      },
    });
    if (count === 0) return "stale";
    await attemptRow(tx, item, attempts, failed ? "failed" : "retry", info);
    await refreshSyncState(tx, item.shop, [item.enrollmentId]);
    if (failed) {
      await promoteNext(tx, [item]);
      await raiseAlerts(tx, [item]);
    }
    return "recorded";
  });
  return { recorded: outcome !== "stale", failed: outcome === "recorded" && failed, cancelled: outcome === "cancelled" };
}

/**
 * A permanent failure: failed at once, with the reason a merchant can act on
 * (`cancelled`, with no alert, when the shop uninstalled meanwhile).
 */
export async function recordFailure(db: Db, item: QueueItem, info: AttemptInfo): Promise<FailureRecorded> {
  return db.$transaction(async (tx) => {
    if (await shopUninstalled(tx, item.shop)) return (await endUninstalled(tx, item, item.attempts + 1, info)) ? "cancelled" : "stale";
    const { count } = await tx.crmSyncQueue.updateMany({
      where: held(item),
      data: { status: "failed", attempts: { increment: 1 }, lastError: info.error ?? "failed", lastErrorKind: info.kind ?? "permanent", lockedBy: null, leaseUntil: null },
    });
    if (count === 0) return "stale";
    await attemptRow(tx, item, item.attempts + 1, "failed", info);
    await refreshSyncState(tx, item.shop, [item.enrollmentId]);
    await promoteNext(tx, [item]);
    await raiseAlerts(tx, [item]);
    return "failed";
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
        lastErrorKind: "throttled",
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
      data: { status: "pending", nextRunAt: new Date(), lockedBy: null, leaseUntil: null, lastError: info.error ?? null, lastErrorKind: null },
    });
    if (count === 0) return false;
    await attemptRow(tx, item, item.attempts, "released", info);
    return true;
  });
}
