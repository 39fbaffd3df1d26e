// The sync queue screen's data: the shop's items, newest first, by keyset
// pages (createdAt, id) in either direction, so the 10,000th page costs what
// the first does; filtered by status (the tabs), action, membership work or
// upkeep, platform, the day it was queued (shop-local) and a search of the
// member's name or email. Every statement is scoped to the shop and served by
// an index that starts with it: (shop, createdAt), (shop, status, createdAt),
// (shop, actionType, createdAt); the search is a subquery on the shop's
// customers. One statement for the page, one for its members, one for its
// last attempts; the tab counts are one grouped query.
import { z } from "zod";
import type { Db } from "../db.server";
import { localClock, localDate, addLocalDays, localDateTime, localDayStart, timeAgo } from "./dates";
import { searchTerm } from "./bounds";
import { decodeCursor, encodeCursor } from "./cursor";
import { ACTIONS, INTERNAL_ACTIONS, MEMBER_ACTIONS, PLATFORMS, STATUSES, isMemberAction } from "../queue/types";
import { actionLabel, itemReason } from "../queue/reasons";
import { sql } from "../queue/sql.server";

export const SYNC_PAGE = 50;
export const RANGES = ["today", "7d", "30d", "custom"] as const;
export const KINDS = ["membership", "internal"] as const;

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
/** Repeated URL parameters, each one kept only when it is a known value (an unknown one is ignored, never an error). */
const listOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.array(z.string()).catch([]).transform((xs) => [...new Set(xs.filter((x): x is T[number] => (values as readonly string[]).includes(x)))]);

export const syncListQuery = z.object({
  status: z.enum(STATUSES).optional().catch(undefined),
  action: listOf(ACTIONS),
  platform: listOf(PLATFORMS),
  kind: z.enum(KINDS).optional().catch(undefined),
  range: z.enum(RANGES).optional().catch(undefined),
  from: day.optional().catch(undefined),
  to: day.optional().catch(undefined),
  q: z.string().optional().catch(undefined).transform(searchTerm),
  cursor: z.string().max(200).optional().catch(undefined),
  before: z.string().max(200).optional().catch(undefined),
});
export type SyncListQuery = z.infer<typeof syncListQuery>;

/** The query from the URL: what is not understood is left out (the list still shows), never a 500. */
export function parseSyncListParams(params: URLSearchParams): SyncListQuery {
  return syncListQuery.parse({
    status: params.get("status") || undefined,
    action: params.getAll("action"),
    platform: params.getAll("platform"),
    kind: params.get("kind") || undefined,
    range: params.get("range") || undefined,
    from: params.get("from") || undefined,
    to: params.get("to") || undefined,
    q: params.get("q") ?? undefined,
    cursor: params.get("cursor") || undefined,
    before: params.get("before") || undefined,
  });
}

/** The queued-at window [start, end) of a range, on the shop's calendar; null: no bound. */
export function queuedWindow(q: Pick<SyncListQuery, "range" | "from" | "to">, timeZone: string, now: Date): { start: Date | null; end: Date | null } {
  const today = localDate(now, timeZone);
  const from = q.range === "today" ? today : q.range === "7d" ? addLocalDays(today, -6) : q.range === "30d" ? addLocalDays(today, -29) : q.range === "custom" ? q.from : undefined;
  const to = q.range === "custom" ? q.to : undefined;
  const start = from ? safeDayStart(from, timeZone) : null;
  const end = to ? safeDayStart(addLocalDaysSafe(to, 1), timeZone) : null;
  return { start, end };
}

function safeDayStart(date: string | null, timeZone: string): Date | null {
  if (!date) return null;
  try {
    return localDayStart(date, timeZone);
  } catch (error) {
    if (error instanceof RangeError && /^Not a date/.test(error.message)) return null; // 2026-02-31: no bound
    throw error;
  }
}

function addLocalDaysSafe(date: string, days: number): string | null {
  try {
    return addLocalDays(date, days);
  } catch {
    return null;
  }
}

type Row = {
  id: string;
  customerId: string;
  enrollmentId: string | null;
  actionType: string;
  platform: string;
  status: string;
  attempts: number;
  maxAttempts: number;
  nextRunAt: Date;
  lastError: string | null;
  lastErrorKind: string | null;
  discardReason: string | null;
  alertedAt: Date | null;
  createdAt: Date;
};

const asDate = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));
const asDateOrNull = (v: unknown) => (v === null || v === undefined ? null : asDate(v));

function toRow(r: Record<string, unknown>): Row {
  return {
    id: String(r.id),
    customerId: String(r.customerId),
    enrollmentId: (r.enrollmentId as string | null) ?? null,
    actionType: String(r.actionType),
    platform: String(r.platform),
    status: String(r.status),
    attempts: Number(r.attempts),
    maxAttempts: Number(r.maxAttempts),
    nextRunAt: asDate(r.nextRunAt),
    lastError: (r.lastError as string | null) ?? null,
    lastErrorKind: (r.lastErrorKind as string | null) ?? null,
    discardReason: (r.discardReason as string | null) ?? null,
    alertedAt: asDateOrNull(r.alertedAt),
    createdAt: asDate(r.createdAt),
  };
}

/** `LIKE` text for a search term: its own % and _ match themselves. */
const likeContains = (term: string) => `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * One page of the shop's items under `q`. `cursor` pages to older items,
 * `before` back to newer ones; a cursor that does not decode is the first page.
 */
export async function listSyncItems(db: Db, shop: string, q: SyncListQuery, opts: { timeZone: string; now?: Date }) {
  const now = opts.now ?? new Date();
  const params: unknown[] = [shop];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const where: string[] = [`q.shop = $1`];
  if (q.status) where.push(`q.status = ${p(q.status)}`);
  // The kind narrows the actions chosen (or stands for its own when none are).
  const kindActions = q.kind === "membership" ? MEMBER_ACTIONS : q.kind === "internal" ? INTERNAL_ACTIONS : null;
  const actions = q.action.length ? q.action.filter((a) => !kindActions || kindActions.includes(a)) : kindActions;
  if (actions) where.push(actions.length ? `q."actionType" IN (${actions.map((a) => p(a)).join(", ")})` : "1 = 0");
  if (q.platform.length) where.push(`q.platform IN (${q.platform.map((x) => p(x)).join(", ")})`);
  const window = queuedWindow(q, opts.timeZone, now);
  if (window.start) where.push(`q."createdAt" >= ${p(window.start)}`);
  if (window.end) where.push(`q."createdAt" < ${p(window.end)}`);
  if (q.q) where.push(`q."customerId" IN (SELECT c.id FROM "Customer" c WHERE c.shop = $1 AND c."searchText" LIKE ${p(likeContains(q.q))} ESCAPE '\\')`);

  const after = q.cursor ? decodeCursor(q.cursor) : null;
  const before = !after && q.before ? decodeCursor(q.before) : null;
  if (after) where.push(`(q."createdAt" < ${p(after.value)} OR (q."createdAt" = ${p(after.value)} AND q.id < ${p(after.id)}))`);
  if (before) where.push(`(q."createdAt" > ${p(before.value)} OR (q."createdAt" = ${p(before.value)} AND q.id > ${p(before.id)}))`);
  const dir = before ? "ASC" : "DESC";
  const raw = await db.$queryRawUnsafe<Record<string, unknown>[]>(
    sql(`SELECT q.id, q."customerId", q."enrollmentId", q."actionType", q.platform, q.status, q.attempts, q."maxAttempts", q."nextRunAt",
            q."lastError", q."lastErrorKind", q."discardReason", q."alertedAt", q."createdAt"
       FROM "CrmSyncQueue" q
       WHERE ${where.join(" AND ")}
       ORDER BY q."createdAt" ${dir}, q.id ${dir}
       LIMIT ${SYNC_PAGE + 1}`),
    ...params,
  );
  const rows = raw.map(toRow);
  const more = rows.length > SYNC_PAGE;
  const page = rows.slice(0, SYNC_PAGE);
  if (before) page.reverse();

  const ids = page.map((r) => r.id);
  const [customers, lastAttempts] = await Promise.all([
    db.customer.findMany({ where: { shop, id: { in: [...new Set(page.map((r) => r.customerId))] } }, select: { id: true, email: true, firstName: true, lastName: true } }),
    ids.length ? db.syncAttempt.groupBy({ by: ["queueId"], where: { shop, queueId: { in: ids } }, _max: { startedAt: true } }) : Promise.resolve([]),
  ]);
  const members = new Map(customers.map((c) => [c.id, c]));
  const lastAt = new Map(lastAttempts.map((a) => [a.queueId, a._max.startedAt]));
  const first = page[0];
  const last = page.at(-1);
  return {
    items: page.map((r) => {
      const c = members.get(r.customerId);
      const attemptAt = lastAt.get(r.id) ?? null;
      return {
        id: r.id,
        action: actionLabel(r.actionType),
        actionType: r.actionType,
        internal: !isMemberAction(r.actionType),
        platform: r.platform,
        member: c?.email ?? null,
        memberName: c ? `${c.firstName} ${c.lastName}`.trim() : null,
        // The member page is the customer's; only membership items have one.
        memberId: r.enrollmentId && c ? r.customerId : null,
        status: r.status,
        alerted: r.alertedAt !== null,
        attempts: r.attempts,
        maxAttempts: r.maxAttempts,
        lastAttemptAgo: attemptAt ? timeAgo(attemptAt, opts.timeZone, now) : null,
        lastAttemptAt: attemptAt ? localDateTime(attemptAt, opts.timeZone) : null,
        nextTry: r.status === "pending" ? localDateTime(r.nextRunAt, opts.timeZone) : null,
        nextTryShort: r.status === "pending" ? localClock(r.nextRunAt, opts.timeZone, now) : null,
        reason: itemReason(r, opts.timeZone, now),
        createdAt: r.createdAt.toISOString(),
      };
    }),
    // Older items exist after this page; newer ones before it.
    nextCursor: (before ? true : more) && last ? encodeCursor(last.createdAt, last.id) : null,
    prevCursor: (before ? more : Boolean(after)) && first ? encodeCursor(first.createdAt, first.id) : null,
  };
}

/** The tabs' counts: the shop's items by status, in one grouped query. */
export async function countsByStatus(db: Db, shop: string): Promise<Record<(typeof STATUSES)[number], number> & { all: number }> {
  const groups = await db.crmSyncQueue.groupBy({ by: ["status"], where: { shop }, _count: { _all: true } });
  const counts = { all: 0, pending: 0, processing: 0, completed: 0, failed: 0, cancelled: 0 };
  for (const g of groups) {
    if (g.status in counts) counts[g.status as keyof typeof counts] = g._count._all;
    counts.all += g._count._all;
  }
  return counts;
}

/** One item of the shop with every attempt, oldest first, for the detail page; null when it is not this shop's. */
export async function syncItemDetail(db: Db, shop: string, id: string, opts: { timeZone: string; now?: Date }) {
  const now = opts.now ?? new Date();
  const item = await db.crmSyncQueue.findFirst({ where: { id, shop }, include: { attemptsLog: { orderBy: [{ startedAt: "asc" }, { attempt: "asc" }] } } });
  if (!item) return null;
  const c = await db.customer.findFirst({ where: { shop, id: item.customerId }, select: { email: true, firstName: true, lastName: true } });
  return {
    id: item.id,
    action: actionLabel(item.actionType),
    internal: !isMemberAction(item.actionType),
    platform: item.platform,
    status: item.status,
    member: c ? { name: `${c.firstName} ${c.lastName}`.trim(), email: c.email } : null,
    memberId: item.enrollmentId && c ? item.customerId : null,
    attempts: item.attempts,
    maxAttempts: item.maxAttempts,
    queuedAt: localDateTime(item.createdAt, opts.timeZone),
    nextTry: item.status === "pending" ? localDateTime(item.nextRunAt, opts.timeZone) : null,
    completedAt: item.completedAt ? localDateTime(item.completedAt, opts.timeZone) : null,
    reason: itemReason(item, opts.timeZone, now),
    lastError: item.lastError,
    discardedBy: item.discardedBy,
    discardReason: item.discardReason,
    alerted: item.alertedAt !== null,
    history: item.attemptsLog.map((a) => ({
      id: a.id,
      attempt: a.attempt,
      at: localDateTime(a.startedAt, opts.timeZone, { seconds: true }),
      durationMs: a.durationMs,
      outcome: a.outcome,
      httpStatus: a.httpStatus,
      error: a.error,
    })),
  };
}
