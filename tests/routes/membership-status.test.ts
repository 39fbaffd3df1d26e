// How a membership ended (Enrollment.status): a tier change says which way,
// through the real flows; history, badges and the dashboard use it; and the
// migration rewrites the moves down that were recorded as "upgraded".
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { changeTier, enroll } from "~/domain/enrollments.server";
import { statusLabel } from "~/domain/membership-status";
import { loader as home } from "~/routes/app._index";
import { loader as memberPage } from "~/routes/app.members.$id";
import { adminGet, routeArgs, storeOfflineSession } from "../support/auth";
import { baseProvider, ROOT } from "../support/databases";

const SHOP = "ends.myshopify.com";

async function setup() {
  await prisma.shop.create({ data: { domain: SHOP } });
  const tiers: Record<string, string> = {};
  for (const [rank, name] of [
    [1, "Silver"],
    [2, "Gold"],
  ] as const) {
    tiers[name] = (await prisma.tier.create({ data: { shop: SHOP, name, handle: name.toLowerCase(), rank, annualThresholdCents: 120000, initialPurchaseCents: 10000, durationMonths: 12 } })).id;
  }
  await storeOfflineSession(SHOP);
  return tiers;
}

describe("how a membership ended", () => {
  it("Gold → Silver ends Gold as moved down, Silver → Gold as upgraded; the member page and the dashboard say so", async () => {
    const tiers = await setup();
    const r = await enroll(prisma, SHOP, { idempotencyKey: "ends-key-1", tierId: tiers.Gold!, email: "down@example.com", platformId: "gid://shopify/Customer/77" });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const before = await home(routeArgs(await adminGet(SHOP, "/app")));
    const down = await changeTier(prisma, SHOP, r.enrollmentId, tiers.Silver!);
    expect(down).toMatchObject({ ok: true });
    expect(await prisma.enrollment.findUniqueOrThrow({ where: { id: r.enrollmentId } })).toMatchObject({ status: "moved_down", endReason: "Moved to Silver" });

    const page = await memberPage(routeArgs(await adminGet(SHOP, `/app/members/${r.customerId}`), { id: r.customerId }));
    expect(page.member).toMatchObject({ tier: "Silver", status: "active" });
    expect(page.history).toMatchObject([{ tier: "Gold", status: "moved down", endReason: "Moved to Silver" }]);
    const after = await home(routeArgs(await adminGet(SHOP, "/app")));
    expect([after.upgradesThisMonth, after.movedDownThisMonth]).toEqual([before.upgradesThisMonth, before.movedDownThisMonth + 1]);

    if (!down.ok) return;
    expect(await changeTier(prisma, SHOP, down.enrollmentId, tiers.Gold!)).toMatchObject({ ok: true });
    expect((await prisma.enrollment.findUniqueOrThrow({ where: { id: down.enrollmentId } })).status).toBe("upgraded");
    const again = await home(routeArgs(await adminGet(SHOP, "/app")));
    expect([again.upgradesThisMonth, again.movedDownThisMonth]).toEqual([before.upgradesThisMonth + 1, before.movedDownThisMonth + 1]);
    // An old link to the ended Gold membership opens the member's page.
    const old = await memberPage(routeArgs(await adminGet(SHOP, `/app/members/${r.enrollmentId}`), { id: r.enrollmentId })).catch((e: unknown) => e);
    expect(new URL((old as Response).headers.get("location")!, "http://app.invalid").pathname).toBe(`/app/members/${r.customerId}`);
    expect(statusLabel("moved_down")).toBe("moved down");
  });

  it("the migration turns the moves down recorded as upgraded into moved_down, and leaves real upgrades", async () => {
    const shop = "legacy.myshopify.com";
    await prisma.shop.create({ data: { domain: shop } });
    const silver = await prisma.tier.create({ data: { shop, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 1, initialPurchaseCents: 1, durationMonths: 12 } });
    const gold = await prisma.tier.create({ data: { shop, name: "Gold", handle: "gold", rank: 2, annualThresholdCents: 2, initialPurchaseCents: 1, durationMonths: 12 } });
    const t1 = new Date("2026-06-01T10:00:00Z");
    const t2 = new Date("2026-07-01T10:00:00Z");
    const year = new Date("2027-06-01T00:00:00Z");
    // Ann went Gold → Silver (the old code ended Gold as "upgraded"); Ben went Silver → Gold.
    const ann = await prisma.customer.create({ data: { shop, email: "ann@example.com" } });
    const ben = await prisma.customer.create({ data: { shop, email: "ben@example.com" } });
    const annGold = await prisma.enrollment.create({ data: { shop, customerId: ann.id, tierId: gold.id, status: "upgraded", startedAt: t1, endedAt: t2, expiresAt: year, endReason: "Moved to Silver" } });
    await prisma.enrollment.create({ data: { shop, customerId: ann.id, tierId: silver.id, status: "active", startedAt: t2, expiresAt: year } });
    const benSilver = await prisma.enrollment.create({ data: { shop, customerId: ben.id, tierId: silver.id, status: "upgraded", startedAt: t1, endedAt: t2, expiresAt: year } });
    await prisma.enrollment.create({ data: { shop, customerId: ben.id, tierId: gold.id, status: "active", startedAt: t2, expiresAt: year } });

    const sql = readFileSync(join(ROOT, "prisma", baseProvider(), "migrations", "20261201200000_moved_down", "migration.sql"), "utf8");
    await prisma.$executeRawUnsafe(sql.replace(/--.*$/gm, "").trim().replace(/;$/, ""));
    expect((await prisma.enrollment.findUniqueOrThrow({ where: { id: annGold.id } })).status).toBe("moved_down");
    expect((await prisma.enrollment.findUniqueOrThrow({ where: { id: benSilver.id } })).status).toBe("upgraded");
  });
});
