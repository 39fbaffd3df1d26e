import { recordRefundWebhook } from "~/domain/orders.server";
import { countWebhook } from "~/metrics.server";
import { webhookAction } from "~/webhooks.server";

// refunds/create: the refunded lines stop counting as spend (never a downgrade).
// Recorded once per refund; a refund that arrives before its order still counts.
export const action = countWebhook("refunds/create", webhookAction("refund_recorded", ({ db, shop, payload }) => recordRefundWebhook(db, shop, payload)));
