import { redactCustomer, redactShop, requestCustomerData } from "~/domain/privacy.server";
import { countWebhook } from "~/metrics.server";
import { webhookAction } from "~/webhooks.server";

// The three mandatory privacy topics (shopify.app.toml `compliance_topics`).
// Erasure runs even when the shop has uninstalled (shop/redact comes 48 h
// after); a data request for a shop that is not installed has nobody to email
// and is acknowledged without recording anything. Logs carry counts and
// outcomes only, never the customer's data.
const ERASING = new Set(["CUSTOMERS_REDACT", "SHOP_REDACT"]);

export const action = countWebhook("compliance", webhookAction(
  "privacy",
  async ({ db, shop, topic, payload }) => {
    switch (topic) {
      case "CUSTOMERS_DATA_REQUEST":
        return requestCustomerData(db, shop, payload);
      case "CUSTOMERS_REDACT":
        return redactCustomer(db, shop, payload);
      case "SHOP_REDACT":
        await redactShop(db, shop);
        return { erased: true };
      default:
        return Response.json({ error: `Unexpected topic ${topic}` }, { status: 400 });
    }
  },
  { runWhenNotInstalled: (topic) => ERASING.has(topic) },
));
