import { uninstallShop } from "~/domain/shops.server";
import { countWebhook } from "~/metrics.server";
import { webhookAction } from "~/webhooks.server";

// app/uninstalled: the shop's lifecycle ends (domain/shops.server.ts). A
// redelivery after the session is gone is acknowledged by the wrapper; one
// triggered before a reinstall is acknowledged and changes nothing (200 either way:
// Shopify must stop redelivering).
export const action = countWebhook("app/uninstalled", webhookAction("app_uninstalled", async ({ db, shop, triggeredAt }) => {
  return uninstallShop(db, shop, { triggeredAt });
}));
