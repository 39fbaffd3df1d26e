// GET /metrics: Prometheus text exposition for operators (app/metrics.server.ts).
// Without METRICS_TOKEN configured the route does not exist (404); otherwise it
// requires `Authorization: Bearer <METRICS_TOKEN>` (401), compared in constant
// time. The figures are shop-agnostic totals: no shop's data is exposed.
import { createHash, timingSafeEqual } from "node:crypto";
import type { LoaderFunctionArgs } from "@remix-run/node";
import { env } from "~/env.server";
import { log } from "~/log.server";
import { registry } from "~/metrics.server";

// Hashing both sides gives equal lengths, so the comparison's time says nothing
// about the token, not even its length.
const digest = (value: string) => createHash("sha256").update(value).digest();

function authorized(header: string | null, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return timingSafeEqual(digest(match?.[1] ?? ""), digest(token));
}

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const token = env.METRICS_TOKEN;
  if (!token) return new Response("Not Found", { status: 404 });
  if (!authorized(request.headers.get("authorization"), token)) {
    return new Response("Unauthorized", { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="metrics"' } });
  }
  try {
    const body = await registry.metrics();
    return new Response(body, { headers: { "Content-Type": registry.contentType, "Cache-Control": "no-store" } });
  } catch (error) {
    log("metrics", "error", "scrape_failed", { error: error instanceof Error ? error.message : String(error) });
    return new Response("metrics unavailable", { status: 503 });
  }
};
