// Claiming due items, and taking back items whose worker died.
//
// Invariants:
// - An item moves pending → processing only through these statements, each of
//   which re-checks `status = 'pending'` on the row it updates, so two workers
//   (or two processes) can never both hold it; every claim bumps `fence`.
// - Per member (shop, customerId) the oldest non-terminal item runs first and
//   alone: an item is claimable only if no earlier item of that member is
//   pending or processing. A later item never overtakes an earlier one, even
//   one that is waiting out a backoff.
// - Fairness: a claim interleaves shops (round-robin by per-shop rank) and
//   takes at most `perShop` items of one shop, so one busy shop cannot crowd
//   the others out of a claim. Candidates are the oldest due items (a bounded
//   window, for constant cost); see docs/decisions/0005-sync-queue.md.
// PostgreSQL locks the chosen rows with FOR UPDATE SKIP LOCKED (concurrent
// claimers skip each other's rows instead of waiting); SQLite serialises
// writers, so the conditional UPDATE alone is atomic there.
import type { Db } from "../db.server";
import { dbProvider } from "../db.server";
import { raiseAlerts } from "./alerts.server";
import { queryItems } from "./sql.server";
import { refreshSyncState } from "./sync-state.server";
import type { QueueItem } from "./types";

// Candidates: the oldest due items (bounded by $6, so a claim costs the same
// with 100 or 100,000 items waiting), ranked per shop so a claim interleaves
// shops: every shop's first item, then every shop's second, and so on.
const RANKED = `
  SELECT c.id, c."nextRunAt", c."createdAt",
         ROW_NUMBER() OVER (PARTITION BY c.shop ORDER BY c."nextRunAt", c."createdAt", c.id) AS rn
  FROM (
    SELECT d.id, d.shop, d."customerId", d."nextRunAt", d."createdAt" FROM "CrmSyncQueue" d
    WHERE d.status = 'pending' AND d."nextRunAt" <= $3
    ORDER BY d."nextRunAt" LIMIT $6
  ) c
  WHERE NOT EXISTS (
      SELECT 1 FROM "CrmSyncQueue" p
      WHERE p.shop = c.shop AND p."customerId" = c."customerId"
        AND p.status IN ('pending', 'processing')
        AND (p."createdAt" < c."createdAt" OR (p."createdAt" = c."createdAt" AND p.id < c.id))
    )`;

const CLAIM_POSTGRES = `
  UPDATE "CrmSyncQueue" q
  SET status = 'processing', "lockedBy" = $1, "leaseUntil" = $2, fence = q.fence + 1, "updatedAt" = $3
  WHERE q.id IN (
    SELECT l.id FROM "CrmSyncQueue" l
    JOIN (${RANKED}) r ON r.id = l.id
    WHERE r.rn <= $4 AND l.status = 'pending'
    ORDER BY r.rn, r."nextRunAt", r."createdAt", r.id
    LIMIT $5
    FOR UPDATE OF l SKIP LOCKED
  ) AND q.status = 'pending'
  RETURNING q.*`;

const CLAIM_SQLITE = `
  UPDATE "CrmSyncQueue"
  SET status = 'processing', "lockedBy" = $1, "leaseUntil" = $2, fence = fence + 1, "updatedAt" = $3
  WHERE id IN (
    SELECT r.id FROM (${RANKED}) r WHERE r.rn <= $4
    ORDER BY r.rn, r."nextRunAt", r."createdAt", r.id
    LIMIT $5
  ) AND status = 'pending'
  RETURNING *`;

export type ClaimOptions = { workerId: string; limit: number; perShop: number; leaseMs: number; now: Date };

export async function claimDue(db: Db, o: ClaimOptions): Promise<QueueItem[]> {
  if (o.limit <= 0) return [];
  const leaseUntil = new Date(o.now.getTime() + o.leaseMs);
  const text = dbProvider === "postgresql" ? CLAIM_POSTGRES : CLAIM_SQLITE;
  return queryItems(db, text, o.workerId, leaseUntil, o.now, o.perShop, o.limit, Math.max(200, o.limit * 8));
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

/**
 * Items whose lease ran out (their worker crashed or hung) go back to pending
 * at once — seconds, not hours — and the lost run counts as an attempt. Bumping
 * the fence means the old worker, should it wake up, can record nothing.
 */
export async function recoverExpiredLeases(db: Db, now: Date): Promise<QueueItem[]> {
  return db.$transaction(async (tx) => {
  const recovered = await queryItems(
    tx,
    `UPDATE "CrmSyncQueue"
     SET status = CASE WHEN attempts + 1 >= "maxAttempts" THEN 'failed' ELSE 'pending' END,
         attempts = attempts + 1, fence = fence + 1, "lockedBy" = NULL, "leaseUntil" = NULL, "nextRunAt" = $1,
         "lastError" = 'The worker running this item stopped responding (lease expired); retrying.', "updatedAt" = $1
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
    await raiseAlerts(tx, recovered.filter((item) => item.status === "failed"));
    for (const shop of new Set(recovered.map((item) => item.shop))) {
      await refreshSyncState(tx, shop, recovered.filter((item) => item.shop === shop).map((item) => item.enrollmentId));
    }
  }
  return recovered;
  });
}
