// Authenticated route calls through Shopify's real authentication: a stored
// offline session and a session token signed with the app secret (the
// library's own test helpers), so authenticate.admin does no token exchange.
import { Session } from "@shopify/shopify-api";
import { API_KEY, API_SECRET_KEY, RequestType, setUpValidRequest } from "@shopify/shopify-api/test-helpers";
import { env } from "~/env.server";
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

/** A form POST with a Bearer session token, as App Bridge's fetch sends. */
export async function adminPost(shop: string, path: string, form: Record<string, string>): Promise<Request> {
  return setUpValidRequest(
    { type: RequestType.Bearer, store: shop.replace(".myshopify.com", ""), apiKey: API_KEY, apiSecretKey: API_SECRET_KEY },
    new Request(`${env.SHOPIFY_APP_URL}${path}`, { method: "POST", body: new URLSearchParams(form) }),
  );
}

export const routeArgs = (request: Request, params: Record<string, string> = {}) => ({ request, params, context: {} });
