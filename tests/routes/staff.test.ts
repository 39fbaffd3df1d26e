// Who did it: the staff user from the admin request's session token (`sub`)
// is recorded on a cancel, a tier change and a discard, through the real routes
// with real session tokens, and the member page's history shows it. Changes the
// app makes itself record no one.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { enroll } from "~/domain/enrollments.server";
import { expireLapsedForShop } from "~/domain/expiry.server";
import { uninstallShop } from "~/domain/shops.server";
import { staffLabel } from "~/domain/staff";
import { action as memberAction, loader as memberLoader } from "~/routes/app.members.$id";
import { action as queueAction } from "~/routes/app.queue";
import { adminGet, adminPost, routeArgs, storeOfflineSession } from "../support/auth";
import { baseProvider, ROOT } from "../support/databases";

const SHOP = "who-did-it.myshopify.com";
const tiers: Record<string, string> = {};

beforeAll(async () => {
  await prisma.shop.create({ data: { domain: SHOP } });
  for (const [rank, name] of [
    [1, "Silver"],
    [2, "Gold"],
  ] as const) {
    tiers[name] = (await prisma.tier.create({ data: { shop: SHOP, name, handle: name.toLowerCase(), rank, annualThresholdCents: 120_000, initialPurchaseCents: 0, durationMonths: 12 } })).id;
  }
  await storeOfflineSession(SHOP);
});

let n = 0;
async function member(shop = SHOP, tier = "Silver") {
  n++;
  const r = await enroll(prisma, shop, { idempotencyKey: `who-did-it-${n}`, tierId: (await prisma.tier.findFirstOrThrow({ where: { shop, name: tier } })).id, email: `who${n}@example.com` });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r;
}

const onMemberPage = async (customerId: string, form: Record<string, string>, sub: string) =>
  memberAction(routeArgs(await adminPost(SHOP, `/app/members/${customerId}`, form, { sub }), { id: customerId }));
const memberPage = async (customerId: string) => memberLoader(routeArgs(await adminGet(SHOP, `/app/members/${customerId}`), { id: customerId }));

describe("the staff user behind a change", () => {
  it("a cancel records the session token's user, and the member page's history says who cancelled", async () => {
    const m = await member();
    expect(await onMemberPage(m.customerId, { intent: "cancel", reason: "Moved away" }, "70001")).toMatchObject({ ok: true });
    expect(await prisma.enrollment.findUniqueOrThrow({ where: { id: m.enrollmentId } })).toMatchObject({ status: "cancelled", endedBy: "70001" });

    const page = await memberPage(m.customerId);
    expect(page.history).toEqual([expect.objectContaining({ tier: "Silver", status: "cancelled", endReason: "Moved away", endedBy: "staff 70001" })]);
  });

  it("a tier change records who moved the member on the membership it ended; the new one has ended for no one", async () => {
    const m = await member();
    expect(await onMemberPage(m.customerId, { intent: "change-tier", tierId: tiers.Gold! }, "70002")).toMatchObject({ ok: true });
    expect(await prisma.enrollment.findUniqueOrThrow({ where: { id: m.enrollmentId } })).toMatchObject({ status: "upgraded", endedBy: "70002" });
    const current = await prisma.enrollment.findFirstOrThrow({ where: { customerId: m.customerId, status: "active" } });
    expect(current.endedBy).toBeNull();

    const page = await memberPage(m.customerId);
    expect(page.member).toMatchObject({ tier: "Gold", status: "active" });
    expect(page.history).toEqual([expect.objectContaining({ tier: "Silver", status: "upgraded", endReason: "Moved to Gold", endedBy: "staff 70002" })]);
  });

  it("a discard on the queue screen or the member page records who discarded it, and the member page shows it", async () => {
    const a = await member();
    const itemA = await prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId: a.enrollmentId } });
    const fromQueue = await queueAction(routeArgs(await adminPost(SHOP, "/app/queue", { intent: "discard", id: itemA.id, reason: "Entered twice" }, { sub: "70003" })));
    expect(fromQueue).toEqual({ ok: true });
    expect(await prisma.crmSyncQueue.findUniqueOrThrow({ where: { id: itemA.id } })).toMatchObject({ status: "cancelled", discardedBy: "70003", discardReason: "Entered twice" });
    expect((await memberPage(a.customerId)).syncs.filter((s) => s.action !== "Shopify Flow trigger")).toEqual([expect.objectContaining({ id: itemA.id, status: "cancelled", discardedBy: "staff 70003", discardReason: "Entered twice" })]);

    const b = await member();
    const itemB = await prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId: b.enrollmentId } });
    expect(await onMemberPage(b.customerId, { intent: "discard", queueId: itemB.id }, "70004")).toEqual({ ok: true, message: "Sync discarded" });
    expect(await prisma.crmSyncQueue.findUniqueOrThrow({ where: { id: itemB.id } })).toMatchObject({ status: "cancelled", discardedBy: "70004" });
    expect((await memberPage(b.customerId)).syncs.filter((s) => s.action !== "Shopify Flow trigger")).toEqual([expect.objectContaining({ discardedBy: "staff 70004", discardReason: "Discarded from the member page" })]);

    // The member page acts only on its own member's items.
    const c = await member();
    const itemC = await prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId: c.enrollmentId } });
    expect(await onMemberPage(b.customerId, { intent: "discard", queueId: itemC.id }, "70004")).toMatchObject({ ok: false });
    expect((await prisma.crmSyncQueue.findUniqueOrThrow({ where: { id: itemC.id } })).status).toBe("pending");
  });

  it("changes the app makes record no staff user: the expiry job, and the items an uninstall stops", async () => {
    const m = await member();
    expect(await expireLapsedForShop(prisma, SHOP, new Date(Date.now() + 2 * 365 * 24 * 3600_000))).toBeGreaterThan(0);
    expect(await prisma.enrollment.findUniqueOrThrow({ where: { id: m.enrollmentId } })).toMatchObject({ status: "expired", endedBy: null });
    expect((await memberPage(m.customerId)).history).toEqual([expect.objectContaining({ status: "expired", endedBy: null })]);

    const leaving = "who-left.myshopify.com";
    await prisma.shop.create({ data: { domain: leaving } });
    await prisma.tier.create({ data: { shop: leaving, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 1, initialPurchaseCents: 0, durationMonths: 12 } });
    const gone = await member(leaving);
    await uninstallShop(prisma, leaving);
    expect(await prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId: gone.enrollmentId } })).toMatchObject({ status: "cancelled", discardedBy: null, discardReason: "App uninstalled" });
  });

  it("the migration clears the 'system' the app used to record, and keeps what a merchant's discard recorded", async () => {
    const bySystem = await prisma.crmSyncQueue.create({ data: { shop: SHOP, customerId: "m1", actionType: "add_membership", stageId: "t", status: "cancelled", idempotencyKey: "legacy-system", discardedBy: "system" } });
    const byMerchant = await prisma.crmSyncQueue.create({ data: { shop: SHOP, customerId: "m2", actionType: "add_membership", stageId: "t", status: "cancelled", idempotencyKey: "legacy-merchant", discardedBy: "merchant" } });
    const sql = readFileSync(join(ROOT, "prisma", baseProvider(), "migrations", "20261202210000_discarded_by_app", "migration.sql"), "utf8");
    await prisma.$executeRawUnsafe(sql.replace(/--.*$/gm, "").trim().replace(/;$/, ""));
    expect((await prisma.crmSyncQueue.findUniqueOrThrow({ where: { id: bySystem.id } })).discardedBy).toBeNull();
    expect((await prisma.crmSyncQueue.findUniqueOrThrow({ where: { id: byMerchant.id } })).discardedBy).toBe("merchant");
    expect([staffLabel("merchant"), staffLabel("70001"), staffLabel(null)]).toEqual(["merchant", "staff 70001", null]);
  });
});
