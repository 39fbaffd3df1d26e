import type { ActionFunctionArgs } from "@remix-run/node";
import { ZodError } from "zod";
import prisma from "~/db.server";
import { redactCustomer, redactShop, requestCustomerData } from "~/domain/privacy.server";
import { log } from "~/log.server";
import { authenticate } from "~/shopify.server";

// The three mandatory privacy topics (shopify.app.toml `compliance_topics`).
// authenticate.webhook answers 401 to a bad HMAC. Logs carry counts and
// outcomes only, never the customer's data.
export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop, topic, payload, webhookId } = await authenticate.webhook(request);
  try {
    switch (topic) {
      case "CUSTOMERS_DATA_REQUEST": {
        const result = await requestCustomerData(prisma, shop, payload);
        log("privacy", "info", "customer_data_request", { shop, webhookId, ...result });
        return Response.json(result);
      }
      case "CUSTOMERS_REDACT": {
        const result = await redactCustomer(prisma, shop, payload);
        log("privacy", "info", "customer_redacted", { shop, webhookId, ...result });
        return Response.json(result);
      }
      case "SHOP_REDACT":
        await redactShop(prisma, shop);
        log("privacy", "info", "shop_redacted", { shop, webhookId });
        return Response.json({ erased: true });
      default:
        return Response.json({ error: `Unexpected topic ${topic}` }, { status: 400 });
    }
  } catch (error) {
    if (error instanceof ZodError) return Response.json({ error: error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") }, { status: 400 });
    throw error;
  }
};
