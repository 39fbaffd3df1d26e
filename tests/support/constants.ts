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
  // A shop's Commerce7 pace (100 requests per minute by default) counts in a
  // 0.6 s window here, a hundredth of production's minute, so tests making
  // many Commerce7 requests are not held to 100 a minute; the burst test
  // scales the fake's limit window the same way (ADR 0021).
  COMMERCE7_RATE_WINDOW_MS: "600",
} as const;

export const PG_TEST_PREFIX = "clubtiers_t_";
