// What a request log line may say about a request. Session tokens (`id_token`,
// `session`), HMACs (`hmac`, `signature`), OAuth codes and the like must never
// reach a log: whoever reads the log could replay them. So a line carries the
// path and the NAMES of the query parameters only, never a value (the
// values also hold customers' emails and names); headers
// (Authorization among them) are never logged at all. One path carries a
// secret itself: a Commerce7 order webhook's key (/webhooks/commerce7/<key>,
// ADR 0021), logged as `/webhooks/commerce7/:key`.

/**
 * `/app/members?id_token=eyJ…&shop=x` → `{ path: "/app/members", query: ["id_token", "shop"] }`.
 * @param {string} url a request's path and query (express's `req.originalUrl`)
 * @returns {{ path: string; query: string[] }}
 */
export function describeRequestUrl(url) {
  const parsed = new URL(url, "http://x.invalid");
  const path = parsed.pathname.startsWith("/webhooks/commerce7/") ? "/webhooks/commerce7/:key" : parsed.pathname;
  return { path, query: [...new Set(parsed.searchParams.keys())] };
}

/**
 * One JSON log line for a finished request, in the shape of app/log.server.ts.
 * @param {{ method: string; url: string; status: number; ms: number }} r
 */
export function requestLogLine(r) {
  const { path, query } = describeRequestUrl(r.url);
  return JSON.stringify({ at: new Date().toISOString(), level: "info", component: "http", event: "request", method: r.method, path, query, status: r.status, ms: r.ms });
}
