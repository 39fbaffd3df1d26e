// Process-wide background work: the sync worker, started once per server process.
//
// Vite's dev server re-imports modules on every edit; the flag on globalThis
// survives that, so a reload never starts a second worker. Tests and CLIs set
// QUEUE_WORKER_ENABLED=false. On SIGTERM/SIGINT the worker stops claiming,
// finishes or releases what it holds, then the process exits.
import prisma from "./db.server";
import { env } from "./env.server";
import { catchUpCommerce7Orders } from "./domain/commerce7-catch-up.server";
import { expireLapsedMemberships } from "./domain/expiry.server";
import { notifyExpiringSoon } from "./domain/expiring-soon.server";
import { foldMembershipCounts } from "./domain/membership-counts.server";
import { queueDisplayUpgrade } from "./domain/member-display.server";
import { log } from "./log.server";
import { registerPlatformProcessors } from "./integrations/processors.server";
import { migrateLegacyTokens } from "./integrations/shopify/token-migration.server";
import { PeriodicJob } from "./jobs.server";
import { queueLog } from "./queue/log.server";
import { Worker } from "./queue/worker.server";

// Deltas wait at most this long to be folded; unfolded ones are counted all the same.
const MEMBERSHIP_COUNTS_FOLD_MS = 60_000;

declare global {
  var __clubTiersWorker: Worker | undefined;
  var __clubTiersExpiry: PeriodicJob | undefined;
  var __clubTiersTokenMigration: PeriodicJob | undefined;
  var __clubTiersC7CatchUp: PeriodicJob | undefined;
  var __clubTiersCountsFold: PeriodicJob | undefined;
}

export function startBackgroundWork() {
  registerPlatformProcessors();
  if (!env.QUEUE_WORKER_ENABLED || globalThis.__clubTiersWorker) return;
  const worker = new Worker({
    db: prisma,
    concurrency: env.QUEUE_CONCURRENCY,
    pollIntervalMs: env.QUEUE_POLL_INTERVAL_MS,
    leaseMs: env.QUEUE_LEASE_MS,
    backoff: { baseMs: env.QUEUE_BACKOFF_BASE_MS, capMs: env.QUEUE_BACKOFF_CAP_MS },
    pruneOlderThanDays: env.QUEUE_RETENTION_DAYS,
  });
  globalThis.__clubTiersWorker = worker;
  worker.start();
  queueLog("info", "worker_started", { worker: worker.id, concurrency: env.QUEUE_CONCURRENCY });

  // Expiry runs in every instance that runs a worker: it is safe to overlap
  // (see expiry.server.ts), so no leader election is needed.
  const expiry =
    env.MEMBERSHIP_EXPIRY_INTERVAL_MS > 0
      ? // The same run then records "Membership expiring soon" Flow events (ADR 0028), as safe to overlap.
        new PeriodicJob("membership_expiry", env.MEMBERSHIP_EXPIRY_INTERVAL_MS, async () => ({ ...(await expireLapsedMemberships(prisma)), expiringSoon: await notifyExpiringSoon(prisma) }))
      : undefined;
  globalThis.__clubTiersExpiry = expiry;
  expiry?.start();

  // Non-expiring Shopify tokens are migrated at boot, then hourly (ADR 0013);
  // safe in every instance at once (per-shop lease, re-read under it).
  const tokenMigration =
    env.SHOPIFY_TOKEN_MIGRATION_INTERVAL_MS > 0
      ? new PeriodicJob("shopify_token_migration", env.SHOPIFY_TOKEN_MIGRATION_INTERVAL_MS, () =>
          migrateLegacyTokens(prisma, { paceMs: env.SHOPIFY_TOKEN_MIGRATION_PACE_MS }),
        )
      : undefined;
  globalThis.__clubTiersTokenMigration = tokenMigration;
  tokenMigration?.start();

  // Commerce7 order deliveries that failed are read back (ADR 0021); safe in
  // every instance at once (recording is once per order id).
  const c7CatchUp =
    env.COMMERCE7_CATCH_UP_INTERVAL_MS > 0 ? new PeriodicJob("commerce7_order_catch_up", env.COMMERCE7_CATCH_UP_INTERVAL_MS, () => catchUpCommerce7Orders(prisma)) : undefined;
  globalThis.__clubTiersC7CatchUp = c7CatchUp;
  c7CatchUp?.start();

  // The home page's per-day membership counts: the database appends deltas as
  // memberships change, this folds them (ADR 0029). Safe in every instance at once.
  const countsFold = new PeriodicJob("membership_counts_fold", MEMBERSHIP_COUNTS_FOLD_MS, () => foldMembershipCounts(prisma));
  globalThis.__clubTiersCountsFold = countsFold;
  countsFold.start();

  // Members whose metafield predates what the customer-account extension shows get it once (ADR 0027).
  void queueDisplayUpgrade(prisma).catch((error: unknown) => log("jobs", "error", "member_display_upgrade_failed", { error: error instanceof Error ? error.message : String(error) }));

  const shutdown = (signal: NodeJS.Signals) => {
    queueLog("info", "worker_stopping", { worker: worker.id, signal });
    const stopped = Promise.all([worker.stop({ deadlineMs: 10_000 }), expiry?.stop(), tokenMigration?.stop(), c7CatchUp?.stop(), countsFold.stop()]);
    void stopped.finally(() => process.exit(0));
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}
