// The home page's figures through real authentication, built by the real flows
// (enroll, change tier, an order's upgrade, a failed sync), never another shop's.
import { describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { changeTier, enroll } from "~/domain/enrollments.server";
import { recordOrderWebhook } from "~/domain/orders.server";
import { queueCrmSync } from "~/queue/enqueue.server";
import { loader } from "~/routes/app._index";
import { adminGet, routeArgs, storeOfflineSession } from "../support/auth";

const SHOP = "home.myshopify.com";
const OTHER = "other-home.myshopify.com";
const DAY = 86_400_000;

describe("home", () => {
  it("shows active members per tier, new members, upgrades and moves down this month, expiring soon, and queue health", async () => {
    const tiers: Record<string, string> = {};
    for (const shop of [SHOP, OTHER]) {
      await prisma.shop.create({ data: { domain: shop } });
      for (const [rank, name, threshold] of [
        [1, "Silver", 60_000],
        [2, "Gold", 120_000],
      ] as const) {
        const t = await prisma.tier.create({ data: { shop, name, handle: name.toLowerCase(), rank, annualThresholdCents: threshold, initialPurchaseCents: threshold / 12, durationMonths: 12 } });
        tiers[`${shop}:${name}`] = t.id;
      }
    }
    await storeOfflineSession(SHOP);
    const join = async (shop: string, n: number, tier: string) => {
      const r = await enroll(prisma, shop, { idempotencyKey: `home-${shop}-${n}`, tierId: tiers[`${shop}:${tier}`], email: `m${n}@example.com`, platformId: `gid://shopify/Customer/${n}` });
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      return r.enrollmentId;
    };
    const a = await join(SHOP, 1, "Silver");
    await join(SHOP, 2, "Silver");
    const c = await join(SHOP, 3, "Silver");
    await join(SHOP, 4, "Gold");
    await join(OTHER, 5, "Gold");
    // The merchant moves one member up; an order moves another.
    expect(await changeTier(prisma, SHOP, a, tiers[`${SHOP}:Gold`]!)).toMatchObject({ ok: true });
    await recordOrderWebhook(prisma, SHOP, {
      id: 1,
      created_at: new Date().toISOString(),
      financial_status: "paid",
      current_subtotal_price_set: { shop_money: { amount: "1500.00", currency_code: "USD" } },
      customer: { id: 2, email: "m2@example.com" },
    });
    // One membership ends within 30 days; one sync has failed.
    await prisma.enrollment.update({ where: { id: c }, data: { expiresAt: new Date(Date.now() + 10 * DAY) } });
    const failed = await queueCrmSync({ shop: SHOP, actionType: "ensure_discount", stageId: "t", customerId: "shop-discount", idempotencyKey: "failed-one" });
    await prisma.crmSyncQueue.update({ where: { id: failed.id }, data: { status: "failed" } });

    const home = await loader(routeArgs(await adminGet(SHOP, "/app")));
    expect(home.activeByTier).toEqual([
      { id: tiers[`${SHOP}:Silver`], name: "Silver", members: 1 },
      { id: tiers[`${SHOP}:Gold`], name: "Gold", members: 3 },
    ]);
    // Both moves this month were up the order (the merchant's and the order's).
    expect(home).toMatchObject({ activeTotal: 4, newThisMonth: 4, upgradesThisMonth: 2, movedDownThisMonth: 0, expiringSoon: 1 });
    expect(home.queue.failed).toBe(1);
    expect(home.queue.pending).toBeGreaterThanOrEqual(4);
  });
});
