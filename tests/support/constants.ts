// Values the test suite runs with. The Shopify test helpers sign session tokens
// and webhooks with API_KEY / API_SECRET_KEY, so the app is configured with them.
import { API_KEY, API_SECRET_KEY, APP_URL } from "@shopify/shopify-api/test-helpers";

export const TEST_ENV = {
  NODE_ENV: "test",
  SHOPIFY_API_KEY: API_KEY,
  SHOPIFY_API_SECRET: API_SECRET_KEY,
  SHOPIFY_APP_URL: APP_URL,
  // A fixed key so failures are reproducible; never used outside tests.
  ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64"),
  QUEUE_WORKER_ENABLED: "false",
  LOG_LEVEL: "silent",
} as const;

export const PG_TEST_PREFIX = "clubtiers_t_";
