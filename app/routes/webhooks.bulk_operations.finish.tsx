import { bulkOperationFinished } from "~/domain/backfill.server";
import { countWebhook } from "~/metrics.server";
import { webhookAction } from "~/webhooks.server";

// bulk_operations/finish: the order backfill's bulk query ended; its next look
// at Shopify runs now instead of at its next poll (ADR 0023). The status and
// the result's URL are read from the API, never taken from the payload.
export const action = countWebhook("bulk_operations/finish", webhookAction("bulk_operation_finish", ({ db, shop, payload }) => bulkOperationFinished(db, shop, payload)));
