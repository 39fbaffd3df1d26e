// The shape every data webhook route shares: Shopify's library verifies the
// HMAC (401 otherwise) before anything is read; the domain records the event in
// one local transaction (no remote call, so Shopify gets its answer well inside
// its 5 s); a payload the domain cannot read is a 400 naming the field, with
// nothing written. Logs carry ids and outcomes, never the payload.
import type { ActionFunctionArgs } from "@remix-run/node";
import prisma, { type Db } from "./db.server";
import { InvalidPayload } from "./domain/orders.server";
import { log } from "./log.server";
import { authenticate } from "./shopify.server";

export function webhookAction(event: string, record: (db: Db, shop: string, payload: unknown) => Promise<object>) {
  return async ({ request }: ActionFunctionArgs) => {
    const { shop, payload, webhookId } = await authenticate.webhook(request);
    try {
      const outcome = await record(prisma, shop, payload);
      log("webhooks", "info", event, { shop, webhookId, ...outcome });
      return Response.json(outcome);
    } catch (error) {
      if (!(error instanceof InvalidPayload)) throw error;
      log("webhooks", "warn", `${event}_invalid`, { shop, webhookId, error: error.message });
      return Response.json({ error: error.message }, { status: 400 });
    }
  };
}
