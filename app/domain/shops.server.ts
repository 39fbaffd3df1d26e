// Shops: install state (ADR 0017), CRM choice and Commerce7 credentials.
//
// Invariant: Commerce7 credentials exist in plaintext only in memory. They are
// stored as one AES-GCM envelope (app/crypto.server.ts) and never returned by
// anything a route sends to the browser (see `publicShopSettings`).
import { z } from "zod";
import { decryptSecret, encryptSecret } from "../crypto.server";
import { dbProvider, type Db, type Tx } from "../db.server";
import { queueCrmSync } from "../queue/enqueue.server";
import { queueReinstallResync, stopShopItems } from "../queue/lifecycle.server";
import { isTimeZone } from "./dates";
import { isCurrency } from "./money";
import { sql } from "../queue/sql.server";
import { countOrdersWhen } from "./orders";
import { requestBackfill } from "./backfill.server";

export const CRMS = ["shopify", "commerce7"] as const;
export const SHOP_CONTEXT_ACTION = "refresh_shop_context";
const SHOP_CONTEXT_ORDERING_KEY = "shop-context";
export type Crm = (typeof CRMS)[number];

export type Commerce7Credentials = { tenant: string; appId: string; appSecret: string };

const credentialsEnvelope = z.object({ appId: z.string().min(1), appSecret: z.string().min(1) });

/**
 * A token exchange stored a new offline session (afterAuth): the app is
 * installed now. `installedAt` moves to now on every exchange, since each
 * proves the app installed at that moment: an app/uninstalled triggered
 * before it belongs to an earlier install (uninstallShop). A shop that was
 * uninstalled is REinstalled: the same transaction queues the resync of every
 * active member and the discount (queue/lifecycle.server.ts). The conditional
 * update lets one of two concurrent exchanges be the reinstall.
 */
export async function recordInstall(db: Db, domain: string, now = new Date()): Promise<{ reinstalled: boolean }> {
  return db.$transaction(async (tx) => {
    await tx.shop.upsert({ where: { domain }, create: { domain, installedAt: now }, update: {} });
    // The shop's zone and currency, read from Shopify by the worker (it must not
    // hold up the token exchange, and a Shopify hiccup retries there).
    await queueCrmSync({ shop: domain, actionType: SHOP_CONTEXT_ACTION, stageId: "install", customerId: SHOP_CONTEXT_ORDERING_KEY, idempotencyKey: `shop_context:${now.getTime()}` }, tx);
    const { count } = await tx.shop.updateMany({ where: { domain, uninstalledAt: { not: null } }, data: { uninstalledAt: null, installedAt: now } });
    // A year of orders into the spend ledger (ADR 0023): at the first install,
    // and at a reinstall (orders placed while the app was away). Not at every
    // token exchange: recordInstall runs on each.
    if (count === 1 || (await tx.orderBackfill.count({ where: { shop: domain } })) === 0) await requestBackfill(tx, domain, "install", now);
    if (count === 0) {
      await tx.shop.updateMany({ where: { domain }, data: { installedAt: now } });
      return { reinstalled: false };
    }
    const row = await tx.shop.findUniqueOrThrow({ where: { domain }, select: { crm: true } });
    await queueReinstallResync(tx, domain, row.crm, String(now.getTime()));
    return { reinstalled: true };
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

/**
 * The shop's own clock and money: its IANA zone (every membership date) and its
 * currency (every amount, in that currency's minor units). Both come from
 * Shopify at install and on shop/update (shop-context.server.ts); a shop with
 * no row yet has the columns' defaults.
 */
export async function shopContext(db: Db | Tx, domain: string): Promise<{ timezone: string; currency: string }> {
  const row = await db.shop.findUnique({ where: { domain }, select: { timezone: true, currency: true } });
  return { timezone: row?.timezone ?? "UTC", currency: row?.currency ?? "USD" };
}

export type ShopContextUpdate = { timezone: string; currency: string; at: Date };

/**
 * Stores the zone and currency Shopify reports for the shop, unless a newer
 * report is already stored (`at`: when the values were true). A zone or
 * currency this runtime cannot compute in is refused (nothing written): dates
 * and amounts would otherwise fail later, far from the cause. Membership
 * dates already computed keep their instants; later ones use the new zone.
 */
export async function storeShopContext(db: Db | Tx, domain: string, update: ShopContextUpdate): Promise<{ stored: boolean }> {
  if (!isTimeZone(update.timezone)) throw new InvalidShopContext(`Unknown time zone "${update.timezone}"`);
  if (!isCurrency(update.currency)) throw new InvalidShopContext(`Unknown currency "${update.currency}"`);
  const { count } = await db.shop.updateMany({
    where: { domain, OR: [{ contextAt: null }, { contextAt: { lt: update.at } }] },
    data: { timezone: update.timezone, currency: update.currency, contextAt: update.at },
  });
  return { stored: count > 0 };
}

export class InvalidShopContext extends Error {}

export type UninstallOutcome = { uninstalled: true } | { ignored: string };

/**
 * app/uninstalled: the token is already revoked, so delete the sessions, mark
 * the shop uninstalled and stop its queue work (queue/lifecycle.server.ts:
 * pending items are cancelled; items in flight end quietly when their worker
 * records them). One transaction; a repeat changes nothing.
 *
 * A delivery triggered before the current install (`triggeredAt` older than
 * `installedAt`: Shopify redelivers for hours) is stale: the shop was
 * reinstalled since, so it changes nothing. The Shop row is locked first, so
 * the check and the writes see the same install. Without a trigger time the
 * uninstall is taken as it comes.
 */
export async function uninstallShop(db: Db, domain: string, { triggeredAt = null }: { triggeredAt?: Date | null } = {}): Promise<UninstallOutcome> {
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRawUnsafe<{ installedAt: unknown }[]>(
      sql(`SELECT "installedAt" FROM "Shop" WHERE domain = $1${dbProvider === "postgresql" ? " FOR UPDATE" : ""}`),
      domain,
    );
    const installedAt = rows[0] ? new Date(rows[0].installedAt as string | Date) : null;
    if (triggeredAt && installedAt && triggeredAt < installedAt) {
      return { ignored: `Triggered at ${triggeredAt.toISOString()}, before the current install (${installedAt.toISOString()}).` };
    }
    await tx.session.deleteMany({ where: { shop: domain } });
    await tx.shop.updateMany({ where: { domain }, data: { uninstalledAt: new Date() } });
    await stopShopItems(tx, domain);
    return { uninstalled: true as const };
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
  return (await getShop(db, domain)) ?? db.shop.upsert({ where: { domain }, create: { domain }, update: {} });
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
  currency: string;
  alertEmail: string | null;
  countOrdersWhen: string;
  memberEndedMessage?: string | null;
  flowExpiringSoonDays?: number;
}) {
  return {
    domain: shop.domain,
    crm: shop.crm as Crm,
    c7Tenant: shop.c7Tenant,
    c7CredentialsConfigured: Boolean(shop.c7CredentialsEnc),
    timezone: shop.timezone,
    currency: shop.currency,
    alertEmail: shop.alertEmail,
    countOrdersWhen: countOrdersWhen(shop.countOrdersWhen),
    memberEndedMessage: shop.memberEndedMessage ?? "",
    flowExpiringSoonDays: shop.flowExpiringSoonDays ?? 14,
  };
}
