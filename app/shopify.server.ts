// The app's single shopifyApp(): embedded, token-exchange auth, expiring
// offline tokens (ADR 0013), sessions in our database (both tokens encrypted at
// rest).
import "@shopify/shopify-app-remix/adapters/node";
import { ApiVersion, AppDistribution, LogSeverity, shopifyApp } from "@shopify/shopify-app-remix/server";
import prisma from "./db.server";
import { env } from "./env.server";
import { EncryptedSessionStorage } from "./sessions.server";
import { recordInstall } from "./domain/shops.server";
import { wakeWorker } from "./queue/notifier";
import { ADMIN_API_VERSION } from "./integrations/shopify/api-version";
// Imported for its side effect as well: the library's own token requests follow
// SHOPIFY_ADMIN_ORIGIN in the sandbox and tests (see that module).
import { resumeAfterReconnect } from "./integrations/shopify/session.server";

// The one API version (api-version.ts; `satisfies` there keeps it a value of ApiVersion).
export const API_VERSION = ADMIN_API_VERSION as ApiVersion;

const shopify = shopifyApp({
  apiKey: env.SHOPIFY_API_KEY,
  apiSecretKey: env.SHOPIFY_API_SECRET,
  apiVersion: API_VERSION,
  scopes: env.SCOPES.split(",").map((s) => s.trim()).filter(Boolean),
  appUrl: env.SHOPIFY_APP_URL,
  authPathPrefix: "/auth",
  sessionStorage: new EncryptedSessionStorage(prisma),
  distribution: AppDistribution.AppStore,
  future: { unstable_newEmbeddedAuthStrategy: true, expiringOfflineAccessTokens: true },
  logger: {
    level: { debug: LogSeverity.Debug, info: LogSeverity.Info, warn: LogSeverity.Warning, error: LogSeverity.Error, silent: LogSeverity.Error }[
      env.LOG_LEVEL
    ],
  },
  hooks: {
    // Runs after token exchange stores a new offline session: the shop is
    // installed (a reinstall queues every active member's resync and the
    // discount: ADR 0017), and items that failed for want of one run again.
    afterAuth: async ({ session }) => {
      const { reinstalled } = await recordInstall(prisma, session.shop);
      if (reinstalled) wakeWorker();
      await resumeAfterReconnect(prisma, session.shop);
    },
  },
  ...(env.SHOP_CUSTOM_DOMAIN ? { customShopDomains: [env.SHOP_CUSTOM_DOMAIN] } : {}),
});

export default shopify;
export const apiVersion = API_VERSION;
export const addDocumentResponseHeaders = shopify.addDocumentResponseHeaders;
export const authenticate = shopify.authenticate;
export const unauthenticated = shopify.unauthenticated;
export const login = shopify.login;
export const registerWebhooks = shopify.registerWebhooks;
export const sessionStorage = shopify.sessionStorage;
