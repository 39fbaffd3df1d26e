// Authenticated route calls through Shopify's real authentication: a stored
// offline session and a session token signed with the app secret (the
// library's own test helpers), so authenticate.admin does no token exchange.
import { Session } from "@shopify/shopify-api";
import { randomUUID } from "node:crypto";
import { API_KEY, API_SECRET_KEY, getHmac, getJwt, RequestType, setUpValidRequest } from "@shopify/shopify-api/test-helpers";
import { env } from "~/env.server";
import { ADMIN_API_VERSION } from "~/integrations/shopify/api-version";
import { sessionStorage } from "~/shopify.server";

export async function storeOfflineSession(shop: string, accessToken = "shpat_test") {
  const session = new Session({ id: `offline_${shop}`, shop, state: "state", isOnline: false });
  session.accessToken = accessToken;
  session.scope = env.SCOPES;
  await sessionStorage.storeSession(session);
}

/** A document-style admin request (id_token in the URL), as the embedded admin sends. */
export async function adminGet(shop: string, path: string): Promise<Request> {
  return setUpValidRequest(
    { type: RequestType.Admin, store: shop.replace(".myshopify.com", ""), apiKey: API_KEY, apiSecretKey: API_SECRET_KEY },
    new Request(`${env.SHOPIFY_APP_URL}${path}`),
  );
}

/**
 * A form POST with a Bearer session token, as App Bridge's fetch sends. The
 * token's `sub` (the staff user) is the test helpers' unless `sub` is given.
 */
export async function adminPost(shop: string, path: string, form: Record<string, string>, opts: { sub?: string } = {}): Promise<Request> {
  const request = new Request(`${env.SHOPIFY_APP_URL}${path}`, { method: "POST", body: new URLSearchParams(form) });
  if (opts.sub === undefined) {
    return setUpValidRequest({ type: RequestType.Bearer, store: shop.replace(".myshopify.com", ""), apiKey: API_KEY, apiSecretKey: API_SECRET_KEY }, request);
  }
  const { token } = await getJwt(shop.replace(".myshopify.com", ""), API_KEY, API_SECRET_KEY, { sub: opts.sub });
  request.headers.set("authorization", `Bearer ${token}`);
  return request;
}

/**
 * A webhook delivery as Shopify sends it: the raw JSON body signed with the
 * app secret (base64 HMAC-SHA256) and Shopify's headers. `secret` signs with
 * another key, to prove a forged delivery is refused; `triggeredAt` dates the
 * event (a redelivery carries the original's).
 */
export function webhookRequest(
  shop: string,
  topic: string,
  body: unknown,
  opts: { secret?: string; webhookId?: string; eventId?: string; triggeredAt?: Date } = {},
): Request {
  const raw = JSON.stringify(body);
  return new Request(`${env.SHOPIFY_APP_URL}/webhooks/${topic}`, {
    method: "POST",
    body: raw,
    headers: {
      "Content-Type": "application/json",
      "X-Shopify-Topic": topic,
      "X-Shopify-Hmac-Sha256": getHmac(raw, opts.secret ?? API_SECRET_KEY),
      "X-Shopify-Shop-Domain": shop,
      "X-Shopify-API-Version": ADMIN_API_VERSION,
      "X-Shopify-Webhook-Id": opts.webhookId ?? randomUUID(),
      "X-Shopify-Event-Id": opts.eventId ?? randomUUID(),
      "X-Shopify-Triggered-At": (opts.triggeredAt ?? new Date()).toISOString(),
    },
  });
}

export const routeArgs = (request: Request, params: Record<string, string> = {}) => ({ request, params, context: {} });
