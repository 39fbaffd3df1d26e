// Environment, validated once when the server boots.
//
// Every other module reads configuration from `env` (never from process.env), so
// a missing or malformed variable fails at start-up with a message naming it,
// not later in the middle of a request or a queue job.
import { z } from "zod";
import { DEFAULT_SQLITE_URL, providerFor } from "../prisma/provider.mjs";

const bool = (fallback: boolean) =>
  z
    .enum(["1", "0", "true", "false", "yes", "no", "on", "off", ""])
    .optional()
    .transform((v) => (v === undefined || v === "" ? fallback : ["1", "true", "yes", "on"].includes(v)));

const int = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).optional().default(fallback);

// read_all_orders: the order history backfill reads 12 months of orders;
// read_orders alone gives the last 60 days (ADR 0023).
export const DEFAULT_SCOPES = "read_customers,write_customers,read_orders,read_all_orders,read_discounts,write_discounts";

export const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  SHOPIFY_API_KEY: z.string().min(1),
  SHOPIFY_API_SECRET: z.string().min(1),
  SHOPIFY_APP_URL: z.url(),
  SCOPES: z.string().min(1).default(DEFAULT_SCOPES),
  SHOP_CUSTOM_DOMAIN: z.string().optional(),
  DATABASE_URL: z
    .string()
    .default(DEFAULT_SQLITE_URL)
    .refine((url) => {
      try {
        providerFor(url);
        return true;
      } catch {
        return false;
      }
    }, "must start with file:, postgres:// or postgresql://"),
  /** 32 random bytes, base64: `openssl rand -base64 32`. Encrypts secrets at rest. */
  ENCRYPTION_KEY: z
    .string()
    .refine((k) => Buffer.from(k, "base64").length === 32, "must be 32 bytes, base64-encoded (openssl rand -base64 32)"),
  /** Sandbox and tests only: where Admin GraphQL goes instead of https://<shop>. */
  SHOPIFY_ADMIN_ORIGIN: z.url().optional(),
  /**
   * How long before an expiring offline token's end the worker refreshes it.
   * Shopify's tokens last 60 min; the library's own margin is 5 min.
   */
  SHOPIFY_TOKEN_REFRESH_MARGIN_MS: int(300_000, 0, 3_000_000),
  /** How often non-expiring offline tokens are migrated (at boot, then this often); 0 turns it off. */
  SHOPIFY_TOKEN_MIGRATION_INTERVAL_MS: int(3_600_000, 0, 86_400_000),
  /** The pause between two shops' token migrations, so a fleet is migrated gently. */
  SHOPIFY_TOKEN_MIGRATION_PACE_MS: int(500, 0, 60_000),
  /** Sandbox only: a stand-in for App Bridge's CDN script (npm run sandbox serves one). */
  APP_BRIDGE_URL: z.url().optional(),
  /** Sandbox only: the local page that frames the app the way Shopify Admin does. */
  SANDBOX_FRAME_ORIGIN: z.url().optional(),
  COMMERCE7_API_URL: z.url().default("https://api.commerce7.com/v1"),
  COMMERCE7_TIMEOUT_MS: int(10_000, 100, 120_000),
  /**
   * The window a shop's Commerce7 pace (Shop.c7RequestsPerMinute) counts in:
   * a minute. Tests only scale it, so a burst test takes seconds, not minutes.
   */
  COMMERCE7_RATE_WINDOW_MS: int(60_000, 100, 3_600_000),
  /** How often Commerce7's failed order deliveries are read back (where the worker runs); 0 turns it off. */
  COMMERCE7_CATCH_UP_INTERVAL_MS: int(900_000, 0, 86_400_000),
  /** How long an enrollment waits for an inline Commerce7 sync before queueing it. */
  ENROLL_INLINE_SYNC_DEADLINE_MS: int(2_000, 0, 30_000),
  /** After an inline sync ran into its deadline, how long a shop's enrollments skip it and go straight to the queue. */
  ENROLL_INLINE_COOLDOWN_MS: int(30_000, 0, 3_600_000),
  QUEUE_WORKER_ENABLED: bool(true),
  QUEUE_POLL_INTERVAL_MS: int(5_000, 10, 600_000),
  QUEUE_CONCURRENCY: int(4, 1, 64),
  QUEUE_LEASE_MS: int(60_000, 1_000, 3_600_000),
  QUEUE_BACKOFF_BASE_MS: int(30_000, 1, 3_600_000),
  QUEUE_BACKOFF_CAP_MS: int(3_600_000, 1, 86_400_000),
  QUEUE_RETENTION_DAYS: int(30, 1, 3650),
  /** How often a running order backfill's Shopify bulk query is looked at (the bulk_operations/finish webhook may come first). */
  BACKFILL_POLL_MS: int(5_000, 10, 600_000),
  /** How often lapsed memberships are expired (where the worker runs); 0 turns the job off. */
  MEMBERSHIP_EXPIRY_INTERVAL_MS: int(900_000, 0, 86_400_000),
  /**
   * Where alert emails go out: smtp://user:pass@host:587 or smtps://…:465.
   * Unset: alerts are logged and shown in the app only. Holds a password: never logged.
   */
  SMTP_URL: z
    .union([z.literal("").transform(() => undefined), z.string().regex(/^smtps?:\/\/[^\s]+$/, "must be smtp://[user:pass@]host[:port] or smtps://…")])
    .optional(),
  ALERT_FROM: z.string().min(3).default("Club Tiers <alerts@club-tiers.invalid>"),
  /**
   * Bearer token that GET /metrics requires. Unset (or empty): the endpoint
   * answers 404, as if it did not exist. At least 16 characters: `openssl rand -hex 32`.
   */
  METRICS_TOKEN: z
    .union([z.literal("").transform(() => undefined), z.string().min(16, "must be at least 16 characters (openssl rand -hex 32)")])
    .optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
});

export type Env = z.infer<typeof envSchema>;

export class EnvError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(
      `Invalid environment:\n${issues.map((i) => `  - ${i.variable}: ${i.message}`).join("\n")}\n` +
        `See .env.example and the README's environment table.`,
    );
    this.name = "EnvError";
  }
}

/** Parses `source` (process.env by default); throws EnvError naming every bad variable. */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  throw new EnvError(
    result.error.issues.map((issue) => ({
      variable: String(issue.path[0] ?? "?"),
      message: issue.code === "invalid_type" && issue.input === undefined ? "is required but not set" : issue.message,
    })),
  );
}

export const env: Env = parseEnv();
