import type { ActionFunctionArgs } from "@remix-run/node";
import prisma from "~/db.server";
import { InvalidOrder, recordCancellationWebhook } from "~/domain/orders.server";
import { log } from "~/log.server";
import { authenticate } from "~/shopify.server";

// orders/cancelled: the whole order stops counting as spend (never a downgrade).
export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop, payload, webhookId } = await authenticate.webhook(request);
  try {
    const outcome = await recordCancellationWebhook(prisma, shop, payload);
    log("webhooks", "info", "order_cancelled", { shop, webhookId, ...outcome });
    return Response.json(outcome);
  } catch (error) {
    if (!(error instanceof InvalidOrder)) throw error;
    log("webhooks", "warn", "cancellation_invalid", { shop, webhookId, error: error.message });
    return Response.json({ error: error.message }, { status: 400 });
  }
};
