// GET /metrics through the real route: queue rows and attempts made by a real
// worker on a real database, webhooks delivered through the real routes with
// real HMACs, then the exposition read with a Prometheus text parser. Every
// figure must equal what the database holds; the token is required.
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { beforeAll, describe, expect, it } from "vitest";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";
import { parseExposition, seriesBy, type MetricFamily } from "../support/prometheus-text";

const TOKEN = "metrics-test-token-0123456789abcdef";
const SHOPIFY_SHOP = "metrics-shopify.myshopify.com";
const C7_SHOP = "metrics-c7.myshopify.com";

let app: App & {
  route: typeof import("~/routes/metrics");
  metrics: typeof import("~/metrics.server");
  queue: typeof import("~/queue/enqueue.server");
  registry: typeof import("~/queue/registry");
  errors: typeof import("~/queue/errors");
  orders: typeof import("~/routes/webhooks.orders.create");
};

beforeAll(async () => {
  // App modules read the environment once, at their first import.
  process.env.METRICS_TOKEN = TOKEN;
  app = {
    ...(await importApp()),
    route: await import("~/routes/metrics"),
    metrics: await import("~/metrics.server"),
    queue: await import("~/queue/enqueue.server"),
    registry: await import("~/queue/registry"),
    errors: await import("~/queue/errors"),
    orders: await import("~/routes/webhooks.orders.create"),
  };
});

const scrape = (headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
  app.route.loader({ request: new Request("http://app.test/metrics", { headers }), params: {}, context: {} });

/**
 * Scrapes and reads the exposition twice over: with an independent npm parser
 * (throws on an invalid line; gives each family's declared type) and with the
 * strict reader in tests/support (figures, histograms checked whole).
 */
async function families(): Promise<Map<string, MetricFamily>> {
  const res = await scrape();
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
  const text = await res.text();
  const independent = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f.type]));
  const strict = parseExposition(text);
  for (const f of strict.values()) {
    expect(independent.get(f.name), f.name).toBe(f.type.toUpperCase());
    if (f.name.startsWith("clubtiers_")) expect(f.type, f.name).not.toBe("untyped");
  }
  return strict;
}

/** A counter's or gauge's series: "label|label" → value. */
function values(all: Map<string, MetricFamily>, name: string, labelNames: string[]): Map<string, number> {
  return seriesBy(all.get(name), name, labelNames);
}

function tally<T>(rows: T[], by: (row: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const row of rows) out.set(by(row), (out.get(by(row)) ?? 0) + 1);
  return out;
}

describe("GET /metrics", () => {
  it("reports the queue, attempts, lease expiries, throttling and webhooks exactly as the database records them", async () => {
    const { prisma, queue, registry, errors } = app;
    await prisma.shop.createMany({ data: [{ domain: SHOPIFY_SHOP, crm: "shopify" }, { domain: C7_SHOP, crm: "commerce7" }] });

    // Each member's fate is written in its id: succeed, fail once then succeed,
    // be throttled once then succeed, or fail for good.
    const processor: import("~/queue/registry").Processor = async ({ item, attempt }) => {
      const kind = item.customerId.split("-")[0];
      if (kind === "retry" && attempt === 1) throw new errors.SyncError("retryable", "platform unreachable", { httpStatus: 503 });
      if (kind === "throttle" && item.throttleDeferrals === 0) throw new errors.SyncError("throttled", "rate limited", { httpStatus: 429, retryAfterMs: 1 });
      if (kind === "fail") throw new errors.SyncError("permanent", "refused", { httpStatus: 422 });
      return { result: { ok: true } };
    };
    for (const crm of ["shopify", "commerce7"] as const) {
      for (const action of ["add_membership", "upgrade_membership", "cancel_membership"] as const) registry.registerProcessor(crm, action, processor);
    }

    const enqueue = (shop: string, customerId: string, actionType: "add_membership" | "upgrade_membership" | "cancel_membership" = "add_membership") =>
      queue.queueCrmSync({ shop, actionType, stageId: "tier", customerId, idempotencyKey: `${customerId}:${actionType}` });
    for (const shop of [SHOPIFY_SHOP, C7_SHOP]) {
      for (let i = 0; i < 4; i++) await enqueue(shop, `ok-${shop}-${i}`, i % 2 ? "upgrade_membership" : "add_membership");
      for (let i = 0; i < 3; i++) await enqueue(shop, `retry-${shop}-${i}`);
      for (let i = 0; i < 2; i++) await enqueue(shop, `throttle-${shop}-${i}`, "cancel_membership");
    }
    await enqueue(C7_SHOP, "fail-1");
    // A worker that died holding an item: its lease ran out a minute ago.
    const orphan = await enqueue(SHOPIFY_SHOP, "ok-orphan");
    await prisma.crmSyncQueue.update({ where: { id: orphan.id }, data: { status: "processing", lockedBy: "dead-worker", leaseUntil: new Date(Date.now() - 60_000), fence: 1 } });
    // Not due for an hour, and one the merchant discarded.
    const later = await enqueue(C7_SHOP, "ok-later", "upgrade_membership");
    await prisma.crmSyncQueue.update({ where: { id: later.id }, data: { nextRunAt: new Date(Date.now() + 3_600_000) } });
    const discarded = await enqueue(SHOPIFY_SHOP, "ok-discarded", "cancel_membership");
    await prisma.crmSyncQueue.update({ where: { id: discarded.id }, data: { status: "cancelled" } });

    await drainQueue(prisma, app.Worker);

    // Due two minutes ago, and no worker running: the oldest due item.
    const overdue = await enqueue(SHOPIFY_SHOP, "ok-overdue");
    await prisma.crmSyncQueue.update({ where: { id: overdue.id }, data: { nextRunAt: new Date(Date.now() - 120_000) } });

    // Webhooks through the real route: a valid delivery, an unreadable one, a
    // forged one (the shop is installed, or the wrapper ignores its deliveries).
    await app.auth.storeOfflineSession(SHOPIFY_SHOP);
    const orderBody = {
      id: 9_000_001,
      admin_graphql_api_id: "gid://shopify/Order/9000001",
      created_at: new Date().toISOString(),
      cancelled_at: null,
      test: false,
      currency: "USD",
      financial_status: "paid",
      email: "guest@example.com",
      current_subtotal_price_set: { shop_money: { amount: "10.00", currency_code: "USD" } },
      customer: null,
      line_items: [],
    };
    const deliver = (body: unknown, opts = {}) => app.orders.action({ request: app.auth.webhookRequest(SHOPIFY_SHOP, "orders/create", body, opts), params: {}, context: {} }).catch((e: unknown) => e);
    expect(((await deliver(orderBody)) as Response).status).toBe(200);
    expect(((await deliver({ id: "not an order" })) as Response).status).toBe(400);
    expect(((await deliver(orderBody, { secret: "forged" })) as Response).status).toBe(401);

    // What the database holds.
    const groups = await prisma.crmSyncQueue.groupBy({ by: ["status", "actionType"], _count: true });
    const crmOf = new Map((await prisma.shop.findMany({ select: { domain: true, crm: true } })).map((s) => [s.domain, s.crm]));
    const rows = await prisma.syncAttempt.findMany({ select: { shop: true, outcome: true, queue: { select: { actionType: true } } } });
    const runs = rows.filter((r) => r.outcome !== "lease_expired");
    const expectedAttempts = tally(runs, (r) => `${crmOf.get(r.shop)}|${r.outcome}`);
    const expectedDurations = tally(runs, (r) => `${crmOf.get(r.shop)}|${r.queue.actionType}`);
    const expectedThrottled = tally(runs.filter((r) => r.outcome === "throttled"), (r) => crmOf.get(r.shop)!);
    const leaseExpired = rows.length - runs.length;
    const oldestDue = await prisma.crmSyncQueue.findFirst({ where: { status: "pending", nextRunAt: { lte: new Date() } }, orderBy: { nextRunAt: "asc" } });

    // The seeding did what it meant to, so the comparisons below compare something.
    expect([...expectedAttempts.keys()].sort()).toEqual(
      ["commerce7|failed", "commerce7|retry", "commerce7|success", "commerce7|throttled", "shopify|retry", "shopify|success", "shopify|throttled"].sort(),
    );
    expect(leaseExpired).toBe(1);
    expect(oldestDue?.id).toBe(overdue.id);

    const all = await families();

    const depth = values(all, "clubtiers_sync_queue_items", ["status", "action"]);
    for (const g of groups) expect(depth.get(`${g.status}|${g.actionType}`), `${g.status} ${g.actionType}`).toBe(g._count);
    const exposedTotal = [...depth.values()].reduce((a, b) => a + b, 0);
    expect(exposedTotal).toBe(await prisma.crmSyncQueue.count());
    expect(depth.get("pending|send_data_export")).toBe(0);

    const age = values(all, "clubtiers_sync_queue_oldest_due_age_seconds", []).get("")!;
    expect(age).toBeGreaterThanOrEqual(120);
    expect(age).toBeLessThan(120 + 30);

    expect(values(all, "clubtiers_sync_attempts_total", ["platform", "outcome"])).toEqual(expectedAttempts);
    expect(values(all, "clubtiers_sync_throttle_deferrals_total", ["platform"])).toEqual(expectedThrottled);
    expect(expectedThrottled.get("shopify")! + expectedThrottled.get("commerce7")!).toBe(
      (await prisma.crmSyncQueue.aggregate({ _sum: { throttleDeferrals: true } }))._sum.throttleDeferrals,
    );
    expect(values(all, "clubtiers_sync_lease_expiries_total", []).get("")).toBe(leaseExpired);

    const histogram = all.get("clubtiers_sync_processing_duration_seconds");
    expect(histogram?.type).toBe("histogram");
    expect(seriesBy(histogram, "clubtiers_sync_processing_duration_seconds_count", ["platform", "action"])).toEqual(expectedDurations);

    expect(values(all, "clubtiers_webhook_deliveries_total", ["topic", "result"])).toEqual(
      new Map([
        ["orders/create|ok", 1],
        ["orders/create|invalid", 1],
        ["orders/create|unauthorized", 1],
      ]),
    );

    // Gauges are read afresh at every scrape: a second scrape after a change tells the new truth.
    await prisma.crmSyncQueue.update({ where: { id: overdue.id }, data: { status: "cancelled" } });
    const again = await families();
    const depthAgain = values(again, "clubtiers_sync_queue_items", ["status", "action"]);
    expect(depthAgain.get("pending|add_membership")).toBe((depth.get("pending|add_membership") ?? 0) - 1);
    expect(values(again, "clubtiers_sync_queue_oldest_due_age_seconds", []).get("")).toBe(0);
  });

  it("refuses a request without the token, with a wrong one, or with another scheme", async () => {
    for (const headers of <Record<string, string>[]>[
      {},
      { authorization: "Bearer wrong-token-wrong-token-wrong" },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `Basic ${TOKEN}` },
      { authorization: TOKEN },
    ]) {
      const res = await scrape(headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
      expect(await res.text()).not.toContain("clubtiers_");
    }
    expect((await scrape({ authorization: `bearer ${TOKEN}` })).status).toBe(200);
  });

  it("the strict reader refuses what Prometheus would refuse", () => {
    const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 2\n';
    expect(seriesBy(parseExposition(ok).get("a_total"), "a_total", ["x"])).toEqual(new Map([["1", 2]]));
    for (const bad of [
      ok.trimEnd(),
      ok + 'a_total{x="1"} 3\n',
      ok + "# TYPE a_total counter\n",
      "a-b 1\n",
      'a{x="1} 1\n',
      'a{x="\\q"} 1\n',
      "a one\n",
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n',
    ]) {
      expect(() => parseExposition(bad), bad).toThrow();
    }
  });

  it("labels HTTP requests by a bounded route group", () => {
    const { routeGroup } = app.metrics;
    expect(routeGroup("/app/members/cm123abc", 200)).toBe("/app/members");
    expect(routeGroup("/app/members.data", 200)).toBe("/app/members");
    expect(routeGroup("/app.data", 200)).toBe("/app");
    expect(routeGroup("/app/made-up-path", 404)).toBe("/app");
    expect(routeGroup("/webhooks/orders/create", 200)).toBe("/webhooks/orders");
    expect(routeGroup("/health", 200)).toBe("/health");
    expect(routeGroup("/wp-login.php", 404)).toBe("other");
    expect(routeGroup("/", 200)).toBe("/");
  });
});
