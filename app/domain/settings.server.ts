// Shop settings: which platform is the CRM, Commerce7 credentials, and the
// tier → Commerce7 club mapping.
//
// Invariants: the app secret is write-only — it is stored encrypted and never
// sent back to the browser; leaving the secret field empty keeps the stored one.
import { z } from "zod";
import type { Db } from "../db.server";
import { env } from "../env.server";
import { Commerce7Client } from "../integrations/commerce7/client.server";
import { listClubs, type Club } from "../integrations/commerce7/clubs.server";
import { shopCommerce7Gate } from "../integrations/commerce7/processors.server";
import { sendMail } from "../integrations/email/mailer.server";
import { SyncError } from "../queue/errors";
import { MAX_ENDED_MESSAGE } from "./member-display";
import { queueMembersDisplayRefresh } from "./member-display.server";
import { COUNT_ORDERS_WHEN } from "./orders";
import { wakeWorker } from "../queue/enqueue.server";
import { asPlatform, type Platform } from "./platforms";
import { switchPlatform, switchPreview, switchRefusal } from "./platform-switch.server";
import { requestCommerce7History } from "./commerce7-history.server";
import { fieldErrors } from "./validation";
import { commerce7WebhookSettings } from "./commerce7-webhook.server";
import { CRMS, getCommerce7Credentials, publicShopSettings, requireShop, setCommerce7Credentials } from "./shops.server";

export const settingsInput = z.object({
  crm: z.enum(CRMS),
  c7Tenant: z.string().trim().max(200).default(""),
  c7AppId: z.string().trim().max(200).default(""),
  c7AppSecret: z.string().max(500).default(""),
  alertEmail: z.union([z.literal(""), z.email()]).default(""),
  // When an order's spend starts to count toward renewals and upgrades (ADR 0019).
  countOrdersWhen: z.enum(COUNT_ORDERS_WHEN).default("paid"),
  // Our pace for the shop's Commerce7 tenant, per request (ADR 0021); absent: unchanged.
  c7RequestsPerMinute: z.coerce.number().int().min(10).max(6000).optional(),
  // The line members whose membership ended read in their customer account (ADR 0027); absent: unchanged.
  memberEndedMessage: z.string().trim().max(MAX_ENDED_MESSAGE, `Keep it under ${MAX_ENDED_MESSAGE} characters`).optional(),
  // Days before expiry of the "Membership expiring soon" Flow trigger (ADR 0028); absent: unchanged.
  flowExpiringSoonDays: z.coerce.number().int().min(1).max(90).optional(),
});

export type SettingsInput = z.infer<typeof settingsInput>;
const SETTINGS_LABELS = { crm: "Platform", c7Tenant: "Tenant", c7AppId: "App id", c7AppSecret: "App secret", alertEmail: "Alert email", countOrdersWhen: "Count orders toward tiers", c7RequestsPerMinute: "Commerce7 requests per minute", memberEndedMessage: "Message to members whose membership ended", flowExpiringSoonDays: "Expiring soon, days before expiry" };
export type FieldErrors = Partial<Record<keyof SettingsInput, string>>;

export async function loadSettings(db: Db, shop: string) {
  const row = await requireShop(db, shop);
  // What switching to the other platform would do, shown before the merchant saves it.
  const other = asPlatform(row.crm) === "shopify" ? "commerce7" : "shopify";
  const preview = await switchPreview(db, shop, other);
  const creds = await getCommerce7Credentials(db, shop);
  const tiers = await db.tier.findMany({ where: { shop }, orderBy: [{ active: "desc" }, { rank: "asc" }], select: { id: true, name: true, c7ClubId: true, active: true } });
  // emailAlerts: whether this server can send alert emails at all (never the SMTP URL itself).
  const c7 = { webhook: commerce7WebhookSettings(row), requestsPerMinute: row.c7RequestsPerMinute };
  return { settings: { ...publicShopSettings(row), c7AppId: creds?.appId ?? "" }, c7, tiers, emailAlerts: Boolean(env.SMTP_URL), switchPreview: { ...preview, refusal: switchRefusal(preview) } };
}

export type SaveResult = { ok: true; switched?: { from: Platform; to: Platform; members: number } } | { ok: false; errors: FieldErrors };

/**
 * Validates and saves; returns field errors and writes nothing when any field
 * is wrong. A new platform is a switch (platform-switch.server.ts): refused
 * while a tier with members has nowhere to go, else made in the same
 * transaction as the credentials it needs.
 */
export async function saveSettings(db: Db, shop: string, raw: unknown): Promise<SaveResult> {
  const parsed = settingsInput.safeParse(raw);
  const errors: FieldErrors = {};
  if (!parsed.success) return { ok: false, errors: fieldErrors<keyof SettingsInput>(parsed.error, SETTINGS_LABELS) };
  const input = parsed.data;
  const existing = await getCommerce7Credentials(db, shop);
  const secret = input.c7AppSecret || existing?.appSecret || "";
  if (input.crm === "commerce7") {
    if (!input.c7Tenant) errors.c7Tenant = "Tenant is required for Commerce7";
    if (!input.c7AppId) errors.c7AppId = "App id is required for Commerce7";
    if (!secret) errors.c7AppSecret = "App secret is required for Commerce7";
  }
  const current = asPlatform((await db.shop.findUnique({ where: { domain: shop }, select: { crm: true } }))?.crm);
  if (input.crm !== current) {
    const refusal = switchRefusal(await switchPreview(db, shop, input.crm));
    if (refusal) errors.crm = refusal;
  }
  if (Object.keys(errors).length) return { ok: false, errors };

  let displayQueued = false;
  let historyQueued = false;
  const switched = await db.$transaction(async (tx) => {
    historyQueued = false;
    await requireShop(tx, shop);
    if (input.c7Tenant && input.c7AppId && secret) {
      await setCommerce7Credentials(tx, shop, { tenant: input.c7Tenant, appId: input.c7AppId, appSecret: secret });
    }
    const before = await tx.shop.findUnique({ where: { domain: shop }, select: { memberEndedMessage: true } });
    // The time zone and currency are Shopify's (shop context), not settings; the platform is the switch's.
    await tx.shop.update({
      where: { domain: shop },
      data: {
        alertEmail: input.alertEmail || null,
        countOrdersWhen: input.countOrdersWhen,
        c7RequestsPerMinute: input.c7RequestsPerMinute,
        memberEndedMessage: input.memberEndedMessage === undefined ? undefined : input.memberEndedMessage || null,
        flowExpiringSoonDays: input.flowExpiringSoonDays,
      },
    });
    // A new line for ended members reaches the accounts of those already ended (ADR 0027).
    const message = input.memberEndedMessage === undefined ? undefined : input.memberEndedMessage || null;
    if (message !== undefined && message !== (before?.memberEndedMessage ?? null) && (await queueMembersDisplayRefresh(tx, shop, "ended"))) displayQueued = true;
    // Commerce7 connected now (switched to, or its first credentials): its
    // year of orders is read into spend (ADR 0022), with the switch or the
    // save. Queued after the switch: the switch takes the shop's row before its
    // platform lock, as every writer of both must (platform-switch.server.ts).
    const connect = async () => {
      if (input.crm === "commerce7" && (current !== "commerce7" || !existing)) historyQueued = (await requestCommerce7History(tx, shop, "connect")).queued;
    };
    if (input.crm === current) {
      await connect();
      return undefined;
    }
    // Checked again in the transaction: a tier may have lost its club since the first look.
    const refusal = switchRefusal(await switchPreview(tx, shop, input.crm));
    if (refusal) throw new SwitchRefused(refusal);
    const { from, members } = await switchPlatform(tx, shop, input.crm);
    await connect();
    return { from, to: input.crm, members };
  }).catch((error: unknown) => {
    if (error instanceof SwitchRefused) return error;
    throw error;
  });
  if (switched instanceof SwitchRefused) return { ok: false, errors: { crm: switched.message } };
  if (switched || displayQueued || historyQueued) wakeWorker();
  return { ok: true, ...(switched ? { switched } : {}) };
}

class SwitchRefused extends Error {}

export type ConnectionTest = { ok: true; clubs: Club[] } | { ok: false; message: string };

/** Calls Commerce7 with the stored (or just-typed) credentials and lists its clubs. */
export async function testCommerce7Connection(
  db: Db,
  shop: string,
  typed: { c7Tenant?: string; c7AppId?: string; c7AppSecret?: string } = {},
): Promise<ConnectionTest> {
  const stored = await getCommerce7Credentials(db, shop);
  const tenant = typed.c7Tenant || stored?.tenant;
  const appId = typed.c7AppId || stored?.appId;
  const appSecret = typed.c7AppSecret || stored?.appSecret;
  if (!tenant || !appId || !appSecret) return { ok: false, message: "Enter the tenant, app id and app secret first." };
  try {
    return { ok: true, clubs: await listClubs(new Commerce7Client({ tenant, appId, appSecret }, { gate: await shopCommerce7Gate(db, shop) })) };
  } catch (error) {
    if (error instanceof SyncError) {
      if (error.kind === "auth") return { ok: false, message: "Commerce7 refused these credentials: check the tenant, app id and app secret." };
      if (error.kind === "retryable") return { ok: false, message: `Commerce7 could not be reached (${error.message}). Try again in a moment.` };
      return { ok: false, message: error.message };
    }
    throw error;
  }
}

/**
 * Sends one test email to the SAVED alert address, so the merchant knows
 * failure alerts and data requests will reach them.
 */
export async function sendTestEmail(db: Db, shop: string): Promise<{ ok: boolean; message: string }> {
  const row = await db.shop.findUnique({ where: { domain: shop }, select: { alertEmail: true } });
  if (!row?.alertEmail) return { ok: false, message: "Enter an alert email and save it first." };
  if (!env.SMTP_URL) return { ok: false, message: "Email is not set up on this server (SMTP_URL), so alerts show on the Sync queue page only." };
  try {
    await sendMail(env.SMTP_URL, env.ALERT_FROM, {
      to: row.alertEmail,
      subject: `Club Tiers: test email (${shop})`,
      text: "This is a test from Club Tiers. Failure alerts and customer data requests will arrive at this address.",
    });
    return { ok: true, message: `Sent to ${row.alertEmail}.` };
  } catch (error) {
    if (error instanceof SyncError) return { ok: false, message: error.message };
    throw error;
  }
}

const mappingInput = z.record(z.string(), z.string().trim().max(200));

/** Saves tier → club ids (empty string clears a mapping). Only this shop's tiers are touched. */
export async function saveClubMapping(db: Db, shop: string, raw: unknown) {
  const mapping = mappingInput.parse(raw);
  await db.$transaction(
    Object.entries(mapping).map(([tierId, clubId]) => db.tier.updateMany({ where: { id: tierId, shop }, data: { c7ClubId: clubId || null } })),
  );
}
