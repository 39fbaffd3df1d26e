// The shop's offline Shopify session, for work outside a request (the queue
// worker, jobs, webhook follow-ups): the one place an expiring offline token is
// renewed (ADR 0013).
//
// Invariants:
// - Tokens are read only through the session storage (decrypted in memory);
//   nothing reads a token column directly.
// - A shop's token is renewed by one holder at a time across every instance:
//   the holder of the shop's ShopifyTokenLease row. Within a process, callers
//   for one shop share one renewal (single flight). Whoever gets the lease
//   re-reads the session first, so a renewal another holder just made is used,
//   never repeated: one refresh per expiry.
// - A refresh whose answer is lost is not an outage: the current token is still
//   valid for the margin, and the refresh token presented stays usable until its
//   replacement is first used (Shopify, since August 2026), so the next caller
//   simply refreshes again.
// - A refresh Shopify refuses (revoked or expired grant) fails the item as
//   `auth` with the reconnect message. The session keeps its access token until
//   it expires but loses its refresh token, so no later item asks Shopify again
//   (no retry storm); the merchant opening the app makes the library exchange a
//   new token, and afterAuth resumes the items (app/shopify.server.ts).
import { randomUUID } from "node:crypto";
import type { Session } from "@shopify/shopify-api";
import { isUniqueViolation, type Db } from "../../db.server";
import { env } from "../../env.server";
import { log } from "../../log.server";
import { SyncError } from "../../queue/errors";
import { retryAllFailed } from "../../queue/manual.server";
import { EncryptedSessionStorage } from "../../sessions.server";
import { ShopifyAdmin, type AdminOptions } from "./admin.server";
import { setTokenMigrationResult } from "../../domain/shops.server";
import { RECONNECT, migrateOfflineToken, refreshOfflineToken } from "./oauth.server";

export const offlineSessionId = (shop: string) => `offline_${shop}`;

export type RenewOptions = {
  /** Renew when the token has less than this left (default SHOPIFY_TOKEN_REFRESH_MARGIN_MS). */
  marginMs?: number;
  /** How long a lease is held at most (a crashed holder's runs out). */
  leaseMs?: number;
  /** Called once when another holder has the lease and this caller waits (tests observe the interleaving). */
  onLeaseBusy?: () => void;
};

const LEASE_MS = 30_000;
const inFlight = new Map<string, Promise<Session>>();

function noSession(shop: string) {
  return new SyncError("auth", `No offline Shopify session for ${shop}: ${RECONNECT}.`, { platform: "shopify" });
}

const expiresIn = (s: Session, now = Date.now()) => (s.expires ? s.expires.getTime() - now : Infinity);

/**
 * The shop's offline session with a token valid for at least the margin,
 * renewing it when needed. A non-expiring (legacy) token is returned as it is:
 * app/integrations/shopify/token-migration.server.ts migrates those.
 */
export async function offlineSession(db: Db, shop: string, opts: RenewOptions = {}): Promise<Session> {
  const marginMs = opts.marginMs ?? env.SHOPIFY_TOKEN_REFRESH_MARGIN_MS;
  const storage = new EncryptedSessionStorage(db);
  const session = await storage.loadSession(offlineSessionId(shop));
  if (!session?.accessToken) throw noSession(shop);
  if (expiresIn(session) > marginMs) return session;

  let renewal = inFlight.get(shop);
  if (!renewal) {
    renewal = withTokenLease(db, shop, opts, () => renew(storage, shop, marginMs)).finally(() => inFlight.delete(shop));
    inFlight.set(shop, renewal);
  }
  return renewal;
}

async function renew(storage: EncryptedSessionStorage, shop: string, marginMs: number): Promise<Session> {
  // Re-read under the lease: another instance may have renewed it meanwhile.
  const current = await storage.loadSession(offlineSessionId(shop));
  if (!current?.accessToken) throw noSession(shop);
  if (expiresIn(current) > marginMs) return current;
  if (!current.refreshToken) {
    if (expiresIn(current) > 0) return current;
    throw new SyncError("auth", `Shopify's access token for ${shop} has expired and cannot be renewed: ${RECONNECT}.`, { platform: "shopify" });
  }
  try {
    const fresh = await refreshOfflineToken(shop, current.refreshToken);
    await storage.storeSession(fresh);
    log("shopify", "info", "token_refreshed", { shop, expires: fresh.expires?.toISOString() });
    return fresh;
  } catch (error) {
    const e = error instanceof SyncError ? error : new SyncError("retryable", String(error), { platform: "shopify" });
    if (e.kind === "auth") {
      // Forget the refused grant (see the invariants above).
      const copy = Object.assign(Object.create(Object.getPrototypeOf(current)), current) as Session;
      copy.refreshToken = undefined;
      copy.refreshTokenExpires = undefined;
      await storage.storeSession(copy);
      log("shopify", "warn", "token_refresh_refused", { shop, httpStatus: e.httpStatus });
      throw e;
    }
    log("shopify", "warn", "token_refresh_failed", { shop, error: e.message, tokenStillValidMs: Math.max(0, expiresIn(current)) });
    if (expiresIn(current) > 0) return current;
    throw e;
  }
}

/** Runs `fn` while holding the shop's token lease, waiting for another holder to finish first. */
export async function withTokenLease<T>(db: Db, shop: string, opts: Pick<RenewOptions, "leaseMs" | "onLeaseBusy">, fn: () => Promise<T>): Promise<T> {
  const leaseMs = opts.leaseMs ?? LEASE_MS;
  const holder = randomUUID();
  const giveUpAt = Date.now() + leaseMs + 5_000;
  let told = false;
  for (let pause = 25; !(await tryLease(db, shop, holder, leaseMs)); pause = Math.min(pause * 2, 400)) {
    if (!told) opts.onLeaseBusy?.();
    told = true;
    if (Date.now() > giveUpAt) {
      throw new SyncError("retryable", `Another instance is renewing Shopify's access for ${shop}; trying again shortly.`, { platform: "shopify" });
    }
    await new Promise((r) => setTimeout(r, pause));
  }
  try {
    return await fn();
  } finally {
    await db.shopifyTokenLease.deleteMany({ where: { shop, holder } });
  }
}

async function tryLease(db: Db, shop: string, holder: string, leaseMs: number): Promise<boolean> {
  const now = new Date();
  const until = new Date(now.getTime() + leaseMs);
  // Take over a lease that ran out (its holder crashed); else create the row.
  const { count } = await db.shopifyTokenLease.updateMany({ where: { shop, until: { lt: now } }, data: { holder, until } });
  if (count === 1) return true;
  try {
    await db.shopifyTokenLease.create({ data: { shop, holder, until } });
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false; // held by someone else
    throw error;
  }
}

/**
 * The shop's current access token. `rejected` is one Shopify just refused
 * (401): when that is the stored non-expiring token, it was migrated away and
 * the answer was lost, so the exchange is made again at once (Shopify accepts
 * the old token for it for 7 days).
 */
export async function offlineAccessToken(db: Db, shop: string, opts: RenewOptions = {}, rejected?: string): Promise<string> {
  const session = await offlineSession(db, shop, opts);
  if (rejected && session.accessToken === rejected && !session.expires && (await migrateShopToken(db, shop)) === "migrated") {
    return (await offlineSession(db, shop, opts)).accessToken!;
  }
  return session.accessToken!;
}

/** An Admin client whose every request carries the shop's current offline token. */
export function offlineAdmin(db: Db, shop: string, opts: AdminOptions & RenewOptions = {}): ShopifyAdmin {
  return new ShopifyAdmin(shop, (rejected) => offlineAccessToken(db, shop, opts, rejected), opts);
}

export type MigrationOutcome = "migrated" | "already" | "failed";

/** Migrates one shop's token if it is still non-expiring. */
export async function migrateShopToken(db: Db, shop: string): Promise<MigrationOutcome> {
  const storage = new EncryptedSessionStorage(db);
  return withTokenLease(db, shop, {}, async () => {
    const session = await storage.loadSession(offlineSessionId(shop));
    if (!session?.accessToken || session.expires) return "already";
    try {
      const fresh = await migrateOfflineToken(shop, session.accessToken);
      await storage.storeSession(fresh);
      await setTokenMigrationResult(db, shop, null);
      log("shopify", "info", "token_migrated", { shop });
      return "migrated";
    } catch (error) {
      const message = error instanceof SyncError ? error.message : String(error);
      await setTokenMigrationResult(db, shop, message);
      log("shopify", "warn", "token_migration_failed", { shop, error: message });
      return "failed";
    }
  });
}



/**
 * A new offline session was stored by a token exchange (the merchant opened the
 * app): items that failed because Shopify's access was lost run again.
 */
export async function resumeAfterReconnect(db: Db, shop: string): Promise<number> {
  const resumed = await retryAllFailed(db, shop, { lastErrorContains: RECONNECT });
  if (resumed) log("shopify", "info", "items_resumed_after_reconnect", { shop, resumed });
  return resumed;
}
