import type { ActionFunctionArgs } from "@remix-run/node";
import prisma from "~/db.server";
import { InvalidOrder, recordOrderWebhook } from "~/domain/orders.server";
import { log } from "~/log.server";
import { authenticate } from "~/shopify.server";

// orders/create: authenticate.webhook answers 401 to a bad HMAC before we read
// anything. Recording is one local transaction (no remote call), so Shopify
// gets its 2xx well inside its 5 s; a duplicate delivery is a 200 that changes
// nothing. A payload we cannot read gets a 400 naming the field, and nothing
// is written.
export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop, payload, webhookId } = await authenticate.webhook(request);
  try {
    const outcome = await recordOrderWebhook(prisma, shop, payload);
    log("webhooks", "info", "order_recorded", { shop, webhookId, ...outcome });
    return Response.json(outcome);
  } catch (error) {
    if (!(error instanceof InvalidOrder)) throw error;
    log("webhooks", "warn", "order_invalid", { shop, webhookId, error: error.message });
    return Response.json({ error: error.message }, { status: 400 });
  }
};
