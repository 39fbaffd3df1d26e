// Commerce7's web hook log: the deliveries it could not make (GET
// /web-hook-log?isSuccess=false). Each entry carries the original payload, so
// a missed Order webhook can be recorded from it as if it had arrived.
import { z } from "zod";
import type { Commerce7Client } from "./client.server";

const entrySchema = z.looseObject({
  id: z.string(),
  object: z.string(),
  action: z.string(),
  payload: z.unknown(),
  isSuccess: z.boolean().optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
});
const logList = z.looseObject({ webHookLogs: z.array(entrySchema), cursor: z.string().nullish() });
export type WebHookLogEntry = z.infer<typeof entrySchema>;

/** At most this many pages (50 each) per read; the next read goes on from its checkpoint. */
const MAX_PAGES = 100;

/** Failed deliveries of `object` updated at or after `since`, oldest first (all pages, cursor-paginated). */
export async function listFailedDeliveries(client: Commerce7Client, object: string, since: Date, signal?: AbortSignal): Promise<WebHookLogEntry[]> {
  const out: WebHookLogEntry[] = [];
  let cursor: string | undefined = "start";
  for (let page = 0; cursor && page < MAX_PAGES; page++) {
    const res: z.infer<typeof logList> = await client.request("GET", "/web-hook-log", logList, {
      query: { isSuccess: "false", object, updatedAt: `gte:${since.toISOString()}`, cursor },
      signal,
    });
    out.push(...res.webHookLogs);
    cursor = res.cursor ?? undefined;
    if (res.webHookLogs.length === 0) break;
  }
  return out.sort((a, b) => Date.parse(a.createdAt ?? "") - Date.parse(b.createdAt ?? ""));
}
