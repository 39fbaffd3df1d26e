// Commerce7's order list (GET /order), for the order history (ADR 0022): one
// cursor page at a time, so the caller can record a page and keep its place
// before asking for the next.
//
// Assumed from public client code (not documented): the list answers
// `{ orders, total, cursor }`, 50 a page; the first page is `cursor=start`,
// each answer's `cursor` names the next page and is absent (or null) after
// the last; `orderSubmittedDate=gte:<ISO time>` filters by when the order
// was placed. Orders are passed on as Commerce7 sent them: reading them is
// commerce7-orders.server.ts's, as for a webhook.
import { z } from "zod";
import type { Commerce7Client } from "./client.server";

const orderList = z.looseObject({ orders: z.array(z.unknown()), total: z.number().optional(), cursor: z.string().nullish() });

export type OrderPage = { orders: unknown[]; total: number | null; next: string | null };

/** One page of the orders placed at or after `since`; `cursor` "start" for the first. */
export async function listOrdersSince(client: Commerce7Client, since: Date, cursor: string, signal?: AbortSignal): Promise<OrderPage> {
  const res = await client.request("GET", "/order", orderList, { query: { cursor, orderSubmittedDate: `gte:${since.toISOString()}` }, signal });
  // An empty page ends the list whatever its cursor says (a cursor that never ends must not loop).
  return { orders: res.orders, total: res.total ?? null, next: res.orders.length ? (res.cursor ?? null) : null };
}
