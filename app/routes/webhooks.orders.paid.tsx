import { ORDERS_PAID, recordOrderWebhook } from "~/domain/orders.server";
import { countWebhook } from "~/metrics.server";
import { webhookAction } from "~/webhooks.server";

// orders/paid: an order's spend starts to count, and its renewal or upgrade is
// decided (ADR 0019); an order not recorded yet is recorded from it. A
// redelivery, or an order that already counts, is a 200 that changes nothing.
export const action = countWebhook(ORDERS_PAID, webhookAction("order_paid", ({ db, shop, payload }) => recordOrderWebhook(db, shop, payload, ORDERS_PAID)));
