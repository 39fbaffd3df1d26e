// The members list and a member's page: shop-scoped reads, no N+1.
//
// The list pages by keyset (sort value, id) rather than OFFSET, so every page
// costs the same at 100,000 members; one query fetches the page with its
// customer and tier (joined), nothing per row.
import { z } from "zod";
import type { Db } from "../db.server";
import { SYNC_STATES } from "../queue/sync-state.server";
import { searchTerm } from "./bounds";
import { decodeCursor, encodeCursor, keysetAfter } from "./cursor";
import { recordedSpendCents } from "./enrollments.server";
import { cents } from "./money";
import { STATUSES } from "./membership-status";
import { tierChangeRefusal } from "./tiers";

export const MAX_EXPIRING_DAYS = 3650;
const DAY_MS = 86_400_000;

// A list URL is typed by hand, bookmarked, or stale: a value we do not know
// falls back to the default (`.catch`), it never throws. The search is cut to
// MAX_SEARCH characters.
export const listQuery = z.object({
  q: z.string().optional().catch(undefined).transform(searchTerm),
  tier: z.string().max(100).catch(""),
  status: z.enum([...STATUSES, "all"]).catch("active"),
  sync: z.union([z.literal(""), z.enum(SYNC_STATES)]).catch(""),
  sort: z.enum(["expiry", "enrolled"]).catch("enrolled"),
  // Expiring within this many days from now (memberships whose expiry is still ahead).
  expiring: z
    .string()
    .regex(/^\d{1,4}$/)
    .transform(Number)
    .pipe(z.number().int().min(1).max(MAX_EXPIRING_DAYS))
    .optional()
    .catch(undefined),
  cursor: z.string().max(500).catch(""),
  // Back to the page before the one this cursor starts (the list's Previous).
  before: z.string().max(500).catch(""),
});
export type ListQuery = z.infer<typeof listQuery>;

const PAGE = 50;

export function parseListQuery(raw: Partial<Record<keyof ListQuery, string>>): ListQuery {
  return listQuery.parse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== null)));
}

/** The list's filter and order (the export streams the same rows, in the same order). */
export function memberFilter(shop: string, q: ListQuery, now = new Date()) {
  const field = q.sort === "expiry" ? ("expiresAt" as const) : ("createdAt" as const);
  // Expiry sorts soonest first; enrollment date newest first.
  const dir = q.sort === "expiry" ? ("asc" as const) : ("desc" as const);
  const filter = {
    shop,
    ...(q.status === "all" ? {} : { status: q.status }),
    ...(q.tier ? { tierId: q.tier } : {}),
    ...(q.sync ? { syncState: q.sync } : {}),
    ...(q.q ? { customer: { searchText: { contains: q.q.toLowerCase() } } } : {}),
    ...(q.expiring ? { expiresAt: { gte: now, lte: new Date(now.getTime() + q.expiring * DAY_MS) } } : {}),
  };
  return { field, dir, filter };
}

/**
 * One page of the list under `raw`: `cursor` pages on in the list's order,
 * `before` back; a cursor that does not decode is the first page.
 */
export async function listMembers(db: Db, shop: string, raw: Partial<Record<keyof ListQuery, string>>, now = new Date()) {
  const q = parseListQuery(raw);
  const { field, dir, filter } = memberFilter(shop, q, now);
  const after = decodeCursor(q.cursor);
  const before = after ? null : decodeCursor(q.before);
  const from = after ?? before;
  // Backwards: the same keyset read the other way, then put back in the list's order.
  const readDir = before ? (dir === "asc" ? "desc" : "asc") : dir;
  const cmp = readDir === "asc" ? "gt" : "lt";
  const where = {
    ...filter,
    ...(from ? keysetAfter(field, cmp, from) : {}),
  };
  const rows = await db.enrollment.findMany({
    where,
    orderBy: [{ [field]: readDir }, { id: readDir }],
    take: PAGE + 1,
    include: { customer: { select: { email: true, firstName: true, lastName: true } }, tier: { select: { name: true } } },
  });
  const more = rows.length > PAGE;
  const page = rows.slice(0, PAGE);
  if (before) page.reverse();
  const [first, last] = [page.at(0), page.at(-1)];
  return {
    query: q,
    members: page.map((e) => ({
      id: e.id,
      // The member page is the customer's.
      customerId: e.customerId,
      name: `${e.customer.firstName} ${e.customer.lastName}`.trim() || e.customer.email,
      email: e.customer.email,
      tier: e.tier.name,
      tierId: e.tierId,
      status: e.status,
      syncState: e.syncState,
      startedAt: e.startedAt.toISOString(),
      expiresAt: e.expiresAt.toISOString(),
    })),
    nextCursor: (before ? true : more) && last ? encodeCursor(last[field], last.id) : null,
    prevCursor: (before ? more : Boolean(after)) && first ? encodeCursor(first[field], first.id) : null,
  };
}

const PURCHASES_SHOWN = 20;

/**
 * Everything the member page shows, in a fixed number of queries. The page is
 * the MEMBER's (a customer id): their current membership (the active one, or
 * the latest that ended) with every earlier one as history, so a tier change
 * never sends the merchant to another page. An enrollment id, as older links
 * carry, answers with the member to redirect to.
 */
export async function memberDetail(db: Db, shop: string, id: string) {
  const customer = await db.customer.findFirst({ where: { id, shop }, select: { id: true } });
  if (!customer) {
    const byEnrollment = await db.enrollment.findFirst({ where: { id, shop }, select: { customerId: true } });
    return byEnrollment ? ({ redirectTo: byEnrollment.customerId } as const) : null;
  }
  const enrollment =
    (await db.enrollment.findFirst({ where: { shop, customerId: customer.id, status: "active" }, include: { customer: true, tier: true } })) ??
    (await db.enrollment.findFirst({ where: { shop, customerId: customer.id }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], include: { customer: true, tier: true } }));
  if (!enrollment) return null;
  const customerId = enrollment.customerId;
  const [history, items, spendCents, tiers, purchases] = await Promise.all([
    db.enrollment.findMany({ where: { shop, customerId }, include: { tier: { select: { name: true } } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
    db.crmSyncQueue.findMany({ where: { shop, customerId }, include: { attemptsLog: { orderBy: { startedAt: "asc" } } }, orderBy: { createdAt: "asc" } }),
    recordedSpendCents(db, shop, customerId),
    // On Commerce7 a tier without a club takes nobody (see noClubRefusal).
    db.shop.findUnique({ where: { domain: shop }, select: { crm: true } }).then((row) =>
      db.tier.findMany({
        where: { shop, active: true, ...(row?.crm === "commerce7" ? { c7ClubId: { not: null } } : {}) },
        orderBy: { rank: "asc" },
        select: { id: true, name: true, rank: true, active: true },
      }),
    ),
    db.purchase.findMany({ where: { shop, customerId }, orderBy: { occurredAt: "desc" }, take: PURCHASES_SHOWN, select: { orderId: true, amountCents: true, currency: true, occurredAt: true, financialStatus: true, countedAt: true } }),
  ]);
  const refunds = purchases.length
    ? await db.refund.groupBy({ by: ["orderId"], where: { shop, orderId: { in: purchases.map((p) => p.orderId) } }, _sum: { amountCents: true } })
    : [];
  const refunded = new Map(refunds.map((r) => [r.orderId, cents(r._sum.amountCents)]));
  // Only the tiers the member may move to (same rule changeTier enforces).
  const moveTargets = tiers.filter((t) => tierChangeRefusal(enrollment.tier, t) === null).map((t) => ({ id: t.id, name: t.name }));
  return {
    enrollment,
    history,
    items,
    spendCents,
    tiers: moveTargets,
    // What the spend is made of: the latest orders, each with what was given back (at most its amount).
    purchases: purchases.map((p) => ({ ...p, amountCents: cents(p.amountCents), refundedCents: Math.min(cents(p.amountCents), refunded.get(p.orderId) ?? 0) })),
  };
}
