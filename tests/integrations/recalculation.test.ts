// Recalculate, with a dry-run preview (ADR 0023): the preview counts what the
// rules would do and changes nothing; Apply (queue work, a real worker) does
// exactly what the preview said; applying again changes nothing; editing a
// tier's threshold changes no member by itself.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const SHOP = "recalc.myshopify.com";
const DAY = 86_400_000;
const MONTH = 30 * DAY;
let app: App & {
  recalc: typeof import("~/domain/recalculation.server");
  tiers: typeof import("~/domain/tiers.server");
};
const tiers: Record<string, string> = {};

beforeAll(async () => {
  process.env.SHOPIFY_ADMIN_ORIGIN = "http://127.0.0.1:9/shops/{shop}";
  app = { ...(await importApp()), recalc: await import("~/domain/recalculation.server"), tiers: await import("~/domain/tiers.server") };
  await app.prisma.shop.create({ data: { domain: SHOP, timezone: "UTC" } });
  for (const [handle, rank, threshold] of [["silver", 1, 60_000], ["gold", 2, 120_000], ["platinum", 3, 300_000]] as const) {
    tiers[handle] = (await app.prisma.tier.create({ data: { shop: SHOP, name: handle[0]!.toUpperCase() + handle.slice(1), handle, rank, annualThresholdCents: threshold, initialPurchaseCents: 0, durationMonths: 12 } })).id;
  }
});
afterAll(async () => {
  await app?.prisma.$disconnect();
});

let n = 0;
/** A member of `tier` since `startedAgo`, expiring in `expiresIn`, with counted purchases (cents, months ago). */
async function member(name: string, tier: string, opts: { purchases?: [number, number][]; expiresIn?: number; startedAgo?: number } = {}) {
  n++;
  const now = Date.now();
  const c = await app.prisma.customer.create({ data: { shop: SHOP, email: `m${n}@recalc.example`, firstName: name, lastName: "Member", shopifyCustomerId: `gid://shopify/Customer/${90_000 + n}` } });
  await app.prisma.enrollment.create({
    data: { shop: SHOP, customerId: c.id, tierId: tiers[tier]!, status: "active", startedAt: new Date(now - (opts.startedAgo ?? 6 * MONTH)), expiresAt: new Date(now + (opts.expiresIn ?? 6 * MONTH)), idempotencyKey: `recalc-${n}` },
  });
  for (const [i, [amount, monthsAgo]] of (opts.purchases ?? []).entries()) {
    const at = new Date(now - monthsAgo * MONTH);
    await app.prisma.purchase.create({ data: { shop: SHOP, orderId: `gid://shopify/Order/r${n}-${i}`, customerId: c.id, amountCents: amount, currency: "USD", occurredAt: at, countedAt: at } });
  }
  return c.id;
}

/** Everything a recalculation may change: memberships and queued work. */
async function snapshot() {
  const enrollments = await app.prisma.enrollment.findMany({ where: { shop: SHOP }, orderBy: { id: "asc" }, select: { id: true, customerId: true, tierId: true, status: true, expiresAt: true } });
  // Member work only (a tier's save queues its discount update, which is no member's).
  const items = await app.prisma.crmSyncQueue.count({ where: { shop: SHOP, actionType: { in: ["add_membership", "upgrade_membership", "cancel_membership", "refresh_member"] } } });
  const renewals = await app.prisma.renewal.count({ where: { shop: SHOP } });
  return { enrollments, items, renewals };
}

async function applyAndWait(id: string) {
  expect(await app.recalc.applyRecalculation(app.prisma, SHOP, id)).toEqual({ ok: true });
  // The member syncs it queues go to an unreachable Shopify: drain only the recalculation.
  for (let i = 0; i < 200; i++) {
    await drainQueue(app.prisma, app.Worker, { timeoutMs: 500 });
    const r = await app.prisma.recalculation.findUniqueOrThrow({ where: { id } });
    if (r.status === "completed") return r;
  }
  throw new Error("recalculation did not complete");
}

describe("recalculation", () => {
  it("the preview counts upgrades (from -> to), renewals and members who keep their tier, and changes nothing", async () => {
    await member("Ann", "silver", { purchases: [[80_000, 3], [50_000, 1]] }); // 1,300: silver -> gold
    await member("Bob", "gold", { purchases: [[310_000, 2]] }); // 3,100: gold -> platinum
    await member("Cid", "silver", { purchases: [[70_000, 2]], expiresIn: 1 * MONTH }); // renews from the order: +10 months
    await member("Dee", "silver", { purchases: [[10_000, 1]] }); // below silver: keeps it
    await member("Eve", "gold", { purchases: [[50_000, 14]] }); // spend outside the window: keeps gold
    await member("Fay", "gold", { purchases: [[130_000, 1]], expiresIn: 11.5 * MONTH }); // meets gold, expiry already later: unchanged
    await member("Gus", "silver"); // no orders: keeps it

    const before = await snapshot();
    const p = await app.recalc.previewRecalculation(app.prisma, SHOP, "backfill");
    expect(p).toMatchObject({ status: "previewed", members: 7, upgrades: 2, renewals: 1, keeps: 3 });
    const view = (await app.recalc.recalculationView(app.prisma, SHOP, p.id))!;
    expect(view.summary.transitions).toEqual(
      expect.arrayContaining([
        { from: "Silver", to: "Gold", count: 1 },
        { from: "Gold", to: "Platinum", count: 1 },
      ]),
    );
    expect(view.summary.samples.upgrade.map((u) => u.name).sort()).toEqual(["Ann Member", "Bob Member"]);
    expect(view.summary.samples.renewal).toEqual(["Cid Member"]);
    expect(view.summary.samples.keep.sort()).toEqual(["Dee Member", "Eve Member", "Gus Member"]);
    expect(await snapshot()).toEqual(before);
  });

  it("Apply does what the preview said, as queued work under the members' locks; applying again changes nothing", async () => {
    const p = (await app.prisma.recalculation.findFirstOrThrow({ where: { shop: SHOP }, orderBy: { createdAt: "desc" } }))!;
    const before = await snapshot();
    const done = await applyAndWait(p.id);
    expect({ upgrades: done.appliedUpgrades, renewals: done.appliedRenewals, keeps: done.appliedKeeps, processed: done.processed }).toEqual({ upgrades: p.upgrades, renewals: p.renewals, keeps: p.keeps, processed: p.members });
    const after = await snapshot();
    expect(after.renewals - before.renewals).toBe(1);
    // Two upgrades: each ends a membership and starts one, with its upgrade_membership; one renewal: the member's refresh (ADR 0027).
    expect(after.enrollments.filter((e) => e.status === "upgraded")).toHaveLength(2);
    expect(await app.prisma.crmSyncQueue.count({ where: { shop: SHOP, actionType: "upgrade_membership" } })).toBe(2);
    expect(after.items - before.items).toBe(3);
    // A second Apply of the same preview is refused quietly; a fresh preview finds nothing to do.
    expect(await app.recalc.applyRecalculation(app.prisma, SHOP, p.id)).toEqual({ ok: true });
    const again = await app.recalc.previewRecalculation(app.prisma, SHOP, "settings");
    expect(again).toMatchObject({ upgrades: 0, renewals: 0, keeps: 3 });
    const second = await applyAndWait(again.id);
    expect({ upgrades: second.appliedUpgrades, renewals: second.appliedRenewals }).toEqual({ upgrades: 0, renewals: 0 });
    expect(await snapshot()).toEqual(after);
  });

  it("editing a tier's threshold changes no member by itself; the next preview shows what it would do", async () => {
    const before = await snapshot();
    const silver = await app.prisma.tier.findUniqueOrThrow({ where: { id: tiers.silver! } });
    const saved = await app.tiers.saveTier(app.prisma, SHOP, silver.id, {
      name: silver.name,
      handle: silver.handle,
      rank: String(silver.rank),
      annualThreshold: "50.00",
      initialPurchase: "0",
      durationMonths: "12",
      discountPercent: "0",
      upgradable: silver.upgradable ? "on" : undefined,
    });
    expect(saved).toMatchObject({ ok: true });
    expect((await app.prisma.tier.findUniqueOrThrow({ where: { id: silver.id } })).annualThresholdCents).toBe(5_000n);
    expect(await snapshot()).toEqual(before);
    // Dee (100.00 within the window) now meets Silver: her order renews her.
    const p = await app.recalc.previewRecalculation(app.prisma, SHOP, "tiers");
    expect(p).toMatchObject({ upgrades: 0, renewals: 1, keeps: 2 });
    expect(await snapshot()).toEqual(before);
  });
});

describe("recalculation and gentler endings (ADR 0025)", () => {
  it("the preview shows members in grace and what their grace end will do on today's spend (step down, or expire), writing nothing", async () => {
    const shop = "recalc-grace.myshopify.com";
    await app.prisma.shop.create({ data: { domain: shop, timezone: "UTC" } });
    const t: Record<string, { id: string }> = {};
    for (const [handle, rank, threshold] of [["bronze", 1, 20_000], ["silver", 2, 60_000], ["gold", 3, 120_000]] as const) {
      t[handle] = await app.prisma.tier.create({
        data: { shop, name: handle[0]!.toUpperCase() + handle.slice(1), handle, rank, annualThresholdCents: threshold, initialPurchaseCents: 0, durationMonths: 12, graceDays: 30, stepDown: true },
      });
    }
    const now = Date.now();
    const inGrace = async (name: string, spendCents: number) => {
      const c = await app.prisma.customer.create({ data: { shop, email: `${name}@grace.example`, firstName: name, lastName: "Grace" } });
      await app.prisma.enrollment.create({
        data: { shop, customerId: c.id, tierId: t.gold!.id, startedAt: new Date(now - 13 * MONTH), expiresAt: new Date(now - 5 * DAY), graceEndsAt: new Date(now + 25 * DAY), idempotencyKey: `g-${name}` },
      });
      // Spend placed before the expiry, too little to renew Gold: it only decides the step down.
      if (spendCents) await app.prisma.purchase.create({ data: { shop, orderId: `gid://shopify/Order/g-${name}`, customerId: c.id, amountCents: spendCents, currency: "USD", occurredAt: new Date(now - 2 * MONTH), countedAt: new Date(now - 2 * MONTH) } });
    };
    await inGrace("Hal", 70_000); // Silver-level: steps down to Silver
    await inGrace("Ida", 30_000); // Bronze-level: steps down to Bronze
    await inGrace("Jo", 5_000); // below Bronze: expires
    const before = await app.prisma.enrollment.findMany({ where: { shop }, orderBy: { id: "asc" } });

    const p = await app.recalc.previewRecalculation(app.prisma, shop, "tiers");
    expect(p).toMatchObject({ members: 3, upgrades: 0, renewals: 0, keeps: 3 });
    const grace = (await app.recalc.recalculationView(app.prisma, shop, p.id))!.summary.grace!;
    expect(grace).toMatchObject({ count: 3, expire: 1 });
    expect(grace.stepDown).toEqual(expect.arrayContaining([{ from: "Gold", to: "Silver", count: 1 }, { from: "Gold", to: "Bronze", count: 1 }]));
    expect(grace.sample.map((s) => `${s.name}: ${s.outcome}`).sort()).toEqual(["Hal Grace: Gold → Silver", "Ida Grace: Gold → Bronze", "Jo Grace: Gold, expires"]);
    // The preview writes nothing; the grace ends are the expiry job's.
    expect(await app.prisma.enrollment.findMany({ where: { shop }, orderBy: { id: "asc" } })).toEqual(before);
  });
});
