// Shops: install state, CRM choice and Commerce7 credentials.
//
// Invariant: Commerce7 credentials exist in plaintext only in memory. They are
// stored as one AES-GCM envelope (app/crypto.server.ts) and never returned by
// anything a route sends to the browser (see `publicShopSettings`).
import { z } from "zod";
import { decryptSecret, encryptSecret } from "../crypto.server";
import type { Db, Tx } from "../db.server";
import { refreshSyncState } from "../queue/sync-state.server";

export const CRMS = ["shopify", "commerce7"] as const;
export type Crm = (typeof CRMS)[number];

export type Commerce7Credentials = { tenant: string; appId: string; appSecret: string };

const credentialsEnvelope = z.object({ appId: z.string().min(1), appSecret: z.string().min(1) });

export async function recordInstall(db: Db | Tx, domain: string) {
  return db.shop.upsert({
    where: { domain },
    create: { domain },
    update: { uninstalledAt: null, installedAt: new Date() },
  });
}

/**
 * The shop's IANA time zone, which every membership date is computed in
 * (dates.ts). A shop with no row yet computes in UTC, as the column's default.
 */
export async function shopTimeZone(db: Db | Tx, domain: string): Promise<string> {
  const row = await db.shop.findUnique({ where: { domain }, select: { timezone: true } });
  return row?.timezone ?? "UTC";
}

export async function markUninstalled(db: Db | Tx, domain: string) {
  await db.shop.updateMany({ where: { domain }, data: { uninstalledAt: new Date() } });
}

/**
 * app/uninstalled: the token is already revoked, so delete the sessions, mark
 * the shop uninstalled and stop its queue work (pending items are cancelled,
 * not failed: nothing went wrong, and no alert should fire). One transaction;
 * a repeat changes nothing. Items in flight finish on their own.
 */
export async function uninstallShop(db: Db, domain: string) {
  await db.$transaction(async (tx) => {
    await tx.session.deleteMany({ where: { shop: domain } });
    await markUninstalled(tx, domain);
    const stopped = await tx.crmSyncQueue.findMany({ where: { shop: domain, status: "pending" }, select: { enrollmentId: true }, distinct: ["enrollmentId"] });
    await tx.crmSyncQueue.updateMany({
      where: { shop: domain, status: "pending" },
      data: { status: "cancelled", discardedBy: "system", discardReason: "App uninstalled" },
    });
    await refreshSyncState(tx, domain, stopped.map((i) => i.enrollmentId));
  });
}

/** The outcome of migrating the shop's Shopify token: null clears a past failure. */
export async function setTokenMigrationResult(db: Db | Tx, domain: string, error: string | null) {
  await db.shop.updateMany({ where: { domain }, data: { tokenMigrationError: error, tokenMigrationFailedAt: error ? new Date() : null } });
}

/** A failed token migration to show the merchant, or null. */
export async function tokenMigrationProblem(db: Db | Tx, domain: string) {
  const shop = await db.shop.findUnique({ where: { domain }, select: { tokenMigrationError: true, tokenMigrationFailedAt: true } });
  return shop?.tokenMigrationError && shop.tokenMigrationFailedAt ? { error: shop.tokenMigrationError, failedAt: shop.tokenMigrationFailedAt.toISOString() } : null;
}

export async function getShop(db: Db | Tx, domain: string) {
  return db.shop.findUnique({ where: { domain } });
}

export async function requireShop(db: Db | Tx, domain: string) {
  return (await getShop(db, domain)) ?? recordInstall(db, domain);
}

export async function setCommerce7Credentials(db: Db | Tx, domain: string, creds: Commerce7Credentials) {
  const c7CredentialsEnc = encryptSecret(JSON.stringify({ appId: creds.appId, appSecret: creds.appSecret }));
  await db.shop.upsert({
    where: { domain },
    create: { domain, c7Tenant: creds.tenant, c7CredentialsEnc },
    update: { c7Tenant: creds.tenant, c7CredentialsEnc },
  });
}

/** Decrypted credentials, or null when the shop has none configured. */
export async function getCommerce7Credentials(db: Db | Tx, domain: string): Promise<Commerce7Credentials | null> {
  const shop = await db.shop.findUnique({ where: { domain }, select: { c7Tenant: true, c7CredentialsEnc: true } });
  if (!shop?.c7Tenant || !shop.c7CredentialsEnc) return null;
  const { appId, appSecret } = credentialsEnvelope.parse(JSON.parse(decryptSecret(shop.c7CredentialsEnc)));
  return { tenant: shop.c7Tenant, appId, appSecret };
}

/** What the settings page may show: never the secret. */
export function publicShopSettings(shop: {
  domain: string;
  crm: string;
  c7Tenant: string | null;
  c7CredentialsEnc: string | null;
  timezone: string;
  alertEmail: string | null;
}) {
  return {
    domain: shop.domain,
    crm: shop.crm as Crm,
    c7Tenant: shop.c7Tenant,
    c7CredentialsConfigured: Boolean(shop.c7CredentialsEnc),
    timezone: shop.timezone,
    alertEmail: shop.alertEmail,
  };
}
