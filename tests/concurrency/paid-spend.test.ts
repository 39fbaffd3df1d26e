// Paid spend's writers of one member (ADR 0019 with ADR 0009), with the
// interleavings FORCED: a second connection holds the member's lock
// (tests/support/member-lock.ts) while the writers are started, each is seen
// waiting, and only then is it let go, so on PostgreSQL they commit in the
// order they were started. orders/create, orders/paid and the expiry job all
// decide under the member's lock; the deliveries go through the real routes,
// HMAC-signed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseProvider } from "../support/databases";
import { importApp, type App } from "../support/app";
import { holdMemberLock } from "../support/member-lock";

const SHOP = "paid-race.myshopify.com";
const DAY = 86_400_000;
const onPostgres = baseProvider() === "postgresql";
let app: App & {
  created: typeof import("~/routes/webhooks.orders.create");
  paid: typeof import("~/routes/webhooks.orders.paid");
  expiry: typeof import("~/domain/expiry.server");
  dates: typeof import("~/domain/dates");
};
let silver: string;
let gold: string;

beforeAll(async () => {
  app = {
    ...(await importApp()),
    created: await import("~/routes/webhooks.orders.create"),
    paid: await import("~/routes/webhooks.orders.paid"),
    expiry: await import("~/domain/expiry.server"),
    dates: await import("~/domain/dates"),
  };
  await app.prisma.shop.create({ data: { domain: SHOP } });
  await app.auth.storeOfflineSession(SHOP);
  const tier = (handle: string, rank: number, threshold: number) =>
    app.prisma.tier.create({ data: { shop: SHOP, name: handle, handle, rank, annualThresholdCents: threshold, initialPurchaseCents: threshold / 12, durationMonths: 12 } });
  silver = (await tier("silver", 1, 60_000)).id;
  gold = (await tier("gold", 2, 120_000)).id;
});

afterAll(async () => {
  await app?.prisma.$disconnect();
});

let n = 0;
/** A Silver member (Shopify customer 7_700 + n), optionally with counted spend 60 days ago. */
async function member(opts: { spendCents?: number; expiresAt?: Date } = {}) {
  n++;
  const number = 7_700 + n;
  const r = await app.enrollments.enroll(app.prisma, SHOP, { idempotencyKey: `paid-race-${n}`, tierId: silver, email: `race${n}@example.com`, platformId: `gid://shopify/Customer/${number}` });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const enrollment = await app.prisma.enrollment.update({ where: { id: r.enrollmentId }, data: opts.expiresAt ? { expiresAt: opts.expiresAt } : {} });
  if (opts.spendCents) {
    const at = new Date(Date.now() - 60 * DAY);
    await app.prisma.purchase.create({ data: { shop: SHOP, orderId: `gid://shopify/Order/race-prior-${n}`, customerId: enrollment.customerId, amountCents: opts.spendCents, currency: "USD", occurredAt: at, countedAt: at } });
  }
  return { enrollment, customerId: enrollment.customerId, customer: { id: number, email: `race${n}@example.com` } };
}

let orders = 0;
function order(customer: { id: number; email: string }, amount: string, placed = new Date()) {
  orders++;
  const id = 7_700_000_000 + orders;
  return {
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    created_at: placed.toISOString(),
    cancelled_at: null,
    test: false,
    currency: "USD",
    financial_status: "pending",
    email: customer.email,
    current_subtotal_price_set: { shop_money: { amount, currency_code: "USD" } },
    customer: { id: customer.id, admin_graphql_api_id: `gid://shopify/Customer/${customer.id}`, email: customer.email },
  };
}

async function deliver(topic: "orders/create" | "orders/paid", body: ReturnType<typeof order>) {
  const route = topic === "orders/create" ? app.created : app.paid;
  const payload = topic === "orders/paid" ? { ...body, financial_status: "paid" } : body;
  const res = (await route.action(app.auth.routeArgs(app.auth.webhookRequest(SHOP, topic, payload)))) as Response;
  expect(res.status).toBe(200);
  return (await res.json()) as { status: string; membership?: string; spendCents?: number };
}

const itemsOf = (customerId: string) => app.prisma.crmSyncQueue.findMany({ where: { shop: SHOP, customerId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
const enrollmentsOf = (customerId: string) => app.prisma.enrollment.findMany({ where: { shop: SHOP, customerId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });

/** Starts the writers in the given order behind the held lock, each seen waiting, then lets go. */
async function forced<T>(customerId: string, writers: (() => Promise<T>)[]): Promise<T[]> {
  const lock = await holdMemberLock(app.prisma, SHOP, customerId);
  const running: Promise<T>[] = [];
  for (const [i, start] of writers.entries()) {
    running.push(start());
    await lock.waitForWriters(i + 1);
  }
  await lock.release();
  return Promise.all(running);
}

describe("paid spend under the member's lock", () => {
  for (const first of ["orders/create", "orders/paid"] as const) {
    it(`orders/create and orders/paid of one order at once, ${first} first: recorded once, counted once, one upgrade`, async () => {
      const m = await member();
      const o = order(m.customer, "1300.00");
      const second = first === "orders/create" ? "orders/paid" : "orders/create";
      const [a, b] = (await forced(m.customerId, [() => deliver(first, o), () => deliver(second, o)])) as [Awaited<ReturnType<typeof deliver>>, Awaited<ReturnType<typeof deliver>>];
      const byTopic = { [first]: a, [second]: b } as Record<"orders/create" | "orders/paid", Awaited<ReturnType<typeof deliver>>>;

      expect([a, b].filter((x) => x.membership === "upgraded")).toHaveLength(1);
      if (onPostgres) {
        // The forced order: orders/create first records it unpaid, orders/paid counts it;
        // orders/paid first records and counts it, orders/create is a duplicate.
        expect(byTopic["orders/create"].status).toBe(first === "orders/create" ? "not_counted" : "duplicate");
        expect(byTopic["orders/paid"]).toMatchObject({ status: "recorded", spendCents: 130_000, membership: "upgraded" });
      }
      expect(await app.prisma.purchase.count({ where: { shop: SHOP, orderId: o.admin_graphql_api_id } })).toBe(1);
      expect(await app.prisma.purchase.findUniqueOrThrow({ where: { shop_orderId: { shop: SHOP, orderId: o.admin_graphql_api_id } } })).toMatchObject({ countedAt: expect.any(Date) });
      expect(await app.enrollments.recordedSpendCents(app.prisma, SHOP, m.customerId)).toBe(130_000);
      expect((await enrollmentsOf(m.customerId)).map((e) => [e.tierId, e.status])).toEqual([
        [silver, "upgraded"],
        [gold, "active"],
      ]);
      expect((await itemsOf(m.customerId)).filter((i) => i.actionType === "upgrade_membership")).toHaveLength(1);
    });
  }

  it("orders/paid delivered twice at once: one counts it and upgrades, the other is a duplicate", async () => {
    const m = await member();
    const o = order(m.customer, "1300.00");
    expect((await deliver("orders/create", o)).status).toBe("not_counted");
    const answers = await forced(m.customerId, [() => deliver("orders/paid", o), () => deliver("orders/paid", o)]);
    expect(answers.map((a) => a.status).sort()).toEqual(["duplicate", "recorded"]);
    expect(answers.find((a) => a.status === "recorded")).toMatchObject({ membership: "upgraded" });
    expect((await itemsOf(m.customerId)).filter((i) => i.actionType === "upgrade_membership")).toHaveLength(1);
  });

  for (const first of ["expiry", "orders/paid"] as const) {
    it(`orders/paid of an order placed before the expiry, racing the expiry job, ${first} first: the membership is renewed from the order's date`, async () => {
      const now = new Date();
      const expiresAt = new Date(now.getTime() - 10_000);
      const placed = new Date(expiresAt.getTime() - 60_000);
      const m = await member({ spendCents: 60_000, expiresAt });
      const o = order(m.customer, "10.00", placed);
      expect((await deliver("orders/create", o)).status).toBe("not_counted");
      const expire = () => app.expiry.expireLapsedForShop(app.prisma, SHOP, now);
      const pay = () => deliver("orders/paid", o);
      const [x, y] = await forced<unknown>(m.customerId, first === "expiry" ? [expire, pay] : [pay, expire]);
      const answer = (first === "expiry" ? y : x) as Awaited<ReturnType<typeof deliver>>;

      expect(answer).toMatchObject({ status: "recorded", membership: "renewed" });
      const [e] = await enrollmentsOf(m.customerId);
      expect(e).toMatchObject({ id: m.enrollment.id, status: "active", expiresAt: app.dates.addMonths(placed, 12, "UTC") });
      const items = await itemsOf(m.customerId);
      if (onPostgres) {
        // The forced order happened: the expiry ended it first only when told to.
        expect(first === "expiry" ? x : y).toBe(first === "expiry" ? 1 : 0);
        expect(items.filter((i) => i.actionType === "cancel_membership")).toHaveLength(first === "expiry" ? 1 : 0);
      }
      // Whatever ran first, the member's last item puts the membership back: an
      // add_membership after the expiry's cancellation, else the member's
      // coalesced refresh that carries a renewal to Shopify (ADR 0027).
      expect(items.at(-1)).toMatchObject({ actionType: expect.stringMatching(/^(add_membership|refresh_member)$/), enrollmentId: m.enrollment.id });
      if (onPostgres) expect(items.at(-1)!.actionType).toBe(first === "expiry" ? "add_membership" : "refresh_member");
    });
  }
});
