// The shop's offline access token, for work outside a request (the queue worker).
import type { Db } from "../../db.server";
import { SyncError } from "../../queue/errors";
import { EncryptedSessionStorage } from "../../sessions.server";
import { ShopifyAdmin, type AdminOptions } from "./admin.server";

export async function offlineAdmin(db: Db, shop: string, opts: AdminOptions = {}): Promise<ShopifyAdmin> {
  const session = await new EncryptedSessionStorage(db).loadSession(`offline_${shop}`);
  if (!session?.accessToken) {
    throw new SyncError("auth", `No offline Shopify session for ${shop}: open the app in the Shopify admin to reconnect it.`, {
      platform: "shopify",
    });
  }
  return new ShopifyAdmin(shop, session.accessToken, opts);
}
