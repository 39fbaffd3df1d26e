import { countWebhook } from "~/metrics.server";
import { webhookAction } from "~/webhooks.server";

// app/scopes_update: the offline session keeps the scopes the merchant granted.
export const action = countWebhook("app/scopes_update", webhookAction("scopes_updated", async ({ db, payload, sessionId }) => {
  const current = payload.current;
  if (sessionId && Array.isArray(current)) {
    await db.session.update({ where: { id: sessionId }, data: { scope: current.map(String).join(",") } });
    return { scopes: current.length };
  }
  return { scopes: null };
}));
