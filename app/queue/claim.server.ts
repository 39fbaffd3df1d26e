// Claiming due items, handing back unstarted ones, and taking back items whose
// worker died.
//
// Invariants:
// - An item moves pending → processing only through these statements, each of
//   which re-checks `status = 'pending'` on the row it updates, so two workers
//   (or two processes) can never both hold it; every claim bumps `fence`.
// - Per member (shop, customerId) the oldest non-terminal item runs first and
//   alone: an item is claimable only if no earlier item of that member is
//   pending or processing. A later item never overtakes an earlier one, even
//   one that is waiting out a backoff. The claim checks this on the rows it
//   takes, so it holds whatever `ready` says.
// - Candidates are heads only: `ready` marks the earliest open item of its
//   member (set at enqueue, passed on when an item ends, see promoteNext), so
//   a long blocked group takes no room among the candidates, and a claim
//   reads the oldest due heads through one index whatever waits behind them.
//   `ready` may be true for an item that is not a head (the claim skips it);
//   it must never be false for a head, or that member would stall: where a
//   race can leave it so (PostgreSQL, an enqueue committing beside its
//   predecessor's end), repairReady puts it right within a poll.
// - Fairness: a claim interleaves shops (round-robin by per-shop rank) and
//   takes at most `perShop` items of one shop, so one busy shop cannot crowd
//   the others out of a claim. See docs/decisions/0005-sync-queue.md.
// PostgreSQL fences the chosen rows in a CTE (SELECT … LIMIT n FOR UPDATE SKIP
// LOCKED, then UPDATE … FROM it): the limit is applied once, to rows this
// claim has locked, so the update can never touch more than n rows whatever
// plan is chosen, and concurrent claimers skip each other's rows instead of
// waiting. SQLite serialises writers, so the conditional UPDATE alone is
// atomic there.
import type { Db, Tx } from "../db.server";
import { dbProvider } from "../db.server";
import { raiseAlerts } from "./alerts.server";
import { exec, queryItems, queryRows } from "./sql.server";
import { refreshSyncState } from "./sync-state.server";
import type { QueueItem } from "./types";

/** An open item of the same member created before `x` (the per-member order). */
const EARLIER_OPEN = (x: string) => `EXISTS (
      SELECT 1 FROM "CrmSyncQueue" p
      WHERE p.shop = ${x}.shop AND p."customerId" = ${x}."customerId"
        AND p.status IN ('pending', 'processing')
        AND (p."createdAt" < ${x}."createdAt" OR (p."createdAt" = ${x}."createdAt" AND p.id < ${x}.id)))`;

/**
 * EARLIER_OPEN for a few candidates, checked one candidate at a time through
 * the (shop, customerId, createdAt) index. Written as a scalar subquery
 * because PostgreSQL turns NOT EXISTS into an anti join, and for a few hundred
 * candidates it chose a hash anti join over every open item: a claim then
 * cost a scan of the whole queue (80 ms at 20,000 waiting).
 */
const NO_EARLIER_OPEN_EACH = (x: string) => `(
      SELECT 1 FROM "CrmSyncQueue" p
      WHERE p.shop = ${x}.shop AND p."customerId" = ${x}."customerId"
        AND p.status IN ('pending', 'processing')
        AND (p."createdAt" < ${x}."createdAt" OR (p."createdAt" = ${x}."createdAt" AND p.id < ${x}.id))
      LIMIT 1) IS NULL`;

// SQLite's planner, without statistics, would rather walk the status index
// than look up a handful of ids (or one member's items): "+col" keeps it off
// that index. PostgreSQL plans from statistics and needs no hint.
const unindexed = (col: string) => (dbProvider === "sqlite" ? `+${col}` : col);

const excluded = (param: string) =>
  dbProvider === "postgresql" ? `AND d.shop NOT IN (SELECT jsonb_array_elements_text(CAST(${param} AS jsonb)))` : `AND d.shop NOT IN (SELECT value FROM json_each(${param}))`;

// Candidates: the oldest due heads (bounded by $6, so a claim costs the same
// with 100 or 100,000 items waiting, however many are blocked behind others),
// ranked per shop so a claim interleaves shops: every shop's first item, then
// every shop's second, and so on.
const ranked = (exclude: boolean) => `
  SELECT c.id, c."nextRunAt", c."createdAt",
         ROW_NUMBER() OVER (PARTITION BY c.shop ORDER BY c."nextRunAt", c."createdAt", c.id) AS rn
  FROM (
    SELECT d.id, d.shop, d."customerId", d."nextRunAt", d."createdAt" FROM "CrmSyncQueue" d
    WHERE d.status = 'pending' AND d.ready = TRUE AND d."nextRunAt" <= $3 ${exclude ? excluded("$7") : ""}
    ORDER BY d."nextRunAt" LIMIT $6
  ) c
  WHERE ${NO_EARLIER_OPEN_EACH("c")}`;

const claimPostgres = (exclude: boolean) => `
  WITH c AS (
    SELECT l.id FROM "CrmSyncQueue" l
    JOIN (${ranked(exclude)}) r ON r.id = l.id
    WHERE r.rn <= $4 AND l.status = 'pending'
    ORDER BY r.rn, r."nextRunAt", r."createdAt", r.id
    LIMIT $5
    FOR UPDATE OF l SKIP LOCKED
  )
  UPDATE "CrmSyncQueue" q
  SET status = 'processing', "lockedBy" = $1, "leaseUntil" = $2, fence = q.fence + 1, "updatedAt" = $3
  FROM c WHERE q.id = c.id AND q.status = 'pending'
  RETURNING q.*`;

const claimSqlite = (exclude: boolean) => `
  UPDATE "CrmSyncQueue"
  SET status = 'processing', "lockedBy" = $1, "leaseUntil" = $2, fence = fence + 1, "updatedAt" = $3
  WHERE id IN (
    SELECT r.id FROM (${ranked(exclude)}) r WHERE r.rn <= $4
    ORDER BY r.rn, r."nextRunAt", r."createdAt", r.id
    LIMIT $5
  ) AND ${unindexed("status")} = 'pending'
  RETURNING *`;

export type ClaimOptions = { workerId: string; limit: number; perShop: number; leaseMs: number; now: Date; excludeShops?: string[] };

export async function claimDue(db: Db, o: ClaimOptions): Promise<QueueItem[]> {
  if (o.limit <= 0) return [];
  const leaseUntil = new Date(o.now.getTime() + o.leaseMs);
  const exclude = (o.excludeShops?.length ?? 0) > 0;
  const text = dbProvider === "postgresql" ? claimPostgres(exclude) : claimSqlite(exclude);
  const params: unknown[] = [o.workerId, leaseUntil, o.now, o.perShop, o.limit, Math.max(200, o.limit * 8)];
  if (exclude) params.push(JSON.stringify(o.excludeShops));
  const items = await queryItems(db, text, ...params);
  // The statement returns rows in no particular order; start them in claim order.
  return items.sort((a, b) => a.nextRunAt.getTime() - b.nextRunAt.getTime() || a.createdAt.getTime() - b.createdAt.getTime());
}

/** Claims one specific item (the inline sync at enrollment), if it is pending and first of its member. */
export async function claimOne(db: Db, id: string, o: Omit<ClaimOptions, "limit" | "perShop">): Promise<QueueItem | null> {
  const leaseUntil = new Date(o.now.getTime() + o.leaseMs);
  const rows = await queryItems(
    db,
    `UPDATE "CrmSyncQueue" SET status = 'processing', "lockedBy" = $1, "leaseUntil" = $2, fence = fence + 1, "updatedAt" = $3
     WHERE id = $4 AND status = 'pending' AND NOT EXISTS (
       SELECT 1 FROM "CrmSyncQueue" p
       WHERE p.shop = "CrmSyncQueue".shop AND p."customerId" = "CrmSyncQueue"."customerId"
         AND p.status IN ('pending', 'processing') AND p.id <> "CrmSyncQueue".id
         AND (p."createdAt" < "CrmSyncQueue"."createdAt" OR (p."createdAt" = "CrmSyncQueue"."createdAt" AND p.id < "CrmSyncQueue".id)))
     RETURNING *`,
    o.workerId,
    leaseUntil,
    o.now,
    id,
  );
  return rows[0] ?? null;
}

// VALUES lists carry untyped parameters; PostgreSQL needs the fence cast to compare it.
const castInt = (expr: string) => (dbProvider === "postgresql" ? `CAST(${expr} AS INTEGER)` : expr);

/**
 * Claimed items this worker never started go back to pending as they were
 * (same place in line, no attempt used, nothing recorded as an attempt), if
 * it still holds them. One statement for all of them.
 */
export async function handBack(db: Db, workerId: string, items: Pick<QueueItem, "id" | "fence">[]): Promise<number> {
  if (!items.length) return 0;
  const values = items.map((_, i) => `($${i * 2 + 3}, $${i * 2 + 4})`).join(", ");
  return exec(
    db,
    `WITH v(id, fence) AS (VALUES ${values})
     UPDATE "CrmSyncQueue" SET status = 'pending', "lockedBy" = NULL, "leaseUntil" = NULL, "updatedAt" = $1
     FROM v WHERE "CrmSyncQueue".id = v.id AND "CrmSyncQueue".fence = ${castInt("v.fence")}
       AND "CrmSyncQueue".status = 'processing' AND "CrmSyncQueue"."lockedBy" = $2`,
    new Date(),
    workerId,
    ...items.flatMap((i) => [i.id, i.fence]),
  );
}

/** The ids among `items` that this worker still holds: same fence, processing, lease not over at `now`. */
export async function stillHeld(db: Db, workerId: string, items: Pick<QueueItem, "id" | "fence">[], now: Date): Promise<Set<string>> {
  if (!items.length) return new Set();
  const rows = await queryRows<{ id: string; fence: unknown }>(
    db,
    `SELECT id, fence FROM "CrmSyncQueue"
     WHERE id IN (${items.map((_, i) => `$${i + 3}`).join(", ")}) AND status = 'processing' AND "lockedBy" = $1 AND "leaseUntil" > $2`,
    workerId,
    now,
    ...items.map((i) => i.id),
  );
  const fences = new Map(rows.map((r) => [String(r.id), Number(r.fence)]));
  return new Set(items.filter((i) => fences.get(i.id) === i.fence).map((i) => i.id));
}

/**
 * Called in the transaction where items end (completed, failed): the next open
 * item of each of their members becomes a candidate, if nothing earlier of
 * that member is still open.
 */
export async function promoteNext(tx: Db | Tx, ended: Pick<QueueItem, "shop" | "customerId">[]): Promise<number> {
  const groups = [...new Map(ended.map((e) => [`${e.shop}\u0000${e.customerId}`, e])).values()];
  if (!groups.length) return 0;
  const match = groups.map((_, i) => `(n.shop = $${i * 2 + 1} AND n."customerId" = $${i * 2 + 2})`).join(" OR ");
  return exec(
    tx,
    `UPDATE "CrmSyncQueue" SET ready = TRUE WHERE id IN (
       SELECT n.id FROM "CrmSyncQueue" n
       WHERE ${unindexed("n.status")} = 'pending' AND ${unindexed("n.ready")} = FALSE AND (${match}) AND NOT ${EARLIER_OPEN("n")})`,
    ...groups.flatMap((g) => [g.shop, g.customerId]),
  );
}

/**
 * Heads left unmarked by a race (see the invariants) are marked. Such an item
 * was enqueued just now, so it is found among items due from `since` on,
 * through the candidates' index; `since` null looks at every waiting item
 * (once, when a worker starts).
 */
export async function repairReady(db: Db, since: Date | null): Promise<number> {
  return exec(
    db,
    `UPDATE "CrmSyncQueue" SET ready = TRUE WHERE id IN (
       SELECT n.id FROM "CrmSyncQueue" n
       WHERE n.status = 'pending' AND n.ready = FALSE ${since ? `AND n."nextRunAt" >= $1` : ""} AND NOT ${EARLIER_OPEN("n")})`,
    ...(since ? [since] : []),
  );
}

/**
 * Items whose lease ran out (their worker crashed or hung) go back to pending
 * at once — seconds, not hours — and the lost run counts as an attempt. Bumping
 * the fence means the old worker, should it wake up, can record nothing.
 * Like a hand-back, the item keeps its place in line (its `nextRunAt`, which
 * is already due): a crash does not send it behind everything its shop queued
 * meanwhile (a member import, ADR 0022, queues thousands of member syncs
 * behind its own item).
 */
export async function recoverExpiredLeases(db: Db, now: Date): Promise<QueueItem[]> {
  return db.$transaction(async (tx) => {
    const recovered = await queryItems(
      tx,
      `UPDATE "CrmSyncQueue"
       SET status = CASE WHEN attempts + 1 >= "maxAttempts" THEN 'failed' ELSE 'pending' END,
           attempts = attempts + 1, fence = fence + 1, "lockedBy" = NULL, "leaseUntil" = NULL,
           "nextRunAt" = CASE WHEN "nextRunAt" < $1 THEN "nextRunAt" ELSE $1 END,
           "lastError" = 'The worker running this item stopped responding (lease expired); retrying.', "lastErrorKind" = NULL, "updatedAt" = $1
       WHERE status = 'processing' AND "leaseUntil" < $1
       RETURNING *`,
      now,
    );
    if (recovered.length) {
      await tx.syncAttempt.createMany({
        data: recovered.map((item) => ({
          shop: item.shop,
          queueId: item.id,
          attempt: item.attempts,
          startedAt: now,
          durationMs: 0,
          outcome: "lease_expired",
          error: "lease expired: the worker stopped responding",
        })),
      });
      const failed = recovered.filter((item) => item.status === "failed");
      await promoteNext(tx, failed);
      await raiseAlerts(tx, failed);
      for (const shop of new Set(recovered.map((item) => item.shop))) {
        await refreshSyncState(tx, shop, recovered.filter((item) => item.shop === shop).map((item) => item.enrollmentId));
      }
    }
    return recovered;
  });
}
