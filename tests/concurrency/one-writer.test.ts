// One writer per member (ADR 0009), with the interleavings FORCED: a second
// connection holds the member's lock (tests/support/member-lock.ts) while the
// writers are started, each is seen waiting for it, and only then is it let go.
// On PostgreSQL every writer has therefore begun before any commits, and they
// commit in the order they were started; on SQLite they queue on the write
// lock. Orders arrive through the real route as HMAC-signed deliveries.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseProvider } from "../support/databases";
import { importApp, type App } from "../support/app";
import { holdMemberLock } from "../support/member-lock";

const SHOP = "one-writer.myshopify.com";
const DAY = 86_400_000;
const onPostgres = baseProvider() === "postgresql";
let app: App & {
  webhook: typeof import("~/routes/webhooks.orders.create");
  expiry: typeof import("~/domain/expiry.server");
  dates: typeof import("~/domain/dates");
};
let silver: string;
let gold: string;

beforeAll(async () => {
  app = {
    ...(await importApp()),
    webhook: await import("~/routes/webhooks.orders.create"),
    expiry: await import("~/domain/expiry.server"),
    dates: await import("~/domain/dates"),
  };
  await app.prisma.shop.create({ data: { domain: SHOP } });
  await app.auth.storeOfflineSession(SHOP); // webhooks for a shop that is not installed are ignored
  const tier = (handle: string, rank: number, threshold: number) =>
    app.prisma.tier.create({ data: { shop: SHOP, name: handle, handle, rank, annualThresholdCents: threshold, initialPurchaseCents: threshold / 12, durationMonths: 12 } });
  silver = (await tier("silver", 1, 60_000)).id;
  gold = (await tier("gold", 2, 120_000)).id;
});

afterAll(async () => {
  await app?.prisma.$disconnect();
});

let n = 0;
/** A Silver member (Shopify customer `n`), optionally with spend already recorded `spendDaysAgo` days ago. */
async function member(opts: { spendCents?: number; spendDaysAgo?: number; expiresAt?: Date } = {}) {
  n++;
  const gid = `gid://shopify/Customer/${7_000 + n}`;
  const r = await app.enrollments.enroll(app.prisma, SHOP, { idempotencyKey: `one-writer-${n}`, tierId: silver, email: `w${n}@example.com`, platformId: gid });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const e = await app.prisma.enrollment.update({ where: { id: r.enrollmentId }, data: opts.expiresAt ? { expiresAt: opts.expiresAt } : {} });
  if (opts.spendCents) {
    await app.prisma.purchase.create({
      data: { shop: SHOP, orderId: `gid://shopify/Order/prior-${n}`, customerId: e.customerId, amountCents: opts.spendCents, currency: "USD", occurredAt: new Date(Date.now() - (opts.spendDaysAgo ?? 60) * DAY), countedAt: new Date() },
    });
  }
  return { enrollment: e, customerId: e.customerId, customerNumber: 7_000 + n };
}

let orders = 0;
/** Delivers a signed orders/create for the member; resolves to the route's JSON answer. */
async function deliverOrder(customerNumber: number, amount: string, at: Date) {
  orders++;
  const id = 9_100_000 + orders;
  const body = {
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    created_at: at.toISOString(),
    cancelled_at: null,
    test: false,
    currency: "USD",
    financial_status: "paid",
    email: `w${customerNumber - 7_000}@example.com`,
    current_subtotal_price_set: { shop_money: { amount, currency_code: "USD" } },
    customer: { id: customerNumber, admin_graphql_api_id: `gid://shopify/Customer/${customerNumber}`, email: `w${customerNumber - 7_000}@example.com`, first_name: "Ada", last_name: "Vine" },
  };
  const response = (await app.webhook.action(app.auth.routeArgs(app.auth.webhookRequest(SHOP, "orders/create", body)))) as Response;
  expect(response.status).toBe(200);
  return (await response.json()) as { status: string; membership?: string; spendCents?: number };
}

const enrollmentsOf = (customerId: string) => app.prisma.enrollment.findMany({ where: { shop: SHOP, customerId }, orderBy: { createdAt: "asc" } });
const itemsOf = (customerId: string) => app.prisma.crmSyncQueue.findMany({ where: { shop: SHOP, customerId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });

/** Invariants that hold for every member after any interleaving. */
async function expectConsistent(customerId: string, now = new Date()) {
  const enrollments = await enrollmentsOf(customerId);
  const active = enrollments.filter((e) => e.status === "active");
  expect(active.length).toBeLessThanOrEqual(1);
  for (const e of enrollments.filter((e) => e.status === "expired")) expect(e.expiresAt.getTime()).toBeLessThanOrEqual(now.getTime());
  // The queue's last word on the member matches their final state.
  const items = (await itemsOf(customerId)).filter((i) => ["add_membership", "upgrade_membership", "cancel_membership"].includes(i.actionType));
  const last = items.at(-1)!;
  if (active[0]) {
    expect([last.enrollmentId, last.stageId]).toEqual([active[0].id, active[0].tierId]);
    expect(["add_membership", "upgrade_membership"]).toContain(last.actionType);
  } else {
    expect(last.actionType).toBe("cancel_membership");
  }
  // Every ended enrollment's last item is its own end, never an add after it.
  for (const e of enrollments.filter((e) => e.status === "expired" || e.status === "cancelled")) {
    const own = items.filter((i) => i.enrollmentId === e.id);
    expect(own.at(-1)?.actionType).toBe("cancel_membership");
  }
  return { enrollments, active: active[0] ?? null, items };
}

describe("one writer per member", () => {
  it("two orders whose sum crosses the next tier, delivered at once: one upgrade, each order counted once", async () => {
    const m = await member();
    const lock = await holdMemberLock(app.prisma, SHOP, m.customerId);
    const first = deliverOrder(m.customerNumber, "700.00", new Date(Date.now() - 60_000));
    await lock.waitForWriters(1);
    const second = deliverOrder(m.customerNumber, "700.00", new Date(Date.now() - 30_000));
    await lock.waitForWriters(2);
    await lock.release();
    const answers = await Promise.all([first, second]);

    expect(answers.filter((a) => a.membership === "upgraded")).toHaveLength(1);
    expect(answers.map((a) => a.spendCents!).sort((a, b) => a - b)).toEqual([70_000, 140_000]);
    const { enrollments, active, items } = await expectConsistent(m.customerId);
    expect(enrollments.map((e) => [e.tierId, e.status])).toEqual([
      [silver, "upgraded"],
      [gold, "active"],
    ]);
    expect(active?.tierId).toBe(gold);
    expect(items.filter((i) => i.actionType === "upgrade_membership")).toHaveLength(1);
    expect(await app.prisma.purchase.count({ where: { shop: SHOP, customerId: m.customerId } })).toBe(2);
    expect(await app.enrollments.recordedSpendCents(app.prisma, SHOP, m.customerId)).toBe(140_000);
  });

  it("an older order committing after a newer one never shortens the expiry", async () => {
    const m = await member({ spendCents: 60_000, spendDaysAgo: 90, expiresAt: new Date(Date.now() + 30 * DAY) });
    const newer = new Date(Date.now() - 60_000);
    const older = new Date(Date.now() - 30 * DAY);
    const lock = await holdMemberLock(app.prisma, SHOP, m.customerId);
    const a = deliverOrder(m.customerNumber, "10.00", newer);
    await lock.waitForWriters(1);
    const b = deliverOrder(m.customerNumber, "10.00", older);
    await lock.waitForWriters(2);
    await lock.release();
    await Promise.all([a, b]);

    const { active } = await expectConsistent(m.customerId);
    expect(active?.expiresAt.toISOString()).toBe(app.dates.addMonths(newer, 12, "UTC").toISOString());
  });

  describe("an order against a concurrent expiry (the order's time against expiresAt decides)", () => {
    for (const first of ["expiry", "order"] as const) {
      it(`an order placed 60 s before the expiry renews the membership, ${first} first`, async () => {
        const now = new Date();
        const expiresAt = new Date(now.getTime() - 10_000);
        const placed = new Date(expiresAt.getTime() - 60_000);
        const m = await member({ spendCents: 60_000, expiresAt });
        const lock = await holdMemberLock(app.prisma, SHOP, m.customerId);
        const expire = () => app.expiry.expireLapsedForShop(app.prisma, SHOP, now);
        const order = () => deliverOrder(m.customerNumber, "10.00", placed);
        const one = first === "expiry" ? expire() : order();
        await lock.waitForWriters(1);
        const two = first === "expiry" ? order() : expire();
        await lock.waitForWriters(2);
        await lock.release();
        const [x, y] = await Promise.all([one, two]);
        const answer = (first === "expiry" ? y : x) as Awaited<ReturnType<typeof order>>;

        expect(answer.membership).toBe("renewed");
        // One renewal recorded (the home page counts them), whoever went first.
        expect(await app.prisma.renewal.count({ where: { shop: SHOP, enrollmentId: m.enrollment.id } })).toBe(1);
        const { active, items } = await expectConsistent(m.customerId, now);
        expect(active?.id).toBe(m.enrollment.id);
        expect(active?.expiresAt.toISOString()).toBe(app.dates.addMonths(placed, 12, "UTC").toISOString());
        const cancels = items.filter((i) => i.actionType === "cancel_membership");
        if (onPostgres) {
          // The forced order happened: the expiry went first only when told to.
          expect(cancels).toHaveLength(first === "expiry" ? 1 : 0);
          expect(first === "expiry" ? x : y).toBe(first === "expiry" ? 1 : 0);
        }
        // Whatever ran first, the member's last item puts the membership back.
        expect(items.at(-1)).toMatchObject({ actionType: "add_membership", enrollmentId: m.enrollment.id });
      });

      it(`an order placed after the expiry never renews it, ${first} first`, async () => {
        const now = new Date();
        const expiresAt = new Date(now.getTime() - 10_000);
        const placed = new Date(expiresAt.getTime() + 5_000);
        const m = await member({ spendCents: 60_000, expiresAt });
        const lock = await holdMemberLock(app.prisma, SHOP, m.customerId);
        const expire = () => app.expiry.expireLapsedForShop(app.prisma, SHOP, now);
        const order = () => deliverOrder(m.customerNumber, "10.00", placed);
        const one = first === "expiry" ? expire() : order();
        await lock.waitForWriters(1);
        const two = first === "expiry" ? order() : expire();
        await lock.waitForWriters(2);
        await lock.release();
        const [x, y] = await Promise.all([one, two]);
        const answer = (first === "expiry" ? y : x) as Awaited<ReturnType<typeof order>>;

        expect(answer).toMatchObject({ status: "recorded", membership: "none" });
        const { active, enrollments, items } = await expectConsistent(m.customerId, now);
        expect(active).toBeNull();
        expect(enrollments[0]).toMatchObject({ status: "expired", expiresAt });
        expect(items.filter((i) => i.enrollmentId === m.enrollment.id).map((i) => i.actionType)).toEqual(["add_membership", "cancel_membership"]);
      });
    }
  });

  it("a merchant cancel, a tier change and an order at once, 50 rounds: never two active enrollments, and the queue ends on the final state", async () => {
    const orderings = [
      ["cancel", "change", "order"],
      ["cancel", "order", "change"],
      ["change", "cancel", "order"],
      ["change", "order", "cancel"],
      ["order", "cancel", "change"],
      ["order", "change", "cancel"],
    ] as const;
    const outcomes = new Set<string>();
    for (let round = 0; round < 50; round++) {
      const m = await member();
      const writers = {
        cancel: () => app.enrollments.cancelMembership(app.prisma, SHOP, m.enrollment.id, { reason: "Round cancel" }),
        change: () => app.enrollments.changeTier(app.prisma, SHOP, m.enrollment.id, gold),
        order: () => deliverOrder(m.customerNumber, "1300.00", new Date()),
      };
      const lock = await holdMemberLock(app.prisma, SHOP, m.customerId);
      const running: Promise<unknown>[] = [];
      for (const [i, name] of orderings[round % orderings.length]!.entries()) {
        running.push(writers[name]());
        await lock.waitForWriters(i + 1);
      }
      await lock.release();
      await Promise.all(running); // none throws: a loser is refused cleanly

      const { active } = await expectConsistent(m.customerId);
      outcomes.add(active ? `active:${active.tierId === gold ? "gold" : "silver"}` : "none");
      if (onPostgres) {
        // Forced order: a cancel first leaves no membership; anything else first moves the member to Gold.
        expect(active ? "gold" : "none").toBe(orderings[round % orderings.length]![0] === "cancel" ? "none" : "gold");
      }
    }
    if (onPostgres) expect([...outcomes].sort()).toEqual(["active:gold", "none"]);
    // 150 writers and 50 members: seconds alone, longer on a loaded machine.
  }, 180_000);
});
