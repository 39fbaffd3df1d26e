// The home page: its figures and its three charts. Every figure and every
// chart is one set-based query (grouped counts, no per-member or per-tier
// loops), so its cost follows the shop's rows through an index, not its
// members one by one (bench/dashboard.ts measures them at 100,000 members).
//
// Months are calendar months on the shop's calendar (dates.ts, monthStarts):
// the query is handed the months' boundaries as instants and buckets rows by
// them, so SQLite and PostgreSQL count alike and neither needs time-zone data.
import type { Db } from "../db.server";
import { queryRows } from "../queue/sql.server";
import { queueStats } from "../queue/stats.server";
import { hourLabel, monthLabel, monthStarts } from "./dates";
import { shopTimeZone } from "./shops.server";

export const CHART_MONTHS = 12;
export const SYNC_HOURS = 24;

/**
 * Which of the intervals between `boundaries` sorted instants `col` falls in:
 * 0 for col <= b[0] (col < b[0] with "<"), … , n for col after b[n-1]. A
 * binary search as nested CASEs: a handful of comparisons per row, not n.
 */
function bucket(col: string, firstParam: number, boundaries: number, op: "<" | "<=" = "<"): string {
  const search = (lo: number, hi: number): string => {
    if (lo === hi) return String(lo);
    const mid = (lo + hi) >> 1;
    return `CASE WHEN ${col} ${op} $${firstParam + mid} THEN ${search(lo, mid)} ELSE ${search(mid + 1, hi)} END`;
  };
  return search(0, boundaries);
}

const num = (v: unknown) => Number(v ?? 0);

export const MOVEMENTS = ["joined", "upgraded", "renewed", "expired", "cancelled"] as const;
export type Movement = (typeof MOVEMENTS)[number];

/**
 * Both membership charts from one statement over what started or ended within
 * the year, by the month it fell in.
 *
 * Active members per tier at each month's end (the current month: now): a
 * membership is active at T if it started by T and its end (when it ended,
 * or its expiry if sooner) is after T. With S(T) the memberships started by T
 * and E(T) those ended by T, active(T) = S(T) − E(T), so counting back from
 * today needs only the year's starts and ends, never every membership the
 * shop ever had: active(T) = active(now) − started in (T, now] + ended in (T, now].
 *
 * Changes per month: upgrades, expiries and cancellations are ends by how they
 * ended; a tier change ends one membership and starts the next at the same
 * instant, so joins are the starts less the tier changes; renewals are
 * Renewal rows.
 */
export async function membershipMonths(db: Db, shop: string, from: Date, ends: Date[]) {
  const now = ends.at(-1)!;
  // Rows from `from` (the first month's start) on; bucket i holds month i, (ends[i-1], ends[i]].
  const inner = ends.slice(0, -1);
  const b = (col: string) => bucket(col, 4, inner.length, "<=");
  const end = `CASE WHEN "endedAt" IS NOT NULL AND "endedAt" < "expiresAt" THEN "endedAt" ELSE "expiresAt" END`;
  // Each part reads one covering index (no table row per membership). The ends
  // are grouped month first: grouped by status and tier first, SQLite would walk
  // the (shop, tierId, status) index for its order and read every row.
  const rows = await queryRows<{ kind: string; tierId: string | null; m: unknown; n: unknown }>(
    db,
    `SELECT 'now' AS kind, "tierId", 0 AS m, COUNT(*) AS n FROM "Enrollment"
       WHERE shop = $1 AND status = 'active' AND "expiresAt" > $3 GROUP BY 2
     UNION ALL
     SELECT 'start' AS kind, "tierId", ${b(`"startedAt"`)} AS m, COUNT(*) AS n FROM "Enrollment"
       WHERE shop = $1 AND "startedAt" > $2 AND "startedAt" <= $3 GROUP BY 2, 3
     UNION ALL
     SELECT status AS kind, "tierId", ${b(end)} AS m, COUNT(*) AS n FROM "Enrollment"
       WHERE shop = $1 AND "endedAt" IS NOT NULL AND "endedAt" > $2 AND ${end} > $2 AND ${end} <= $3 GROUP BY 3, 1, 2
     UNION ALL
     SELECT 'lapsed' AS kind, "tierId", ${b(`"expiresAt"`)} AS m, COUNT(*) AS n FROM "Enrollment"
       WHERE shop = $1 AND status = 'active' AND "expiresAt" > $2 AND "expiresAt" <= $3 GROUP BY 2, 3
     UNION ALL
     SELECT 'renewed' AS kind, NULL AS "tierId", ${b(`"renewedAt"`)} AS m, COUNT(*) AS n FROM "Renewal"
       WHERE shop = $1 AND "renewedAt" > $2 AND "renewedAt" <= $3 GROUP BY 3`,
    shop,
    from,
    now,
    ...inner,
  );
  const zeros = () => ends.map(() => 0);
  const add = (xs: number[], i: number, n: number) => (xs[i] = (xs[i] ?? 0) + n);
  const tiers = new Map<string, { now: number; starts: number[]; ends: number[] }>();
  const of = (tierId: string) => {
    let t = tiers.get(tierId);
    if (!t) tiers.set(tierId, (t = { now: 0, starts: zeros(), ends: zeros() }));
    return t;
  };
  const movements = Object.fromEntries(MOVEMENTS.map((k) => [k, zeros()])) as Record<Movement, number[]>;
  const tierChanges = zeros();
  for (const r of rows) {
    const m = num(r.m);
    const n = num(r.n);
    if (r.kind === "renewed") {
      add(movements.renewed, m, n);
      continue;
    }
    const t = of(String(r.tierId));
    if (r.kind === "now") t.now += n;
    else if (r.kind === "start") {
      add(t.starts, m, n);
      add(movements.joined, m, n);
    } else {
      // Every way a membership ends, and an active one that lapsed before the
      // expiry job ended it (only an active membership has no endedAt: every
      // end sets it, so the query reads status, which its index holds).
      add(t.ends, m, n);
      if (r.kind === "upgraded" || r.kind === "moved_down") add(tierChanges, m, n);
      if (r.kind === "upgraded" || r.kind === "expired" || r.kind === "cancelled") add(movements[r.kind], m, n);
    }
  }
  ends.forEach((_, i) => (movements.joined[i] = (movements.joined[i] ?? 0) - (tierChanges[i] ?? 0)));
  // active at ends[i] = now − Σ_{j>i} starts[j] + Σ_{j>i} ends[j].
  const active = new Map(
    [...tiers].map(([tierId, t]) => {
      const counts = zeros();
      let n = t.now;
      for (let i = ends.length - 1; i >= 0; i--) {
        counts[i] = n;
        n = n - (t.starts[i] ?? 0) + (t.ends[i] ?? 0);
      }
      return [tierId, counts];
    }),
  );
  return { active, movements };
}

/** Sync attempts of the last 24 hours per hour: completed, and failed or retried (including lost leases). */
export async function syncByHour(db: Db, shop: string, hours: Date[], now: Date) {
  const inner = hours.slice(1);
  const rows = await queryRows<{ ok: unknown; h: unknown; n: unknown }>(
    db,
    `SELECT CASE WHEN outcome = 'success' THEN 1 ELSE 0 END AS ok, ${bucket(`"startedAt"`, 4, inner.length)} AS h, COUNT(*) AS n
     FROM "SyncAttempt"
     WHERE shop = $1 AND "startedAt" >= $2 AND "startedAt" <= $3 AND outcome IN ('success', 'retry', 'failed', 'lease_expired')
     GROUP BY 1, 2`,
    shop,
    hours[0],
    now,
    ...inner,
  );
  const completed = hours.map(() => 0);
  const failed = hours.map(() => 0);
  for (const r of rows) {
    const series = num(r.ok) ? completed : failed;
    series[num(r.h)] = (series[num(r.h)] ?? 0) + num(r.n);
  }
  return { completed, failed };
}

export type Charts = Awaited<ReturnType<typeof dashboardCharts>>;

/** The home page's charts: members per tier by month, movements by month, sync by hour. */
/** The charts' periods: the shop's last 12 calendar months (the last one ends now) and the last 24 hours. */
export function chartPeriods(now: Date, timeZone: string) {
  const starts = monthStarts(now, timeZone, CHART_MONTHS);
  const ends = [...starts.slice(1), now];
  const hourMs = 3_600_000;
  const firstHour = Math.floor(now.getTime() / hourMs) * hourMs - (SYNC_HOURS - 1) * hourMs;
  const hours = Array.from({ length: SYNC_HOURS }, (_, i) => new Date(firstHour + i * hourMs));
  return { starts, ends, hours };
}

export async function dashboardCharts(db: Db, shop: string, now = new Date()) {
  const timeZone = await shopTimeZone(db, shop);
  const { starts, ends, hours } = chartPeriods(now, timeZone);
  const [tiers, { active, movements }, sync] = await Promise.all([
    db.tier.findMany({ where: { shop }, orderBy: [{ active: "desc" }, { rank: "asc" }], select: { id: true, name: true, active: true } }),
    membershipMonths(db, shop, starts[0]!, ends),
    syncByHour(db, shop, hours, now),
  ]);
  return {
    months: starts.map((s) => monthLabel(s, timeZone)),
    // Tiers that had members at some point of the year, in upgrade order.
    activeByTier: tiers
      .map((t) => ({ tier: t.name, counts: active.get(t.id) ?? starts.map(() => 0) }))
      .filter((t) => t.counts.some((n) => n > 0)),
    movements,
    hours: hours.map((h) => hourLabel(h, timeZone)),
    sync,
  };
}

export async function dashboard(db: Db, shop: string, now = new Date()) {
  const timeZone = await shopTimeZone(db, shop);
  // "This month" is the shop's calendar month.
  const [monthStart] = monthStarts(now, timeZone, 1) as [Date];
  const in30 = new Date(now.getTime() + 30 * 86_400_000);
  const [tiers, perTier, newThisMonth, endedThisMonth, expiringSoon, queue] = await Promise.all([
    db.tier.findMany({ where: { shop, active: true }, orderBy: { rank: "asc" }, select: { id: true, name: true } }),
    db.enrollment.groupBy({ by: ["tierId"], where: { shop, status: "active" }, _count: true }),
    // New members: enrollments made by enroll(), the only path that carries an
    // idempotency key. A tier change also starts an enrollment, but no member.
    db.enrollment.count({ where: { shop, createdAt: { gte: monthStart }, idempotencyKey: { not: null } } }),
    // Every tier change ends one enrollment, as `upgraded` (up the order, by the
    // merchant or by spend) or `moved_down`: each counted as what it was.
    db.enrollment.groupBy({ by: ["status"], where: { shop, status: { in: ["upgraded", "moved_down"] }, endedAt: { gte: monthStart } }, _count: true }),
    db.enrollment.count({ where: { shop, status: "active", expiresAt: { gte: now, lte: in30 } } }),
    queueStats(db, { shop, now }),
  ]);
  const counts = new Map(perTier.map((g) => [g.tierId, g._count]));
  return {
    activeByTier: tiers.map((t) => ({ id: t.id, name: t.name, members: counts.get(t.id) ?? 0 })),
    activeTotal: perTier.reduce((sum, g) => sum + g._count, 0),
    newThisMonth,
    upgradesThisMonth: endedThisMonth.find((g) => g.status === "upgraded")?._count ?? 0,
    movedDownThisMonth: endedThisMonth.find((g) => g.status === "moved_down")?._count ?? 0,
    expiringSoon,
    queue: { pending: queue.counts.pending ?? 0, processing: queue.counts.processing ?? 0, failed: queue.counts.failed ?? 0 },
  };
}
