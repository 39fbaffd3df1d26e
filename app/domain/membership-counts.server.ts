// Memberships started and ended per shop, tier and UTC day (ADR 0029): the
// database's triggers on Enrollment append MembershipDayDelta rows; this folds
// them into MembershipDayCount, so the home page's charts read a few rows per
// day instead of every membership.
//
// Invariants:
// - A count is MembershipDayCount plus the deltas not folded yet, at every
//   moment: a fold moves deltas into counts in one transaction, so a reader
//   (one statement) sees each delta exactly once, folded or not.
// - Safe in every instance at once. On PostgreSQL the fold is one statement
//   whose DELETE … RETURNING hands each delta to exactly one fold (a second
//   fold waits for the first's row locks, then finds those rows gone), and
//   counts are upserted in key order, so two folds never deadlock. SQLite runs
//   one write transaction at a time.
// - Deltas are only ever inserted by triggers and deleted here; nobody updates
//   them, so writers of memberships never wait on each other for a count.
import { dbProvider, type Db } from "../db.server";
import { exec, queryRows } from "../queue/sql.server";

/** Folds every delta into the counts; returns how many deltas it folded. */
export async function foldMembershipCounts(db: Db): Promise<number> {
  if (dbProvider === "postgresql") {
    const rows = await queryRows<{ n: unknown }>(
      db,
      `WITH moved AS (DELETE FROM "MembershipDayDelta" RETURNING shop, "tierId", kind, day, n),
            sums AS (SELECT shop, "tierId", kind, day, SUM(n)::int AS n, COUNT(*) AS deltas FROM moved GROUP BY 1, 2, 3, 4),
            -- A data-modifying WITH runs once, to completion, whether or not it is read.
            upserted AS (
              INSERT INTO "MembershipDayCount" (shop, "tierId", kind, day, n)
              SELECT shop, "tierId", kind, day, n FROM sums ORDER BY 1, 2, 3, 4
              ON CONFLICT (shop, "tierId", kind, day) DO UPDATE SET n = "MembershipDayCount".n + EXCLUDED.n)
       SELECT COALESCE(SUM(deltas), 0) AS n FROM sums`,
    );
    return Number(rows[0]?.n ?? 0);
  }
  return db.$transaction(async (tx) => {
    const [top] = await queryRows<{ id: unknown; n: unknown }>(tx, `SELECT MAX(id) AS id, COUNT(*) AS n FROM "MembershipDayDelta"`);
    if (!top || top.id === null) return 0;
    const max = Number(top.id);
    // "WHERE true" keeps SQLite from reading ON CONFLICT as part of the SELECT's join.
    await exec(
      tx,
      `INSERT INTO "MembershipDayCount" (shop, "tierId", kind, day, n)
       SELECT shop, "tierId", kind, day, SUM(n) FROM "MembershipDayDelta" WHERE id <= $1 GROUP BY 1, 2, 3, 4
       ON CONFLICT (shop, "tierId", kind, day) DO UPDATE SET n = "MembershipDayCount".n + excluded.n`,
      max,
    );
    await exec(tx, `DELETE FROM "MembershipDayDelta" WHERE id <= $1`, max);
    return Number(top.n);
  });
}
