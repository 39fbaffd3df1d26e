// Commerce7 order webhooks against other writers of the same member (ADR 0021
// with ADR 0009), the interleavings FORCED: a second connection holds the
// member's lock (tests/support/member-lock.ts) while the writers are started,
// each is seen waiting, then it is let go, so on PostgreSQL they commit in the
// order they were started. Deliveries go through the real routes: Commerce7's
// with the shop's key, Shopify's HMAC-signed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseProvider } from "../support/databases";
import { importApp, type App } from "../support/app";
import { holdMemberLock } from "../support/member-lock";

const SHOP = "c7-race.myshopify.com";
const onPostgres = baseProvider() === "postgresql";
let app: App & {
  c7: typeof import("~/routes/webhooks.commerce7.$key");
  shopify: typeof import("~/routes/webhooks.orders.create");
};
let key = "";
let silver = "";
let gold = "";

beforeAll(async () => {
  app = { ...(await importApp()), c7: await import("~/routes/webhooks.commerce7.$key"), shopify: await import("~/routes/webhooks.orders.create") };
  await app.prisma.shop.create({ data: { domain: SHOP, crm: "commerce7", c7Tenant: "race-wine" } });
  await app.auth.storeOfflineSession(SHOP);
  const { rotateCommerce7WebhookKey } = await import("~/domain/commerce7-webhook.server");
  key = (await rotateCommerce7WebhookKey(app.prisma, SHOP)).split("/").pop()!;
  const tier = (handle: string, rank: number, threshold: number) =>
    app.prisma.tier.create({ data: { shop: SHOP, name: handle, handle, rank, annualThresholdCents: threshold, initialPurchaseCents: 0, durationMonths: 12, c7ClubId: `club-${handle}` } });
  silver = (await tier("silver", 1, 60_000)).id;
  gold = (await tier("gold", 2, 120_000)).id;
});

afterAll(async () => {
  await app?.prisma.$disconnect();
});

let n = 0;
/** A Silver member known to Commerce7 (c7-race-<n>) and to Shopify (customer 5_500 + n). */
async function member() {
  n++;
  const email = `c7race${n}@example.com`;
  const r = await app.enrollments.enroll(app.prisma, SHOP, { idempotencyKey: `c7-race-${n}`, tierId: silver, email, platformId: `c7-race-${n}` });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const e = await app.prisma.enrollment.findUniqueOrThrow({ where: { id: r.enrollmentId } });
  await app.prisma.customer.update({ where: { id: e.customerId }, data: { shopifyCustomerId: `gid://shopify/Customer/${5_500 + n}` } });
  return { customerId: e.customerId, c7Id: `c7-race-${n}`, shopifyId: 5_500 + n, email };
}

let orders = 0;
function c7Order(m: { c7Id: string; email: string }, subTotal: number) {
  orders++;
  const at = new Date().toISOString();
  return { id: `race-order-${orders}`, orderSubmittedDate: at, orderPaidDate: at, paymentStatus: "Paid", subTotal, total: subTotal, customerId: m.c7Id, customer: { id: m.c7Id, emails: [{ email: m.email }] } };
}

type Answer = { status: string; membership?: string; spendCents?: number };
async function c7(action: "Create" | "Update", payload: ReturnType<typeof c7Order>): Promise<Answer> {
  const request = new Request(`http://app.test/webhooks/commerce7/${key}`, { method: "POST", body: JSON.stringify({ object: "Order", action, payload, tenantId: "race-wine" }) });
  const res = await app.c7.action(app.auth.routeArgs(request, { key }));
  expect(res.status).toBe(200);
  return (await res.json()) as Answer;
}
async function shopifyOrder(m: { shopifyId: number; email: string }, amount: string): Promise<Answer> {
  orders++;
  const id = 5_500_000_000 + orders;
  const body = {
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    created_at: new Date().toISOString(),
    financial_status: "paid",
    email: m.email,
    current_subtotal_price_set: { shop_money: { amount, currency_code: "USD" } },
    customer: { id: m.shopifyId, admin_graphql_api_id: `gid://shopify/Customer/${m.shopifyId}`, email: m.email },
  };
  const res = (await app.shopify.action(app.auth.routeArgs(app.auth.webhookRequest(SHOP, "orders/create", body)))) as Response;
  expect(res.status).toBe(200);
  return (await res.json()) as Answer;
}

/** Starts the writers in order behind the held lock, each seen waiting, then lets go. */
async function forced(customerId: string, writers: (() => Promise<Answer>)[]): Promise<Answer[]> {
  const lock = await holdMemberLock(app.prisma, SHOP, customerId);
  const running: Promise<Answer>[] = [];
  for (const [i, start] of writers.entries()) {
    running.push(start());
    await lock.waitForWriters(i + 1);
  }
  await lock.release();
  return Promise.all(running);
}

const upgrades = (customerId: string) => app.prisma.crmSyncQueue.count({ where: { shop: SHOP, customerId, actionType: "upgrade_membership" } });
const history = async (customerId: string) => (await app.prisma.enrollment.findMany({ where: { shop: SHOP, customerId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] })).map((e) => [e.tierId, e.status]);

describe("Commerce7 order webhooks under the member's lock", () => {
  for (const pair of [
    ["Create", "Update"],
    ["Update", "Update"],
  ] as const) {
    it(`two deliveries of one paid order at once (${pair.join(" then ")}): recorded once, counted once, one upgrade`, async () => {
      const m = await member();
      const o = c7Order(m, 130_000);
      const answers = await forced(m.customerId, [() => c7(pair[0], o), () => c7(pair[1], o)]);
      expect(answers.map((a) => a.status).sort()).toEqual(["duplicate", "recorded"]);
      if (onPostgres) expect(answers.map((a) => a.status)).toEqual(["recorded", "duplicate"]);
      expect(answers.find((a) => a.status === "recorded")).toMatchObject({ membership: "upgraded", spendCents: 130_000 });
      expect(await app.prisma.purchase.count({ where: { shop: SHOP, customerId: m.customerId } })).toBe(1);
      expect(await app.enrollments.recordedSpendCents(app.prisma, SHOP, m.customerId)).toBe(130_000);
      expect(await upgrades(m.customerId)).toBe(1);
      expect(await history(m.customerId)).toEqual([
        [silver, "upgraded"],
        [gold, "active"],
      ]);
    });
  }

  for (const first of ["commerce7", "shopify"] as const) {
    it(`a Commerce7 order and a Shopify order of one member at once, ${first} first: both count, the second judges both, one upgrade`, async () => {
      const m = await member();
      const fromC7 = () => c7("Create", c7Order(m, 70_000));
      const fromShopify = () => shopifyOrder(m, "700.00");
      const answers = await forced(m.customerId, first === "commerce7" ? [fromC7, fromShopify] : [fromShopify, fromC7]);
      expect(answers.map((a) => a.status)).toEqual(["recorded", "recorded"]);
      if (onPostgres) {
        // The forced order: the first sees its own 700.00 (Silver renewed, no upgrade), the second both.
        expect(answers.map((a) => [a.spendCents, a.membership])).toEqual([
          [70_000, "renewed"],
          [140_000, "upgraded"],
        ]);
      }
      expect(answers.filter((a) => a.membership === "upgraded")).toHaveLength(1);
      expect(await app.enrollments.recordedSpendCents(app.prisma, SHOP, m.customerId)).toBe(140_000);
      expect(await upgrades(m.customerId)).toBe(1);
      // One customer row, both platforms' ids on it.
      expect(await app.prisma.customer.count({ where: { shop: SHOP, email: m.email } })).toBe(1);
    });
  }
});
