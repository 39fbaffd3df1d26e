import type { ActionFunctionArgs } from "@remix-run/node";
import prisma from "~/db.server";
import { InvalidOrder, recordRefundWebhook } from "~/domain/orders.server";
import { log } from "~/log.server";
import { authenticate } from "~/shopify.server";

// refunds/create: the refunded lines stop counting as spend (never a downgrade).
// Recorded once per refund; a refund that arrives before its order still counts.
export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop, payload, webhookId } = await authenticate.webhook(request);
  try {
    const outcome = await recordRefundWebhook(prisma, shop, payload);
    log("webhooks", "info", "refund_recorded", { shop, webhookId, ...outcome });
    return Response.json(outcome);
  } catch (error) {
    if (!(error instanceof InvalidOrder)) throw error;
    log("webhooks", "warn", "refund_invalid", { shop, webhookId, error: error.message });
    return Response.json({ error: error.message }, { status: 400 });
  }
};
