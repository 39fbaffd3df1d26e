// What Shopify does when a buyer checks out, for the sandbox: an orders/create
// webhook in the REST shape Shopify sends, signed with the app secret
// (base64 HMAC-SHA256 of the raw body), POSTed to the running app.
import { createHmac, randomUUID } from "node:crypto";
import { ADMIN_API_VERSION } from "../app/integrations/shopify/api-version";
import { remember } from "./secrets";

export type SandboxOrder = { shop: string; customer: { gid: string; email: string; firstName: string; lastName: string }; subtotal: string };

let orderNumber = 1000;

export function orderPayload(o: SandboxOrder) {
  orderNumber++;
  const id = Date.now() * 10 + (orderNumber % 10);
  const customerId = Number(o.customer.gid.split("/").pop());
  const money = (amount: string) => ({ shop_money: { amount, currency_code: "USD" }, presentment_money: { amount, currency_code: "USD" } });
  return {
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    name: `#${orderNumber}`,
    created_at: new Date().toISOString(),
    cancelled_at: null,
    test: false,
    currency: "USD",
    financial_status: "paid",
    email: o.customer.email,
    subtotal_price: o.subtotal,
    current_subtotal_price_set: money(o.subtotal),
    total_price_set: money(o.subtotal),
    customer: { id: customerId, admin_graphql_api_id: o.customer.gid, email: o.customer.email, first_name: o.customer.firstName, last_name: o.customer.lastName },
    line_items: [{ id: id + 1, title: "Sandbox wine", quantity: 1, price: o.subtotal }],
  };
}

/** Sends the webhook; answers with the app's HTTP status and JSON body. */
export async function sendOrderWebhook(appUrl: string, apiSecret: string, order: SandboxOrder): Promise<{ status: number; body: unknown }> {
  return sendWebhook(appUrl, apiSecret, order.shop, "orders/create", orderPayload(order));
}

/** Any topic, signed as Shopify signs it, to /webhooks/<topic>. */
export async function sendWebhook(appUrl: string, apiSecret: string, shop: string, topic: string, payload: unknown): Promise<{ status: number; body: unknown }> {
  const raw = JSON.stringify(payload);
  const res = await fetch(new URL(`/webhooks/${topic}`, appUrl), {
    method: "POST",
    body: raw,
    headers: {
      "Content-Type": "application/json",
      "X-Shopify-Topic": topic,
      "X-Shopify-Hmac-Sha256": remember(createHmac("sha256", apiSecret).update(raw, "utf8").digest("base64")),
      "X-Shopify-Shop-Domain": shop,
      "X-Shopify-API-Version": ADMIN_API_VERSION,
      "X-Shopify-Webhook-Id": randomUUID(),
      "X-Shopify-Event-Id": randomUUID(),
      "X-Shopify-Triggered-At": new Date().toISOString(),
    },
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body };
}
