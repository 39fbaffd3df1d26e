// The home page's charts: months on the shop's calendar (Los Angeles here),
// memberships counted at each month's end, movements in the month they
// happened, sync attempts by hour; never another shop's rows. The rows are
// written directly (a year of history cannot be made by today's flows); the
// renewal rows' writer is tested with the order flows (webhooks/paid-spend).
import { describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { dashboardCharts } from "~/domain/dashboard.server";
import { loader } from "~/routes/app._index";
import { adminGet, routeArgs, storeOfflineSession } from "../support/auth";

const SHOP = "charts.myshopify.com";
const OTHER = "charts-other.myshopify.com";
const at = (iso: string) => new Date(iso);

async function seed(shop: string) {
  await prisma.shop.create({ data: { domain: shop, timezone: "America/Los_Angeles" } });
  const tier = (name: string, rank: number) =>
    prisma.tier.create({ data: { shop, name, handle: name.toLowerCase(), rank, annualThresholdCents: 100_000, initialPurchaseCents: 10_000, durationMonths: 12 } });
  const silver = await tier("Silver", 1);
  const gold = await tier("Gold", 2);
  let n = 0;
  const member = async (tierId: string, e: { startedAt: Date; expiresAt: Date; status?: string; endedAt?: Date; joined?: boolean }) => {
    n++;
    const customer = await prisma.customer.create({ data: { shop, email: `c${n}@example.com` } });
    return prisma.enrollment.create({
      data: {
        shop,
        customerId: customer.id,
        tierId,
        startedAt: e.startedAt,
        createdAt: e.startedAt,
        expiresAt: e.expiresAt,
        status: e.status ?? "active",
        endedAt: e.endedAt ?? null,
        idempotencyKey: e.joined === false ? null : `k${n}`,
      },
    });
  };
  // Silver all year; one more joined at 23:30 on 31 January, local (1 February in UTC): a January join.
  const s1 = await member(silver.id, { startedAt: at("2026-01-15T10:00:00-08:00"), expiresAt: at("2027-01-15T10:00:00-08:00") });
  await member(silver.id, { startedAt: at("2026-01-31T23:30:00-08:00"), expiresAt: at("2027-01-31T23:30:00-08:00") });
  // Silver from before the year, expired on 1 March at 02:00 local.
  await member(silver.id, { startedAt: at("2025-10-01T09:00:00-07:00"), expiresAt: at("2026-03-01T02:00:00-08:00"), status: "expired", endedAt: at("2026-03-01T02:00:00-08:00") });
  // Gold from 10 June, cancelled on 20 September.
  await member(gold.id, { startedAt: at("2026-06-10T12:00:00-07:00"), expiresAt: at("2027-06-10T12:00:00-07:00"), status: "cancelled", endedAt: at("2026-09-20T12:00:00-07:00") });
  // A tier change (no idempotency key): Silver ended as upgraded in May, Gold from then on.
  await member(silver.id, { startedAt: at("2026-04-02T12:00:00-07:00"), expiresAt: at("2027-04-02T12:00:00-07:00"), status: "upgraded", endedAt: at("2026-05-05T12:00:00-07:00") });
  await member(gold.id, { startedAt: at("2026-05-05T12:00:00-07:00"), expiresAt: at("2027-05-05T12:00:00-07:00"), joined: false });
  // Renewals in November.
  await prisma.renewal.create({ data: { shop, enrollmentId: s1.id, renewedAt: at("2026-11-30T23:00:00-08:00") } });
  // Sync: two successes and a retry in the hour of 11:00 local, one failure at 09:00 local.
  const item = await prisma.crmSyncQueue.create({ data: { shop, customerId: s1.customerId, actionType: "add_membership", stageId: silver.id, idempotencyKey: "i" } });
  for (const [startedAt, outcome] of [
    ["2026-12-15T11:05:00-08:00", "success"],
    ["2026-12-15T11:45:00-08:00", "success"],
    ["2026-12-15T11:50:00-08:00", "retry"],
    ["2026-12-15T09:10:00-08:00", "failed"],
    ["2026-12-15T09:20:00-08:00", "throttled"],
    ["2026-12-13T09:20:00-08:00", "success"],
  ] as const) {
    await prisma.syncAttempt.create({ data: { shop, queueId: item.id, attempt: 1, startedAt: at(startedAt), durationMs: 5, outcome } });
  }
}

describe("home charts", () => {
  it("members per tier at each month's end, movements per month and sync per hour, on the shop's calendar", async () => {
    await seed(SHOP);
    await seed(OTHER);
    const now = at("2026-12-15T12:00:00-08:00");
    const charts = await dashboardCharts(prisma, SHOP, now);
    expect(charts.months).toEqual(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].map((m) => `${m} 2026`));
    expect(charts.activeByTier).toEqual([
      // End of Jan and Feb: three (the pre-year member expired on 1 March); the April member was Silver at April's end only.
      { tier: "Silver", counts: [3, 3, 2, 3, 2, 2, 2, 2, 2, 2, 2, 2] },
      // Gold by tier change from 5 May; the June member until 20 September.
      { tier: "Gold", counts: [0, 0, 0, 0, 1, 2, 2, 2, 1, 1, 1, 1] },
    ]);
    expect(charts.movements).toEqual({
      joined: [2, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0],
      upgraded: [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
      renewed: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0],
      expired: [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      cancelled: [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0],
    });
    expect(charts.hours).toHaveLength(24);
    expect(charts.hours.at(-1)).toBe("12:00");
    const hour = (label: string) => charts.hours.indexOf(label);
    expect(charts.sync.completed[hour("11:00")]).toBe(2);
    expect(charts.sync.failed[hour("11:00")]).toBe(1);
    expect(charts.sync.failed[hour("09:00")]).toBe(1);
    // The 13th is outside the last 24 hours; a throttled wait is neither.
    expect(charts.sync.completed.reduce((a, b) => a + b, 0)).toBe(2);
    expect(charts.sync.failed.reduce((a, b) => a + b, 0)).toBe(2);
  });

  it("reach the page through real authentication, with today's months", async () => {
    await prisma.shop.create({ data: { domain: "charts-page.myshopify.com", timezone: "Pacific/Auckland" } });
    await storeOfflineSession("charts-page.myshopify.com");
    const home = await loader(routeArgs(await adminGet("charts-page.myshopify.com", "/app")));
    expect(home.charts.months).toHaveLength(12);
    expect(home.charts.activeByTier).toEqual([]);
    expect(home.charts.hours).toHaveLength(24);
  });
});
