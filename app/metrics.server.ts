// Prometheus metrics for whoever runs the app (GET /metrics, app/routes/metrics.tsx).
//
// Two kinds, on purpose:
// - State (queue depth, age of the oldest due item) is read from the database
//   at scrape time with set-based, shop-agnostic queries, so every instance
//   reports the same truth and nothing drifts in memory or resets on restart.
// - Events (attempts, processing time, lease expiries, throttle deferrals,
//   webhook deliveries, HTTP requests) are counted in the process where they
//   happen; Prometheus sums the instances. Each is recorded by a one-line call
//   from where the event happens, so this module is the only place that knows
//   metric names and labels.
//
// Label values come from our own vocabulary (statuses, actions, platforms,
// outcomes, route groups), never from request input or shop domains, so the
// number of series stays bounded.
import type { ActionFunctionArgs } from "@remix-run/node";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import prisma from "./db.server";
import { ACTIONS } from "./queue/types";

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const STATUSES = ["pending", "processing", "completed", "failed", "cancelled"] as const;

new Gauge({
  name: "clubtiers_sync_queue_items",
  help: "Sync queue items by status and action, across all shops (read from the database at scrape time).",
  labelNames: ["status", "action"] as const,
  registers: [registry],
  async collect() {
    const groups = await prisma.crmSyncQueue.groupBy({ by: ["status", "actionType"], _count: true });
    this.reset();
    // Every known status × action is reported, 0 included, so an alert on a
    // series never sees it vanish when the queue empties.
    for (const status of STATUSES) for (const action of ACTIONS) this.set({ status, action }, 0);
    for (const g of groups) this.set({ status: g.status, action: g.actionType }, g._count);
  },
});

new Gauge({
  name: "clubtiers_sync_queue_oldest_due_age_seconds",
  help: "Seconds since the oldest pending item became due (0 when none is due), across all shops (read at scrape time).",
  registers: [registry],
  async collect() {
    const now = new Date();
    const oldest = await prisma.crmSyncQueue.findFirst({
      where: { status: "pending", nextRunAt: { lte: now } },
      orderBy: { nextRunAt: "asc" },
      select: { nextRunAt: true },
    });
    this.set(oldest ? Math.max(0, (now.getTime() - oldest.nextRunAt.getTime()) / 1000) : 0);
  },
});

const attempts = new Counter({
  name: "clubtiers_sync_attempts_total",
  help: "Sync attempts run by this process, by platform and outcome (success, retry, failed, throttled; stale, aborted, duplicate record no attempt row).",
  labelNames: ["platform", "outcome"] as const,
  registers: [registry],
});

const processing = new Histogram({
  name: "clubtiers_sync_processing_duration_seconds",
  help: "Time from an attempt's start to its recorded outcome, by platform and action.",
  labelNames: ["platform", "action"] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

const throttleDeferrals = new Counter({
  name: "clubtiers_sync_throttle_deferrals_total",
  help: "Attempts the platform throttled (429/THROTTLED), put off without using an attempt, by platform.",
  labelNames: ["platform"] as const,
  registers: [registry],
});

const leaseExpiries = new Counter({
  name: "clubtiers_sync_lease_expiries_total",
  help: "Items this process took back because their worker's lease ran out (that worker crashed or hung).",
  registers: [registry],
});

const webhooks = new Counter({
  name: "clubtiers_webhook_deliveries_total",
  help: "Webhook deliveries by topic and result (ok, invalid, unauthorized, error).",
  labelNames: ["topic", "result"] as const,
  registers: [registry],
});

const http = new Histogram({
  name: "clubtiers_http_request_duration_seconds",
  help: "HTTP request durations by method, route group and status code (server/index.mjs).",
  labelNames: ["method", "route", "status"] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

// The run outcomes of app/queue/run.server.ts in the vocabulary of SyncAttempt.outcome.
// An item of an uninstalled shop that ends quietly (cancelled) still recorded a failed attempt.
const ATTEMPT_OUTCOME: Record<string, string> = { completed: "success", retry: "retry", failed: "failed", cancelled: "failed", throttled: "throttled" };

/** One attempt ended (app/queue/run.server.ts). */
export function observeAttempt(platform: string, action: string, runOutcome: string, durationMs: number) {
  const outcome = ATTEMPT_OUTCOME[runOutcome] ?? runOutcome;
  attempts.inc({ platform, outcome });
  processing.observe({ platform, action }, Math.max(0, durationMs) / 1000);
  if (outcome === "throttled") throttleDeferrals.inc({ platform });
}

/** Items taken back after their lease ran out (app/queue/worker.server.ts). */
export function observeLeaseExpiries(count: number) {
  if (count > 0) leaseExpiries.inc(count);
}

const webhookResult = (status: number) => (status < 300 ? "ok" : status === 401 ? "unauthorized" : status < 500 ? "invalid" : "error");

/** Wraps a webhook route's action: counts each delivery by topic and by the answer given. */
export function countWebhook<A extends ActionFunctionArgs>(topic: string, action: (args: A) => Promise<Response>) {
  return async (args: A): Promise<Response> => {
    try {
      const response = await action(args);
      webhooks.inc({ topic, result: webhookResult(response.status) });
      return response;
    } catch (error) {
      // Shopify's library throws a Response (401 on a bad HMAC); anything else is a 500.
      webhooks.inc({ topic, result: error instanceof Response ? webhookResult(error.status) : "error" });
      throw error;
    }
  };
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const TOP = new Set(["app", "auth", "webhooks", "health", "metrics"]);

/**
 * A bounded route label from a path: "/app/members/abc.data" → "/app/members".
 * The second segment is kept only under /app and /webhooks and only for an
 * answer below 400 (an unknown path there is a 404), so no input mints series.
 */
export function routeGroup(path: string, status: number): string {
  const [first, second] = path.replace(/\.data$/, "").split("?")[0]!.split("/").filter(Boolean);
  if (!first) return "/";
  const top = first.replace(/\.data$/, "");
  if (!TOP.has(top)) return "other";
  if (second && status < 400 && (top === "app" || top === "webhooks") && /^[a-z0-9_.$-]{1,40}$/.test(second)) return `/${top}/${second}`;
  return `/${top}`;
}

/** One HTTP request answered (server/index.mjs calls this through the build's entry module). */
export function observeHttpRequest(method: string, path: string, status: number, seconds: number) {
  http.observe({ method: METHODS.has(method) ? method : "other", route: routeGroup(path, status), status: String(status) }, seconds);
}
