// The fake Shopify's token endpoint (POST /shops/<shop>/admin/oauth/access_token)
// and the rules by which Admin GraphQL accepts an access token.
//
// What it does the way Shopify does (shopify.dev, "Use expiring offline access
// tokens", "Migrate to expiring offline access tokens", OAuth 2.0 errors):
// - `client_id` / `client_secret` must be the app's, else 401 invalid_client.
// - Token exchange of a session token (grant type token-exchange, subject type
//   id_token): the JWT must be signed with the app secret for this shop. It
//   issues an expiring offline token with a refresh token when `expiring=1`,
//   else a non-expiring one.
// - Migration (token-exchange with an offline access token as subject and
//   `expiring=1`): the non-expiring token is refused by Admin GraphQL from then
//   on, but may be presented to this endpoint again for 7 days, so a lost
//   response can be retried.
// - `refresh_token` grant: each refresh returns a new access token AND a new
//   refresh token. The refresh token that was presented stays usable until its
//   replacement is first used (Shopify's behaviour since August 2026), so a
//   refresh whose response was lost can be repeated.
// - A refused grant is HTTP 400 `{ error: "invalid_grant" }`.
// - Access tokens expire after `tokenLifetimeMs` (default 60 min; tests use
//   seconds); an expired, unknown or migrated-away token gets Admin's 401.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Handled } from "./http";

export const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token";
const OFFLINE_TOKEN = "urn:shopify:params:oauth:token-type:offline-access-token";
const MIGRATION_RETRY_MS = 7 * 24 * 3600 * 1000;

export type OAuthOptions = {
  apiKey?: string;
  apiSecret?: string;
  tokenLifetimeMs?: number;
  refreshTokenLifetimeMs?: number;
  now?: () => number;
};

type AccessToken = { expiresAt: number | null; refusedFrom?: number };
type RefreshState = {
  /** The newest refresh token, and whether it has been presented yet. */
  current: string;
  currentUsed: boolean;
  /** The token that produced `current`: usable until `current` is first used. */
  previous?: string;
  expiresAt: number;
  revoked: boolean;
};
export type ShopTokens = {
  access: Map<string, AccessToken>;
  refresh?: RefreshState;
  scope: string;
};

/** Counts by grant, for tests ("exactly one refresh per expiry"). */
export type GrantLog = { grant: "refresh_token" | "token_exchange" | "migration"; presented: string; ok: boolean; at: number }[];

export function createFakeOAuth(opts: OAuthOptions = {}) {
  const now = opts.now ?? Date.now;
  const apiKey = opts.apiKey;
  const apiSecret = opts.apiSecret;
  let tokenLifetimeMs = opts.tokenLifetimeMs ?? 3600_000;
  let refreshTokenLifetimeMs = opts.refreshTokenLifetimeMs ?? 90 * 24 * 3600_000;
  const shops = new Map<string, ShopTokens>();
  const grants: GrantLog = [];

  const tokensOf = (shop: string): ShopTokens => {
    let t = shops.get(shop);
    if (!t) shops.set(shop, (t = { access: new Map(), scope: "read_customers,write_customers,read_orders,read_all_orders,read_discounts,write_discounts" }));
    return t;
  };
  const newToken = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;

  const issueExpiring = (shop: string, t: ShopTokens, presentedRefresh?: string) => {
    const access = newToken("shpat");
    t.access.set(access, { expiresAt: now() + tokenLifetimeMs });
    const refresh = newToken("shprt");
    t.refresh = { current: refresh, currentUsed: false, previous: presentedRefresh, expiresAt: now() + refreshTokenLifetimeMs, revoked: false };
    return {
      status: 200,
      body: {
        access_token: access,
        scope: t.scope,
        expires_in: Math.max(1, Math.round(tokenLifetimeMs / 1000)),
        refresh_token: refresh,
        refresh_token_expires_in: Math.round(refreshTokenLifetimeMs / 1000),
      },
    } satisfies Handled;
  };

  const refused = (description: string): Handled => ({ status: 400, body: { error: "invalid_grant", error_description: description } });

  function verifySessionToken(token: string, shop: string): boolean {
    if (!apiSecret) return false;
    const [h, p, s] = token.split(".");
    if (!h || !p || !s) return false;
    const expected = createHmac("sha256", apiSecret).update(`${h}.${p}`).digest();
    const given = Buffer.from(s, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
    try {
      const claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as { dest?: string; exp?: number; aud?: string };
      return claims.dest === `https://${shop}` && (claims.exp ?? 0) * 1000 > now() - 10_000 && (!apiKey || claims.aud === apiKey);
    } catch {
      return false;
    }
  }

  /** The token endpoint. `body` is the parsed JSON the client sent. */
  function handleTokenRequest(shop: string, body: unknown): Handled {
    const b = (body && typeof body === "object" ? body : {}) as Record<string, string | undefined>;
    if ((apiKey && b.client_id !== apiKey) || (apiSecret && b.client_secret !== apiSecret)) {
      return { status: 401, body: { error: "invalid_client", error_description: "Client authentication failed" } };
    }
    const t = tokensOf(shop);
    if (b.grant_type === "refresh_token") {
      const presented = b.refresh_token ?? "";
      const r = t.refresh;
      const usable =
        r && !r.revoked && r.expiresAt > now() && (presented === r.current || (presented === r.previous && !r.currentUsed));
      grants.push({ grant: "refresh_token", presented, ok: Boolean(usable), at: now() });
      if (!usable) return refused("The refresh token is invalid, expired or revoked.");
      if (presented === r.current) r.currentUsed = true;
      return issueExpiring(shop, t, presented);
    }
    if (b.grant_type === TOKEN_EXCHANGE && b.subject_token_type === OFFLINE_TOKEN) {
      const presented = b.subject_token ?? "";
      const old = t.access.get(presented);
      const retryable = old && old.expiresAt === null && (old.refusedFrom === undefined || now() - old.refusedFrom < MIGRATION_RETRY_MS);
      grants.push({ grant: "migration", presented, ok: Boolean(retryable && b.expiring === "1"), at: now() });
      if (!retryable || b.expiring !== "1") return { status: 400, body: { error: "invalid_subject_token", error_description: "The offline token cannot be migrated." } };
      old.refusedFrom ??= now();
      return issueExpiring(shop, t);
    }
    if (b.grant_type === TOKEN_EXCHANGE && b.subject_token_type === ID_TOKEN) {
      const presented = b.subject_token ?? "";
      const ok = verifySessionToken(presented, shop);
      grants.push({ grant: "token_exchange", presented: presented.slice(0, 12), ok, at: now() });
      if (!ok) return { status: 400, body: { error: "invalid_subject_token", error_description: "Invalid session token." } };
      if (b.expiring === "1") return issueExpiring(shop, t);
      const access = newToken("shpat");
      t.access.set(access, { expiresAt: null });
      return { status: 200, body: { access_token: access, scope: t.scope } };
    }
    return { status: 400, body: { error: "unsupported_grant_type" } };
  }

  return {
    handleTokenRequest,
    /** Whether Admin GraphQL accepts this token for the shop. */
    accepts(shop: string, token: string | undefined): boolean {
      const a = token ? shops.get(shop)?.access.get(token) : undefined;
      if (!a || a.refusedFrom !== undefined) return false;
      return a.expiresAt === null || a.expiresAt > now();
    },
    /** A non-expiring offline token the shop was installed with (the pre-2027 kind). */
    addLegacyToken(shop: string, token: string) {
      tokensOf(shop).access.set(token, { expiresAt: null });
    },
    /** An expiring token pair, as an install today gets; returns what a session stores. */
    issue(shop: string) {
      const { body } = issueExpiring(shop, tokensOf(shop));
      return { accessToken: body.access_token, refreshToken: body.refresh_token, expires: new Date(now() + tokenLifetimeMs), refreshTokenExpires: new Date(now() + refreshTokenLifetimeMs) };
    },
    /** The merchant (or Shopify) revoked the app's refresh token. */
    revokeRefreshToken(shop: string) {
      const r = shops.get(shop)?.refresh;
      if (r) r.revoked = true;
    },
    setLifetimes(l: { tokenLifetimeMs?: number; refreshTokenLifetimeMs?: number }) {
      if (l.tokenLifetimeMs !== undefined) tokenLifetimeMs = l.tokenLifetimeMs;
      if (l.refreshTokenLifetimeMs !== undefined) refreshTokenLifetimeMs = l.refreshTokenLifetimeMs;
    },
    grants: () => grants,
    clearGrants: () => {
      grants.length = 0;
    },
  };
}

export type FakeOAuth = ReturnType<typeof createFakeOAuth>;
