// The Commerce7 order webhook's own authentication (ADR 0021).
//
// Commerce7 does not sign its webhooks; its only protection is an optional
// Basic auth the merchant types in its admin. So each shop's endpoint URL
// carries a long random key of ours (256 bits, base64url):
// /webhooks/commerce7/<key>. Invariants:
// - The key finds the shop through its SHA-256 (Shop.c7WebhookKeyHash, unique):
//   nothing compares a secret byte by byte, and the hash of a 256-bit random
//   value cannot be walked back to it.
// - The key itself is kept only as an AES-GCM envelope (c7WebhookKeyEnc), so
//   Settings can show the URL again; rotating replaces both at once, and the
//   old URL stops working at that moment.
// - Basic auth, when the merchant sets it, is required on top (compared in
//   constant time); it is stored encrypted, and its password never leaves.
// - Neither the key nor the password is ever logged: the request log redacts
//   the path's key (server/redact.mjs), and our log lines carry the shop only.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { decryptSecret, encryptSecret } from "../crypto.server";
import type { Db } from "../db.server";
import { env } from "../env.server";

export const COMMERCE7_WEBHOOK_PATH = "/webhooks/commerce7/";
const KEY_BYTES = 32;
const keyShape = /^[A-Za-z0-9_-]{43}$/;

const hashOf = (key: string) => createHash("sha256").update(key, "utf8").digest("hex");

const basicAuth = z.object({ username: z.string().min(1), password: z.string().min(1) });
export const webhookAuthInput = z
  .object({
    c7WebhookUsername: z.string().trim().max(200).default(""),
    c7WebhookPassword: z.string().max(500).default(""),
  })
  .refine((v) => (v.c7WebhookUsername === "") === (v.c7WebhookPassword === ""), {
    message: "Enter both a username and a password, or neither (no Basic auth).",
    path: ["c7WebhookPassword"],
  });

/** The endpoint URL for a key (what the merchant pastes into Commerce7). */
export function commerce7WebhookUrl(key: string) {
  return `${env.SHOPIFY_APP_URL.replace(/\/$/, "")}${COMMERCE7_WEBHOOK_PATH}${key}`;
}

/** A new key for the shop; the previous one (if any) stops working now. Returns the new URL. */
export async function rotateCommerce7WebhookKey(db: Db, shop: string): Promise<string> {
  const key = randomBytes(KEY_BYTES).toString("base64url");
  await db.shop.upsert({
    where: { domain: shop },
    create: { domain: shop, c7WebhookKeyHash: hashOf(key), c7WebhookKeyEnc: encryptSecret(key) },
    update: { c7WebhookKeyHash: hashOf(key), c7WebhookKeyEnc: encryptSecret(key) },
  });
  return commerce7WebhookUrl(key);
}

/** What Settings shows: the URL (null until one is made) and the Basic auth username, never its password. */
export function commerce7WebhookSettings(row: { c7WebhookKeyEnc: string | null; c7WebhookAuthEnc: string | null }) {
  const auth = row.c7WebhookAuthEnc ? basicAuth.parse(JSON.parse(decryptSecret(row.c7WebhookAuthEnc))) : null;
  return { url: row.c7WebhookKeyEnc ? commerce7WebhookUrl(decryptSecret(row.c7WebhookKeyEnc)) : null, username: auth?.username ?? null };
}

/** Sets (both fields) or clears (both empty) the Basic auth deliveries must carry. */
export async function setCommerce7WebhookAuth(db: Db, shop: string, raw: unknown): Promise<{ ok: true } | { ok: false; error: string }> {
  const parsed = webhookAuthInput.safeParse(raw);
  if (!parsed.success) return { ok: false, error: parsed.error.issues[0]?.message ?? "Invalid" };
  const { c7WebhookUsername: username, c7WebhookPassword: password } = parsed.data;
  const c7WebhookAuthEnc = username ? encryptSecret(JSON.stringify({ username, password })) : null;
  await db.shop.updateMany({ where: { domain: shop }, data: { c7WebhookAuthEnc } });
  return { ok: true };
}

export type WebhookShop = { domain: string; c7Tenant: string | null; uninstalledAt: Date | null };

/**
 * The shop whose endpoint this key opens, if the request also carries the
 * Basic auth that shop requires; null otherwise (the caller answers 401 and
 * records nothing).
 */
export async function commerce7WebhookShop(db: Db, key: string, authorization: string | null): Promise<WebhookShop | null> {
  if (!keyShape.test(key)) return null;
  const row = await db.shop.findUnique({ where: { c7WebhookKeyHash: hashOf(key) }, select: { domain: true, c7Tenant: true, uninstalledAt: true, c7WebhookAuthEnc: true } });
  if (!row) return null;
  if (row.c7WebhookAuthEnc) {
    const want = basicAuth.parse(JSON.parse(decryptSecret(row.c7WebhookAuthEnc)));
    const given = authorization?.startsWith("Basic ") ? Buffer.from(authorization.slice(6).trim(), "base64").toString("utf8") : "";
    // Compared as digests: equal lengths, constant time.
    const a = createHash("sha256").update(given).digest();
    const b = createHash("sha256").update(`${want.username}:${want.password}`).digest();
    if (!timingSafeEqual(a, b)) return null;
  }
  return { domain: row.domain, c7Tenant: row.c7Tenant, uninstalledAt: row.uninstalledAt };
}
