// The one place an enrollment's `syncState` is computed: from the enrollment's
// LATEST queue item (by createdAt, then id — the order the queue runs a
// member's items in). Processors converge the platform to the member's current
// state, so the latest item alone says whether the platform matches:
//
//   pending | processing → "pending"    (the platform is about to be updated)
//   completed            → "synced"
//   failed               → "failed"     (the merchant has to act)
//   cancelled            → "discarded"  (discarded by the merchant, or the app
//                                         was uninstalled: nothing will run)
//
// An enrollment without items keeps its state. Every path that creates an
// item or changes an item's status calls `refreshSyncState` in the same
// transaction: enqueue, the worker's outcomes, manual retry and discard,
// uninstall.
import type { Db, Tx } from "../db.server";
import { dbProvider } from "../db.server";
import { exec } from "./sql.server";

// SQLite's planner, without statistics, walks the shop's whole index (every
// enrollment, and for each every queue item of the shop) rather than look the
// ids up: "+col" keeps it off the shop indexes, onto the primary key and the
// items' enrollmentId index. PostgreSQL plans from statistics.
const unindexed = (col: string) => (dbProvider === "sqlite" ? `+${col}` : col);

export const SYNC_STATES = ["pending", "synced", "failed", "discarded"] as const;
export type SyncState = (typeof SYNC_STATES)[number];

const CHUNK = 500;

/** Recomputes `syncState` of these enrollments of `shop` from their latest items. */
export async function refreshSyncState(tx: Db | Tx, shop: string, enrollmentIds: Iterable<string | null | undefined>): Promise<void> {
  const ids = [...new Set([...enrollmentIds].filter((id): id is string => Boolean(id)))];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const part = ids.slice(i, i + CHUNK);
    await exec(
      tx,
      `UPDATE "Enrollment" SET "syncState" = COALESCE((
         SELECT CASE q.status WHEN 'completed' THEN 'synced' WHEN 'failed' THEN 'failed' WHEN 'cancelled' THEN 'discarded' ELSE 'pending' END
         FROM "CrmSyncQueue" q
         WHERE ${unindexed("q.shop")} = "Enrollment".shop AND q."enrollmentId" = "Enrollment".id
         ORDER BY q."createdAt" DESC, q.id DESC LIMIT 1), "syncState")
       WHERE ${unindexed("shop")} = $1 AND id IN (${part.map((_, n) => `$${n + 2}`).join(", ")})`,
      shop,
      ...part,
    );
  }
}
