// Every webhook route against deliveries that are signed but hostile or
// useless, through the real routes with real HMAC signatures: malformed JSON
// and JSON `null` get 400, a foreign shop header 401, a shop that never
// installed 200; none gets a 500, and nothing is recorded in any table.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { getHmac } from "@shopify/shopify-api/test-helpers";
import { beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "#prisma/sqlite";
import prisma from "~/db.server";
import { env } from "~/env.server";
import { ADMIN_API_VERSION } from "~/integrations/shopify/api-version";
import { storeOfflineSession } from "../support/auth";

const INSTALLED = "hostile-installed.myshopify.com";
const NEVER_INSTALLED = "never-installed.myshopify.com";

type Action = (args: { request: Request; params: Record<string, string>; context: object }) => Promise<Response>;
const routes: Record<string, () => Promise<{ action: unknown }>> = {
  "orders/create": () => import("~/routes/webhooks.orders.create"),
  "orders/paid": () => import("~/routes/webhooks.orders.paid"),
  "orders/cancelled": () => import("~/routes/webhooks.orders.cancelled"),
  "refunds/create": () => import("~/routes/webhooks.refunds.create"),
  "app/uninstalled": () => import("~/routes/webhooks.app.uninstalled"),
  "app/scopes_update": () => import("~/routes/webhooks.app.scopes_update"),
  "shop/update": () => import("~/routes/webhooks.shop.update"),
  "bulk_operations/finish": () => import("~/routes/webhooks.bulk_operations.finish"),
  "customers/data_request": () => import("~/routes/webhooks.compliance"),
  "customers/redact": () => import("~/routes/webhooks.compliance"),
  "shop/redact": () => import("~/routes/webhooks.compliance"),
};

/** A well-formed payload for each topic, as Shopify sends it. */
const validBody: Record<string, (shop: string) => unknown> = {
  "orders/create": () => ({
    id: 991,
    created_at: new Date().toISOString(),
    financial_status: "paid",
    current_subtotal_price_set: { shop_money: { amount: "100.00", currency_code: "USD" } },
    customer: { id: 5, email: "h@example.com" },
  }),
  "orders/paid": () => ({
    id: 992,
    created_at: new Date().toISOString(),
    financial_status: "paid",
    current_subtotal_price_set: { shop_money: { amount: "100.00", currency_code: "USD" } },
    customer: { id: 5, email: "h@example.com" },
  }),
  "orders/cancelled": () => ({ id: 991, cancelled_at: new Date().toISOString(), customer: { id: 5, email: "h@example.com" } }),
  "refunds/create": () => ({ id: 1, order_id: 991, created_at: new Date().toISOString(), refund_line_items: [] }),
  "app/uninstalled": (shop) => ({ id: 1, domain: shop, myshopify_domain: shop }),
  "app/scopes_update": () => ({ id: 1, previous: ["read_customers"], current: ["read_customers", "write_customers"] }),
  "shop/update": (shop) => ({ id: 1, myshopify_domain: shop, iana_timezone: "Asia/Tokyo", currency: "JPY" }),
  "bulk_operations/finish": () => ({ admin_graphql_api_id: "gid://shopify/BulkOperation/1", status: "completed", error_code: null, type: "query" }),
  "customers/data_request": (shop) => ({ shop_id: 1, shop_domain: shop, customer: { id: 5, email: "h@example.com" }, data_request: { id: 9 } }),
  "customers/redact": (shop) => ({ shop_id: 1, shop_domain: shop, customer: { id: 5, email: "h@example.com" }, orders_to_redact: [] }),
  "shop/redact": (shop) => ({ shop_id: 1, shop_domain: shop }),
};

function signed(topic: string, shop: string, raw: string): Request {
  return new Request(`${env.SHOPIFY_APP_URL}/webhooks/${topic}`, {
    method: "POST",
    body: raw,
    headers: {
      "Content-Type": "application/json",
      "X-Shopify-Topic": topic,
      "X-Shopify-Hmac-Sha256": getHmac(raw, env.SHOPIFY_API_SECRET),
      "X-Shopify-Shop-Domain": shop,
      "X-Shopify-API-Version": ADMIN_API_VERSION,
      "X-Shopify-Webhook-Id": randomUUID(),
      "X-Shopify-Event-Id": randomUUID(),
      "X-Shopify-Triggered-At": new Date().toISOString(),
    },
  });
}

async function deliver(topic: string, shop: string, raw: string): Promise<Response> {
  const action = (await routes[topic]!()).action as Action;
  // A thrown Response would be answered as is by Remix; anything else thrown would be its 500.
  return action({ request: signed(topic, shop, raw), params: {}, context: {} }).catch((e: unknown) => {
    if (e instanceof Response) return e;
    return new Response(String(e), { status: 500 });
  });
}

/** Row counts of every table of the model. */
async function everyTable(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const model of Object.values(Prisma.ModelName)) {
    const delegate = (prisma as unknown as Record<string, { count(): Promise<number> }>)[model.charAt(0).toLowerCase() + model.slice(1)]!;
    counts[model] = await delegate.count();
  }
  return counts;
}

beforeAll(async () => {
  await prisma.shop.create({ data: { domain: INSTALLED, alertEmail: "owner@hostile.example" } });
  await prisma.tier.create({
    data: { shop: INSTALLED, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 60_000, initialPurchaseCents: 5_000, durationMonths: 12, discountPercent: 10 },
  });
  await storeOfflineSession(INSTALLED);
});

describe("every webhook route, signed but hostile", () => {
  it("covers every topic shopify.app.toml subscribes to", () => {
    const toml = readFileSync(resolve(import.meta.dirname, "../../shopify.app.toml"), "utf8");
    const subscribed = [...toml.matchAll(/^\s*(?:compliance_)?topics = \[([^\]]*)\]/gm)].flatMap((m) => [...m[1]!.matchAll(/"([^"]+)"/g)].map((t) => t[1]!));
    expect(subscribed.sort()).toEqual(Object.keys(routes).sort());
  });

  it.each(Object.keys(routes))("%s: malformed JSON 400, JSON null 400, a foreign shop header 401, a shop never installed 200; nothing recorded", async (topic) => {
    const before = await everyTable();
    const answers = {
      malformed: (await deliver(topic, INSTALLED, '{"id": 991, "customer": {')).status,
      null: (await deliver(topic, INSTALLED, "null")).status,
      array: (await deliver(topic, INSTALLED, "[]")).status,
      foreignShop: (await deliver(topic, "evil.example.com", JSON.stringify(validBody[topic]!("evil.example.com")))).status,
      neverInstalled: (await deliver(topic, NEVER_INSTALLED, JSON.stringify(validBody[topic]!(NEVER_INSTALLED)))).status,
    };
    expect(answers).toEqual({ malformed: 400, null: 400, array: 400, foreignShop: 401, neverInstalled: 200 });
    expect(await everyTable()).toEqual(before);
  });

  it("the 400 says what was wrong, and a forged signature is a 401 before anything is read", async () => {
    const res = await deliver("orders/create", INSTALLED, "{not json");
    expect(await res.json()).toEqual({ error: "The body is not JSON." });
    const forged = signed("orders/create", INSTALLED, JSON.stringify(validBody["orders/create"]!(INSTALLED)));
    forged.headers.set("X-Shopify-Hmac-Sha256", getHmac("something else", env.SHOPIFY_API_SECRET));
    const action = (await routes["orders/create"]!()).action as Action;
    expect((await action({ request: forged, params: {}, context: {} })).status).toBe(401);
    const unsigned = new Request(forged.url, { method: "POST", body: "{}", headers: { "X-Shopify-Shop-Domain": INSTALLED, "X-Shopify-Topic": "orders/create" } });
    expect((await action({ request: unsigned, params: {}, context: {} })).status).toBe(401);
  });

  it("the same deliveries for the installed shop are recorded (the checks above are not refusing everything)", async () => {
    const order = await deliver("orders/create", INSTALLED, JSON.stringify(validBody["orders/create"]!(INSTALLED)));
    expect(order.status).toBe(200);
    expect(await prisma.purchase.count({ where: { shop: INSTALLED } })).toBe(1);
    const scopes = await deliver("app/scopes_update", INSTALLED, JSON.stringify(validBody["app/scopes_update"]!(INSTALLED)));
    expect(scopes.status).toBe(200);
    expect((await prisma.session.findFirstOrThrow({ where: { shop: INSTALLED } })).scope).toBe("read_customers,write_customers");
  });
});
