// Shopify's token endpoint, through @shopify/shopify-api: refreshing an expiring
// offline token and migrating a non-expiring one (ADR 0013).
//
// The library makes every token request (token exchange in requests, refresh
// and migration here); this module only chooses when, and turns its failures
// into SyncErrors the queue understands:
//   400 invalid_grant / invalid_subject_token, 401 invalid_client → auth
//     (Shopify will not renew this grant: the merchant must open the app)
//   network, timeout, 5xx, 429                                     → retryable
//
// Address override: in the sandbox and tests SHOPIFY_ADMIN_ORIGIN points Admin
// GraphQL at a fake; the same variable must send the library's own token
// requests there. The library makes every HTTP call through its runtime's
// `abstractFetch`, which its web-api adapter sets to the global fetch; we set it
// once more, to a fetch that rewrites `https://<shop>/admin/…` to the origin
// and changes nothing else; it also bounds every library request by
// TOKEN_REQUEST_TIMEOUT_MS (the library sets no timeout of its own, and a
// renewal that hangs would hold the shop's token lease).
import "@shopify/shopify-api/adapters/web-api";
import { HttpResponseError, LogSeverity, shopifyApi, type Session } from "@shopify/shopify-api";
import { setAbstractFetchFunc } from "@shopify/shopify-api/runtime";
import { env } from "../../env.server";
import { SyncError } from "../../queue/errors";
import { ADMIN_API_VERSION } from "./api-version";
import { networkProblem } from "../network-errors";

const SHOP_ADMIN_URL = /^https:\/\/([a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com)(\/admin\/.*)$/;

/** Where a request the library makes for `url` really goes (the address override). */
export function routedUrl(url: string, origin = env.SHOPIFY_ADMIN_ORIGIN): string {
  if (!origin) return url;
  const m = SHOP_ADMIN_URL.exec(url);
  return m ? `${origin.replace("{shop}", m[1]!).replace(/\/$/, "")}${m[2]}` : url;
}

export const TOKEN_REQUEST_TIMEOUT_MS = 15_000;

{
  const plain = globalThis.fetch;
  setAbstractFetchFunc((input, init) => {
    const timeout = AbortSignal.timeout(TOKEN_REQUEST_TIMEOUT_MS);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return plain(typeof input === "string" ? routedUrl(input) : input, { ...init, signal });
  });
}

let api: ReturnType<typeof shopifyApi> | undefined;

/** The library's API object, configured like shopifyApp() in shopify.server.ts. */
function shopifyApiClient() {
  api ??= shopifyApi({
    apiKey: env.SHOPIFY_API_KEY,
    apiSecretKey: env.SHOPIFY_API_SECRET,
    apiVersion: ADMIN_API_VERSION as Parameters<typeof shopifyApi>[0]["apiVersion"],
    hostName: new URL(env.SHOPIFY_APP_URL).host,
    hostScheme: new URL(env.SHOPIFY_APP_URL).protocol === "http:" ? "http" : "https",
    isEmbeddedApp: true,
    scopes: env.SCOPES.split(",").map((s) => s.trim()).filter(Boolean),
    ...(env.SHOP_CUSTOM_DOMAIN ? { customShopDomains: [env.SHOP_CUSTOM_DOMAIN] } : {}),
    logger: { level: env.LOG_LEVEL === "debug" ? LogSeverity.Debug : LogSeverity.Error, httpRequests: false },
  });
  return api;
}

export const RECONNECT = "open the app in Shopify admin to reconnect";

function classify(action: string, shop: string, error: unknown): SyncError {
  const opts = { platform: "shopify", cause: error };
  if (error instanceof HttpResponseError) {
    const status = error.response.code;
    const code = (error.response.body as { error?: string } | undefined)?.error;
    if (status === 401 || (status === 400 && (code === "invalid_grant" || code === "invalid_subject_token" || code === "invalid_client"))) {
      return new SyncError("auth", `Shopify refused to ${action} the app's access to ${shop} (${code ?? `HTTP ${status}`}): ${RECONNECT}.`, {
        ...opts,
        httpStatus: status,
      });
    }
    return new SyncError("retryable", `Shopify could not ${action} the app's access (HTTP ${status}).`, { ...opts, httpStatus: status });
  }
  return new SyncError("retryable", `Shopify could not ${action} the app's access: Shopify ${networkProblem(error)}.`, opts);
}

/** One refresh_token grant. The returned session carries the new token pair. */
export async function refreshOfflineToken(shop: string, refreshToken: string): Promise<Session> {
  try {
    return (await shopifyApiClient().auth.refreshToken({ shop, refreshToken })).session;
  } catch (error) {
    throw classify("renew", shop, error);
  }
}

/** Exchanges a non-expiring offline token for an expiring pair. Safe to repeat with the same token for 7 days. */
export async function migrateOfflineToken(shop: string, nonExpiringToken: string): Promise<Session> {
  try {
    return (await shopifyApiClient().auth.migrateToExpiringToken({ shop, nonExpiringOfflineAccessToken: nonExpiringToken })).session;
  } catch (error) {
    throw classify("migrate", shop, error);
  }
}
