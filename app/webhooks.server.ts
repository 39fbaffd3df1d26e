// The one wrapper around every webhook route. Shopify retries any non-2xx
// eight times over four hours, so each answer says exactly what happened, and
// no input Shopify (or anyone) can send is ever a 500:
//
//   not POST                                          → 405
//   HMAC missing or wrong, or a shop header that is
//   not a shop domain (the signature cannot vouch
//   for a shop we would never have registered)        → 401, nothing read
//   authentic, but the body is not a JSON object
//   (malformed, `null`, an array)                      → 400, logged with the webhook id, never the body
//   authentic, for a shop that is not installed
//   (no offline session)                              → 200 `{ ignored }`, nothing recorded
//   the handler cannot read the payload
//   (InvalidPayload, ZodError)                        → 400 naming the field, nothing written
//   the database is busy or unreachable               → 503 (Shopify retries later)
//
// The HMAC and shop are checked here before Shopify's library sees the
// request, because the library JSON.parses the body itself (a 500 on
// malformed JSON) and throws on a foreign shop header (another 500). The
// library then verifies the delivery again and supplies the context.
// Handlers record in one local transaction (no remote call, so Shopify gets
// its answer well inside its 5 s). Logs carry ids and outcomes only.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { ActionFunctionArgs } from "@remix-run/node";
import { ZodError } from "zod";
import prisma, { isDatabaseUnavailable, type Db } from "./db.server";
import { InvalidPayload } from "./domain/orders.server";
import { env } from "./env.server";
import { log } from "./log.server";
import { authenticate } from "./shopify.server";

export type WebhookContext = {
  db: Db;
  shop: string;
  /** Shopify's topic, e.g. "ORDERS_CREATE" (the library's spelling). */
  topic: string;
  webhookId: string;
  /** A JSON object (checked by the wrapper); handlers validate its fields. */
  payload: Record<string, unknown>;
  /** The shop's offline session id, when the shop is installed. */
  sessionId: string | null;
  /** When the event happened (X-Shopify-Triggered-At), if the header is a readable time; redeliveries keep it. */
  triggeredAt: Date | null;
};

function triggeredAt(header: string | null): Date | null {
  if (!header) return null;
  const t = Date.parse(header);
  return Number.isNaN(t) ? null : new Date(t);
}

export type WebhookOptions = {
  /**
   * Whether the handler runs for a shop that is not installed. Default false:
   * such a delivery is acknowledged and ignored. The privacy topics that ERASE
   * data set true for their topics: shop/redact arrives 48 h after uninstall.
   */
  runWhenNotInstalled?: (topic: string) => boolean;
};

const MYSHOPIFY = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;

function isShopDomain(shop: string): boolean {
  const s = shop.toLowerCase();
  return MYSHOPIFY.test(s) || (env.SHOP_CUSTOM_DOMAIN !== undefined && s === env.SHOP_CUSTOM_DOMAIN.toLowerCase());
}

function authentic(raw: string, signature: string | null): boolean {
  if (!signature) return false;
  const expected = createHmac("sha256", env.SHOPIFY_API_SECRET).update(raw, "utf8").digest();
  const given = Buffer.from(signature, "base64");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const json = (body: unknown, status = 200) => Response.json(body, { status });

/** Wraps a webhook handler; `event` names its log lines. The handler returns what to answer (a JSON object) or a Response. */
export function webhookAction(event: string, handle: (ctx: WebhookContext) => Promise<object | Response>, opts: WebhookOptions = {}) {
  return async ({ request }: ActionFunctionArgs): Promise<Response> => {
    if (request.method !== "POST") return new Response(null, { status: 405 });
    const raw = await request.text();
    const shop = request.headers.get("x-shopify-shop-domain") ?? "";
    const webhookId = request.headers.get("x-shopify-webhook-id") ?? "";
    if (!authentic(raw, request.headers.get("x-shopify-hmac-sha256"))) {
      log("webhooks", "warn", `${event}_unauthentic`, { webhookId, reason: "hmac" });
      return new Response(null, { status: 401 });
    }
    if (!isShopDomain(shop)) {
      log("webhooks", "warn", `${event}_unauthentic`, { webhookId, reason: "shop header is not a shop domain" });
      return new Response(null, { status: 401 });
    }
    let payload: unknown;
    try {
      payload = JSON.parse(raw);
    } catch {
      log("webhooks", "warn", `${event}_unreadable`, { shop, webhookId, error: "the body is not JSON", bytes: raw.length });
      return json({ error: "The body is not JSON." }, 400);
    }
    if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
      log("webhooks", "warn", `${event}_unreadable`, { shop, webhookId, error: "the body is not a JSON object" });
      return json({ error: "The body is not a JSON object." }, 400);
    }

    try {
      // The library checks the delivery again (headers, HMAC) and loads the
      // offline session; its own refusals are Responses and pass through.
      const context = await authenticate.webhook(new Request(request.url, { method: "POST", headers: request.headers, body: raw }));
      const installed = Boolean(context.session);
      if (!installed && !opts.runWhenNotInstalled?.(context.topic)) {
        log("webhooks", "info", `${event}_ignored`, { shop, webhookId, reason: "not installed" });
        return json({ ignored: "The shop has not installed the app." });
      }
      const outcome = await handle({
        db: prisma,
        shop: context.shop,
        topic: context.topic,
        webhookId: context.webhookId,
        payload: payload as Record<string, unknown>,
        sessionId: context.session?.id ?? null,
        triggeredAt: triggeredAt(request.headers.get("x-shopify-triggered-at")),
      });
      if (outcome instanceof Response) return outcome;
      log("webhooks", "info", event, { shop, webhookId, topic: context.topic, ...outcome });
      return json(outcome);
    } catch (error) {
      if (error instanceof Response) return error;
      if (error instanceof InvalidPayload || error instanceof ZodError) {
        const message = error instanceof ZodError ? error.issues.map((i) => `${i.path.join(".") || "payload"}: ${i.message}`).join("; ") : error.message;
        log("webhooks", "warn", `${event}_invalid`, { shop, webhookId, error: message });
        return json({ error: message }, 400);
      }
      if (isDatabaseUnavailable(error)) {
        log("webhooks", "warn", `${event}_database_unavailable`, { shop, webhookId });
        return json({ error: "The database is busy. Shopify will deliver this again." }, 503);
      }
      // Our own bug, not the sender's input: a 500 makes Shopify deliver it again
      // once it is fixed. The message only: an error may quote the payload.
      log("webhooks", "error", `${event}_failed`, { shop, webhookId, error: error instanceof Error ? error.name : "unknown" });
      return json({ error: "Internal error" }, 500);
    }
  };
}
