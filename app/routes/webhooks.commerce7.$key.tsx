import type { ActionFunctionArgs } from "@remix-run/node";
import { ZodError } from "zod";
import prisma, { isDatabaseUnavailable } from "~/db.server";
import { commerce7WebhookBody, recordCommerce7Delivery } from "~/domain/commerce7-orders.server";
import { commerce7WebhookShop } from "~/domain/commerce7-webhook.server";
import { InvalidPayload } from "~/domain/orders.server";
import { log } from "~/log.server";

// Commerce7's Order webhooks, one URL per shop (ADR 0021). Commerce7 signs
// nothing, so the key in the path (and the Basic auth, when the merchant set
// one) is what authenticates a delivery. Answers say what happened and are
// never a 500 for what was sent:
//   not POST → 405; unknown key, wrong Basic auth, or another tenant's body →
//   401, nothing read or recorded; not a JSON object or an unreadable order →
//   400; a shop that uninstalled → 200 ignored; a busy database → 503
//   (Commerce7 logs the failure, and the catch-up reads it back).
// Log lines carry the shop and the outcome, never the key or the body.
export const action = async ({ request, params }: ActionFunctionArgs): Promise<Response> => {
  if (request.method !== "POST") return new Response(null, { status: 405 });
  try {
    const shop = await commerce7WebhookShop(prisma, params.key ?? "", request.headers.get("authorization"));
    if (!shop) {
      log("webhooks", "warn", "commerce7_order_unauthentic", { reason: "unknown key or wrong Basic auth" });
      return new Response(null, { status: 401 });
    }
    let body: unknown;
    try {
      body = JSON.parse(await request.text());
    } catch {
      body = undefined;
    }
    const parsed = commerce7WebhookBody.safeParse(body);
    if (!parsed.success) {
      log("webhooks", "warn", "commerce7_order_unreadable", { shop: shop.domain });
      return Response.json({ error: "The body is not a Commerce7 webhook ({ object, action, payload, tenantId })." }, { status: 400 });
    }
    // The key is this shop's; a body from another tenant is not (a key pasted into the wrong Commerce7 account).
    if (shop.c7Tenant && parsed.data.tenantId !== undefined && parsed.data.tenantId !== shop.c7Tenant) {
      log("webhooks", "warn", "commerce7_order_unauthentic", { shop: shop.domain, reason: "another tenant" });
      return new Response(null, { status: 401 });
    }
    if (shop.uninstalledAt) {
      log("webhooks", "info", "commerce7_order_ignored", { shop: shop.domain, reason: "not installed" });
      return Response.json({ ignored: "The shop has not installed the app." });
    }
    const outcome = await recordCommerce7Delivery(prisma, shop.domain, parsed.data);
    log("webhooks", "info", "commerce7_order", { shop: shop.domain, object: parsed.data.object, action: parsed.data.action, ...outcome });
    return Response.json(outcome);
  } catch (error) {
    if (error instanceof InvalidPayload || error instanceof ZodError) {
      const message = error instanceof ZodError ? error.issues.map((i) => `${i.path.join(".") || "payload"}: ${i.message}`).join("; ") : error.message;
      log("webhooks", "warn", "commerce7_order_invalid", { error: message });
      return Response.json({ error: message }, { status: 400 });
    }
    if (isDatabaseUnavailable(error)) {
      log("webhooks", "warn", "commerce7_order_database_unavailable", {});
      return Response.json({ error: "The database is busy. The delivery will be read back from Commerce7's webhook log." }, { status: 503 });
    }
    log("webhooks", "error", "commerce7_order_failed", { error: error instanceof Error ? error.name : "unknown" });
    return Response.json({ error: "Internal error" }, { status: 500 });
  }
};
