import { recordOrderWebhook } from "~/domain/orders.server";
import { countWebhook } from "~/metrics.server";
import { webhookAction } from "~/webhooks.server";

// orders/create: spend, renewals and upgrades (ADR 0007); a duplicate delivery
// is a 200 that changes nothing.
export const action = countWebhook("orders/create", webhookAction("order_recorded", ({ db, shop, payload }) => recordOrderWebhook(db, shop, payload)));
