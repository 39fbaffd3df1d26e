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
import { ENDED_AS } from "./membership-status";
import { shopTimeZone } from "./shops.server";

export const CHART_MONTHS = 12;
export const SYNC_HOURS = 24;

const num = (v: unknown) => Number(v ?? 0);

export const MOVEMENTS = ["joined", "upgraded", "renewed", "expired", "cancelled"] as const;
export type Movement = (typeof MOVEMENTS)[number];

/**
 * Both membership charts from one statement, by the month things fell in.
 *
 * Active members per tier at each month's end (the current month: now): a
 * membership is active at T if it started by T and its end (the earlier of
 * when it ended and its expiry) is after T. Counting back from today:
 * active(T) = active(now) − started in (T, now] + ended in (T, now].
 *
 * Changes per month: upgrades, expiries and cancellations are ends by how they
 * ended; a tier change ends one membership and starts the next at the same
 * instant, so joins are the starts less the tier changes; renewals are
 * Renewal rows.
 *
 * Starts and ends come from the per-day counts the database keeps
 * (MembershipDayCount and its unfolded deltas, ADR 0029), a few rows per day
 * whatever the club's size. Those days are UTC days and the months are the
 * shop's, so a UTC day that holds a month boundary (or the window's start or
 * now) is counted from Enrollment itself, each row by its instant: at most 13
 * days of rows. Memberships still active past their expiry (the expiry job has
 * not run yet, or in grace) are read live too: they have not ended, but the
 * charts count them as ended at their expiry. Active now = active rows (all
 * starts less all ends) less those.
 */
export async function membershipMonths(db: Db, shop: string, from: Date, ends: Date[]) {
  const now = ends.at(-1)!;
  const params: unknown[] = [shop];
  const p = (value: unknown) => `$${params.push(value)}`;
  // The window's instants: bucket −1 is at or before `from`, month i is
  // (edges[i], edges[i+1]], and 12 after now.
  const edges = [from, ...ends];
  const edgeParams = edges.map(p);
  const byInstant = (col: string) => `${caseBucket(col, edgeParams, "<=")} - 1`;
  const utcDay = (d: Date) => d.toISOString().slice(0, 10);
  const days = [...new Set(edges.map(utcDay))];
  const dayParams = edges.map((e) => p(utcDay(e)));
  // A day that holds no edge falls wholly in one bucket: the number of edges on earlier days, less one.
  const byDay = `${caseBucket("day", dayParams, "<")} - 1`;
  const exactDays = days.map((d) => ({ from: p(new Date(`${d}T00:00:00.000Z`)), to: p(new Date(new Date(`${d}T00:00:00.000Z`).getTime() + 86_400_000)) }));
  const inExactDays = (col: string) => `(${exactDays.map((d) => `(${col} >= ${d.from} AND ${col} < ${d.to})`).join(" OR ")})`;
  const notExactDay = `day NOT IN (${days.map((d) => p(d)).join(", ")})`;
  const nowParam = p(now);
  const fromParam = p(from);
  const ended = ENDED_AS.map((s) => `'${s}'`).join(", ");
  const rows = await queryRows<{ kind: string; tierId: string | null; m: unknown; n: unknown }>(
    db,
    `SELECT kind, "tierId", ${byDay} AS m, SUM(n) AS n FROM (
       SELECT "tierId", kind, day, n FROM "MembershipDayCount" WHERE shop = $1 AND ${notExactDay}
       UNION ALL
       SELECT "tierId", kind, day, n FROM "MembershipDayDelta" WHERE shop = $1 AND ${notExactDay}
     ) counted GROUP BY 1, 2, 3
     UNION ALL
     SELECT 'start' AS kind, "tierId", ${byInstant(`"startedAt"`)} AS m, COUNT(*) AS n FROM "Enrollment"
       WHERE shop = $1 AND ${inExactDays(`"startedAt"`)} GROUP BY 2, 3
     UNION ALL
     SELECT status AS kind, "tierId", ${byInstant(`"endedAt"`)} AS m, COUNT(*) AS n FROM "Enrollment"
       WHERE shop = $1 AND ${inExactDays(`"endedAt"`)} AND "endedAt" < "expiresAt" AND status IN (${ended}) GROUP BY 3, 1, 2
     UNION ALL
     SELECT status AS kind, "tierId", ${byInstant(`"expiresAt"`)} AS m, COUNT(*) AS n FROM "Enrollment"
       WHERE shop = $1 AND status IN (${ended}) AND ${inExactDays(`"expiresAt"`)} AND ("endedAt" IS NULL OR "endedAt" >= "expiresAt") GROUP BY 3, 1, 2
     UNION ALL
     SELECT 'lapsed' AS kind, "tierId", ${byInstant(`"expiresAt"`)} AS m, COUNT(*) AS n FROM "Enrollment"
       WHERE shop = $1 AND status = 'active' AND "expiresAt" <= ${nowParam} GROUP BY 2, 3
     UNION ALL
     SELECT 'renewed' AS kind, NULL AS "tierId", ${byInstant(`"renewedAt"`)} AS m, COUNT(*) AS n FROM "Renewal"
       WHERE shop = $1 AND "renewedAt" > ${fromParam} AND "renewedAt" <= ${nowParam} GROUP BY 3`,
    ...params,
  );
  const months = ends.length;
  const zeros = () => ends.map(() => 0);
  const inWindow = (m: number) => m >= 0 && m < months;
  const add = (xs: number[], i: number, n: number) => (xs[i] = (xs[i] ?? 0) + n);
  const tiers = new Map<string, { rows: number; lapsed: number; starts: number[]; ends: number[] }>();
  const of = (tierId: string) => {
    let t = tiers.get(tierId);
    if (!t) tiers.set(tierId, (t = { rows: 0, lapsed: 0, starts: zeros(), ends: zeros() }));
    return t;
  };
  const movements = Object.fromEntries(MOVEMENTS.map((k) => [k, zeros()])) as Record<Movement, number[]>;
  const tierChanges = zeros();
  for (const r of rows) {
    const m = num(r.m);
    const n = num(r.n);
    if (r.kind === "renewed") {
      if (inWindow(m)) add(movements.renewed, m, n);
      continue;
    }
    const t = of(String(r.tierId));
    if (r.kind === "start") {
      t.rows += n;
      if (inWindow(m)) {
        add(t.starts, m, n);
        add(movements.joined, m, n);
      }
    } else if (r.kind === "lapsed") {
      // Active, but past its expiry: counted as ended there.
      t.lapsed += n;
      if (inWindow(m)) add(t.ends, m, n);
    } else {
      t.rows -= n;
      if (inWindow(m)) {
        add(t.ends, m, n);
        if (r.kind === "upgraded" || r.kind === "moved_down") add(tierChanges, m, n);
        if (r.kind === "upgraded" || r.kind === "expired" || r.kind === "cancelled") add(movements[r.kind], m, n);
      }
    }
  }
  ends.forEach((_, i) => (movements.joined[i] = (movements.joined[i] ?? 0) - (tierChanges[i] ?? 0)));
  // active at ends[i] = now − Σ_{j>i} starts[j] + Σ_{j>i} ends[j].
  const active = new Map(
    [...tiers].map(([tierId, t]) => {
      const counts = zeros();
      let n = t.rows - t.lapsed;
      for (let i = ends.length - 1; i >= 0; i--) {
        counts[i] = n;
        n = n - (t.starts[i] ?? 0) + (t.ends[i] ?? 0);
      }
      return [tierId, counts];
    }),
  );
  return { active, movements };
}

/**
 * Which bucket `col` falls in among the sorted `values` (placeholders): the
 * first i for which `col op values[i]` holds, or n when none does. A binary
 * search as nested CASEs: a handful of comparisons per row, not n.
 */
function caseBucket(col: string, values: string[], op: "<" | "<="): string {
  const search = (lo: number, hi: number): string => {
    if (lo === hi) return String(lo);
    const mid = (lo + hi) >> 1;
    return `CASE WHEN ${col} ${op} ${values[mid]} THEN ${search(lo, mid)} ELSE ${search(mid + 1, hi)} END`;
  };
  return search(0, values.length);
}

/** Sync attempts of the last 24 hours per hour: completed, and failed or retried (including lost leases). */
export async function syncByHour(db: Db, shop: string, hours: Date[], now: Date) {
  const inner = hours.slice(1);
  const rows = await queryRows<{ ok: unknown; h: unknown; n: unknown }>(
    db,
    `SELECT CASE WHEN outcome = 'success' THEN 1 ELSE 0 END AS ok, ${caseBucket(`"startedAt"`, inner.map((_, i) => `$${4 + i}`), "<")} AS h, COUNT(*) AS n
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
