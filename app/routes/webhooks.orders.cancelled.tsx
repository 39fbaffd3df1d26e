import { recordCancellationWebhook } from "~/domain/orders.server";
import { countWebhook } from "~/metrics.server";
import { webhookAction } from "~/webhooks.server";

// orders/cancelled: the whole order stops counting as spend (never a downgrade).
export const action = countWebhook("orders/cancelled", webhookAction("order_cancelled", ({ db, shop, payload }) => recordCancellationWebhook(db, shop, payload)));
