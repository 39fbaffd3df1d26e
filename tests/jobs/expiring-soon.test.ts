// The "Membership expiring soon" job (ADR 0028) against a real database, the
// real worker and the fake Shopify, which checks each payload against the
// trigger's declared fields: a membership within the shop's days of its
// expiry fires once per term, however often the job runs; the days are the
// shop's Settings; Commerce7 shops and ended memberships fire nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const SHOP = "soon.myshopify.com";
const C7_SHOP = "soon-cellar.myshopify.com";
const DAY = 86_400_000;
let shopify: FakeShopify;
let app: App & { soon: typeof import("~/domain/expiring-soon.server") };
const silver: Record<string, string> = {};

beforeAll(async () => {
  shopify = await createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: "shpat_soon" }] });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  app = { ...(await importApp()), soon: await import("~/domain/expiring-soon.server") };
  await app.prisma.shop.createMany({ data: [{ domain: SHOP, timezone: "America/Los_Angeles" }, { domain: C7_SHOP, crm: "commerce7" }] });
  for (const shop of [SHOP, C7_SHOP]) {
    const t = await app.prisma.tier.create({
      data: { shop, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 60_000, initialPurchaseCents: 0, durationMonths: 12, discountPercent: 10, c7ClubId: shop === C7_SHOP ? "club-1" : null },
    });
    silver[shop] = t.id;
  }
  await app.auth.storeOfflineSession(SHOP, "shpat_soon");
});
afterAll(() => shopify?.close());

const drain = () => drainQueue(app.prisma, app.Worker);
let n = 0;
/** An active member (synced to the fake) whose membership ends `daysLeft` days from `now`, with $150 of spend. */
async function member(daysLeft: number, now: Date, shop = SHOP) {
  const email = `soon-${++n}@example.com`;
  const customer = await app.prisma.customer.create({ data: { shop, email, shopifyCustomerId: shop === SHOP ? shopify.addCustomer(SHOP, { email }).id : null } });
  await app.prisma.purchase.create({ data: { shop, orderId: `gid://shopify/Order/${90_000 + n}`, customerId: customer.id, amountCents: 15_000, currency: "USD", occurredAt: new Date(now.getTime() - 30 * DAY), countedAt: new Date() } });
  return app.prisma.enrollment.create({
    data: { shop, customerId: customer.id, tierId: silver[shop]!, status: "active", startedAt: new Date(now.getTime() - 300 * DAY), expiresAt: new Date(now.getTime() + daysLeft * DAY) },
  });
}
const triggersFor = (customerGid: string | null) =>
  shopify.flowTriggers(SHOP).filter((t) => t.handle === "club-membership-expiring-soon" && t.payload.customer_id === Number(customerGid!.split("/").pop()));
const gidOf = async (customerId: string) => (await app.prisma.customer.findUniqueOrThrow({ where: { id: customerId } })).shopifyCustomerId;

describe("Membership expiring soon", () => {
  it("fires once per term within the shop's days (default 14), however often the job runs", async () => {
    const now = new Date("2026-12-01T20:00:00Z");
    const due = await member(10, now);
    const later = await member(20, now);
    expect(await app.soon.notifyExpiringSoon(app.prisma, now)).toMatchObject({ recorded: 1 });
    expect(await app.soon.notifyExpiringSoon(app.prisma, new Date(now.getTime() + DAY))).toMatchObject({ recorded: 0 });
    await Promise.all([1, 2, 3].map(() => app.soon.notifyExpiringSoon(app.prisma, now)));
    await drain();
    const [sent, ...more] = triggersFor(await gidOf(due.customerId));
    expect(more).toEqual([]);
    // 10 days ahead in the shop's zone; $600 a year to renew, $150 spent.
    expect(sent!.payload).toMatchObject({ "Tier name": "Silver", "Days left": 10, "Spend in window": 150, "Spend to renew": 450, Currency: "USD", "Expires on": "2026-12-11" });
    expect(triggersFor(await gidOf(later.customerId))).toEqual([]);

    // Six days on, the other one is within 14 days too; the first is not sent again.
    expect(await app.soon.notifyExpiringSoon(app.prisma, new Date(now.getTime() + 6 * DAY))).toMatchObject({ recorded: 1 });
    await drain();
    expect(triggersFor(await gidOf(later.customerId))).toHaveLength(1);
    expect(triggersFor(await gidOf(due.customerId))).toHaveLength(1);

    // A new term (renewed: a later expiry) nearing its end fires again, once.
    await app.prisma.enrollment.update({ where: { id: due.id }, data: { expiresAt: new Date(now.getTime() + 370 * DAY) } });
    const nextYear = new Date(now.getTime() + 360 * DAY);
    expect(await app.soon.notifyExpiringSoon(app.prisma, nextYear)).toMatchObject({ recorded: 1 });
    expect(await app.soon.notifyExpiringSoon(app.prisma, nextYear)).toMatchObject({ recorded: 0 });
    await drain();
    expect(triggersFor(await gidOf(due.customerId)).map((t) => t.payload["Days left"])).toEqual([10, 10]);
    expect((await app.prisma.crmSyncQueue.findMany({ where: { shop: SHOP, actionType: "flow_trigger" } })).map((i) => i.status)).toEqual(["completed", "completed", "completed"]);
  });

  it("uses the shop's days from Settings, and skips ended memberships and Commerce7 shops", async () => {
    const now = new Date("2027-06-01T20:00:00Z");
    const { saveSettings } = await import("~/domain/settings.server");
    expect(await saveSettings(app.prisma, SHOP, { crm: "shopify", flowExpiringSoonDays: "0" })).toMatchObject({ ok: false, errors: { flowExpiringSoonDays: expect.any(String) } });
    expect(await saveSettings(app.prisma, SHOP, { crm: "shopify", flowExpiringSoonDays: "30" })).toMatchObject({ ok: true });
    expect((await app.prisma.shop.findUniqueOrThrow({ where: { domain: SHOP } })).flowExpiringSoonDays).toBe(30);
    const in25 = await member(25, now);
    const cancelled = await member(5, now);
    await app.prisma.enrollment.update({ where: { id: cancelled.id }, data: { status: "cancelled", endedAt: now } });
    await member(5, now, C7_SHOP);
    expect(await app.soon.notifyExpiringSoon(app.prisma, now)).toMatchObject({ recorded: 1 });
    expect(await app.prisma.membershipEvent.findMany({ where: { kind: "expiring_soon", occurredAt: now }, select: { enrollmentId: true } })).toEqual([{ enrollmentId: in25.id }]);
    expect(await app.prisma.membershipEvent.count({ where: { shop: C7_SHOP } })).toBe(0);
    await app.prisma.shop.update({ where: { domain: SHOP }, data: { flowExpiringSoonDays: 14 } });
  });
});
