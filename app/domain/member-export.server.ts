// Member export (CSV) of the members list as filtered (issue 15 item 2; ADR 0022).
//
// Invariants:
// - Streamed: keyset pages of the list's own filter and order (members.server.ts
//   memberFilter), each read when the response stream asks for more, so a
//   shop of 100,000 members is never held in memory, and a page costs the
//   same at the end as at the start.
// - Dates are the shop's calendar (localDate), money its currency's minor
//   units; the file imports back as it is (member-import.ts reads these headers).
import type { Db } from "../db.server";
import { keysetAfter } from "./cursor";
import { localDate } from "./dates";
import { recordedSpendByCustomer } from "./enrollments.server";
import { memberFilter, parseListQuery, type ListQuery } from "./members.server";
import { shopContext } from "./shops.server";

export const EXPORT_HEADER = ["email", "first_name", "last_name", "tier", "status", "start_date", "expiry_date", "spend_12m_minor_units", "currency", "sync_state"];
const PAGE = 500;

/**
 * The header, then one row per membership the list would show, page by page;
 * with `selection` (enrollment ids picked on the list), only those of this
 * shop, in the list's order, whatever the filters.
 */
export async function* exportMembers(db: Db, shop: string, raw: Partial<Record<keyof ListQuery, string>>, now = new Date(), selection?: string[]): AsyncGenerator<string[]> {
  const q = parseListQuery({ ...raw, cursor: "", before: "" });
  const list = memberFilter(shop, q, now);
  const { field, dir } = list;
  const filter = selection ? { shop, id: { in: selection } } : list.filter;
  const { timezone, currency } = await shopContext(db, shop);
  yield EXPORT_HEADER;
  let after: { value: Date; id: string } | null = null;
  for (;;) {
    const page: Awaited<ReturnType<typeof readPage>> = await readPage(after);
    if (!page.length) return;
    const spend = await recordedSpendByCustomer(db, shop, [...new Set(page.map((e) => e.customerId))], now);
    for (const e of page) {
      yield [
        e.customer.email,
        e.customer.firstName,
        e.customer.lastName,
        e.tier.name,
        e.status,
        localDate(e.startedAt, timezone),
        localDate(e.expiresAt, timezone),
        String(spend.get(e.customerId) ?? 0),
        currency,
        e.syncState,
      ];
    }
    const last = page.at(-1)!;
    after = { value: last[field], id: last.id };
    if (page.length < PAGE) return;
  }

  function readPage(from: { value: Date; id: string } | null) {
    const cmp = dir === "asc" ? "gt" : "lt";
    return db.enrollment.findMany({
      where: { ...filter, ...(from ? keysetAfter(field, cmp, from) : {}) },
      orderBy: [{ [field]: dir }, { id: dir }],
      take: PAGE,
      select: {
        id: true,
        customerId: true,
        status: true,
        startedAt: true,
        expiresAt: true,
        createdAt: true,
        syncState: true,
        customer: { select: { email: true, firstName: true, lastName: true } },
        tier: { select: { name: true } },
      },
    });
  }
}
