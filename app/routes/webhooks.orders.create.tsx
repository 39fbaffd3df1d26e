import { recordOrderWebhook } from "~/domain/orders.server";
import { webhookAction } from "~/webhooks.server";

// orders/create: spend, renewals and upgrades (ADR 0007); a duplicate delivery
// is a 200 that changes nothing.
export const action = webhookAction("order_recorded", ({ db, shop, payload }) => recordOrderWebhook(db, shop, payload));
