import { z } from "zod";
import { InvalidShopContext, storeShopContext } from "~/domain/shops.server";
import { InvalidPayload } from "~/domain/orders.server";
import { countWebhook } from "~/metrics.server";
import { webhookAction } from "~/webhooks.server";

// shop/update: the merchant changed the shop's time zone or currency in
// Shopify. Stored unless a newer value already is (a late redelivery of an
// older update changes nothing); dates from then on use the new zone.
const shopUpdate = z.object({ iana_timezone: z.string().min(1).max(100), currency: z.string().regex(/^[A-Z]{3}$/) });

export const action = countWebhook(
  "shop/update",
  webhookAction("shop_update", async ({ db, shop, payload, triggeredAt }) => {
    const update = shopUpdate.parse(payload);
    try {
      return await storeShopContext(db, shop, { timezone: update.iana_timezone, currency: update.currency, at: triggeredAt ?? new Date() });
    } catch (error) {
      if (error instanceof InvalidShopContext) throw new InvalidPayload(error.message);
      throw error;
    }
  }),
);
