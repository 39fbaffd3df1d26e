// The sync queue screen's list: every sync item of the shop, newest first, by
// keyset pages (createdAt, id) so the 10,000th item costs what the first does.
// One query for the page, one for its members' emails; nothing per row.
import { z } from "zod";
import type { Db } from "../db.server";
import { ACTION_LABELS, STATUSES, type QueueAction } from "../queue/types";
import { decodeCursor, encodeCursor } from "./cursor";

export const SYNC_PAGE = 50;

export const syncListQuery = z.object({
  status: z.union([z.literal(""), z.enum(STATUSES)]).catch(""),
  cursor: z.string().max(200).catch(""),
});

export async function listSyncItems(db: Db, shop: string, raw: { status?: string | null; cursor?: string | null }) {
  const q = syncListQuery.parse({ status: raw.status ?? "", cursor: raw.cursor ?? "" });
  const after = decodeCursor(q.cursor);
  const rows = await db.crmSyncQueue.findMany({
    where: {
      shop,
      ...(q.status ? { status: q.status } : {}),
      ...(after ? { OR: [{ createdAt: { lt: after.value } }, { createdAt: after.value, id: { lt: after.id } }] } : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: SYNC_PAGE + 1,
  });
  const page = rows.slice(0, SYNC_PAGE);
  const customers = await db.customer.findMany({ where: { shop, id: { in: [...new Set(page.map((i) => i.customerId))] } }, select: { id: true, email: true } });
  const emails = new Map(customers.map((c) => [c.id, c.email]));
  const last = page.at(-1);
  return {
    status: q.status,
    items: page.map((i) => ({
      id: i.id,
      action: ACTION_LABELS[i.actionType as QueueAction] ?? i.actionType,
      member: emails.get(i.customerId) ?? null,
      alerted: i.alertedAt !== null,
      status: i.status,
      attempts: `${i.attempts}/${i.maxAttempts}`,
      nextRunAt: i.nextRunAt.toISOString(),
      lastError: i.lastError,
      // The member page is the customer's; only membership items have one.
      memberId: i.enrollmentId ? i.customerId : null,
      createdAt: i.createdAt.toISOString(),
    })),
    nextCursor: rows.length > SYNC_PAGE && last ? encodeCursor(last.createdAt, last.id) : null,
  };
}
