// The Commerce7 order history (ADR 0022) against a live Order webhook of the
// same order, the interleaving FORCED: a second connection holds the
// member's lock (tests/support/member-lock.ts) while the history read (the
// real queue worker, reading the fake Commerce7's order list) and the
// webhook (the real route) are started, each seen waiting, then it is let
// go; on PostgreSQL they then run in the order they were started. Either
// way the order is recorded and counted once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeCommerce7, type C7Order, type FakeCommerce7 } from "../../sandbox/fakes/commerce7";
import { importApp, type App } from "../support/app";
import { baseProvider } from "../support/databases";
import { drainQueue } from "../support/drain";

const SHOP = "c7-history-race.myshopify.com";
const TENANT = { tenantId: "history-race-wine", appId: "app", appSecret: "secret" };
const onPostgres = baseProvider() === "postgresql";
let c7: FakeCommerce7;
let app: App & { history: typeof import("~/domain/commerce7-history.server"); c7Route: typeof import("~/routes/webhooks.commerce7.$key") };
let key = "";
// Imported once the environment points at the fake (it imports the app's modules, which read it once).
let holdMemberLock: typeof import("../support/member-lock").holdMemberLock;
let silver = "";

beforeAll(async () => {
  c7 = await createFakeCommerce7({ tenants: [TENANT] });
  process.env.COMMERCE7_API_URL = `${c7.url}/v1`;
  holdMemberLock = (await import("../support/member-lock")).holdMemberLock;
  app = { ...(await importApp()), history: await import("~/domain/commerce7-history.server"), c7Route: await import("~/routes/webhooks.commerce7.$key") };
  const { setCommerce7Credentials } = await import("~/domain/shops.server");
  await setCommerce7Credentials(app.prisma, SHOP, { tenant: TENANT.tenantId, appId: TENANT.appId, appSecret: TENANT.appSecret });
  await app.prisma.shop.update({ where: { domain: SHOP }, data: { crm: "commerce7", c7RequestsPerMinute: 6_000 } });
  const { rotateCommerce7WebhookKey } = await import("~/domain/commerce7-webhook.server");
  key = (await rotateCommerce7WebhookKey(app.prisma, SHOP)).split("/").pop()!;
  const club = c7.addClub(TENANT.tenantId, { title: "Silver" }).id;
  silver = (await app.prisma.tier.create({ data: { shop: SHOP, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 60_000, initialPurchaseCents: 0, durationMonths: 12, c7ClubId: club } })).id;
});

afterAll(async () => {
  await c7?.close();
  await app?.prisma.$disconnect();
});

let n = 0;
async function member() {
  n++;
  const remote = c7.addCustomer(TENANT.tenantId, { email: `race${n}@example.com`, firstName: `Race${n}`, withAddress: true });
  const r = await app.enrollments.enroll(app.prisma, SHOP, { idempotencyKey: `history-race-${n}`, tierId: silver, email: remote.emails[0]!.email, platformId: remote.id });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  await drainQueue(app.prisma, app.Worker);
  return { c7Id: remote.id, email: remote.emails[0]!.email, customerId: (await app.prisma.enrollment.findUniqueOrThrow({ where: { id: r.enrollmentId } })).customerId };
}

function sale(m: { c7Id: string; email: string }, subTotal: number): C7Order {
  const at = new Date(Date.now() - 60_000).toISOString();
  return { id: `race-sale-${n}`, orderSubmittedDate: at, orderPaidDate: at, paymentStatus: "Paid", subTotal, total: subTotal, customerId: m.c7Id, customer: { id: m.c7Id, emails: [{ email: m.email }] } };
}

async function deliver(o: C7Order): Promise<string> {
  const request = new Request(`http://app.test/webhooks/commerce7/${key}`, { method: "POST", body: JSON.stringify({ object: "Order", action: "Create", payload: o, tenantId: TENANT.tenantId }) });
  const res = await app.c7Route.action(app.auth.routeArgs(request, { key }));
  expect(res.status).toBe(200);
  return ((await res.json()) as { status: string }).status;
}

/** Requests the history read (queued, not run yet): its item is written before the lock is held. */
async function request(): Promise<string> {
  const started = await app.history.startCommerce7History(app.prisma, SHOP);
  if (!started.ok) throw new Error(started.message);
  return started.id;
}
/** Runs the queue (the read) to its end. */
const run = () => drainQueue(app.prisma, app.Worker, { timeoutMs: 30_000 });

describe("the Commerce7 order history beside a live Order webhook, under the member's lock", () => {
  for (const first of ["history", "webhook"] as const) {
    it(`the same paid order at once, ${first} first: one purchase, counted once`, async () => {
      const m = await member();
      const o = c7.addOrder(TENANT.tenantId, sale(m, 4_200));
      const id = await request();
      const lock = await holdMemberLock(app.prisma, SHOP, m.customerId);
      let history: Promise<void>;
      let webhook: Promise<string>;
      const seen = async (k: number) => {
        await lock.waitForWriters(k).catch(async (e: Error) => {
          const items = await app.prisma.crmSyncQueue.findMany({ where: { shop: SHOP, actionType: "commerce7_history" }, select: { status: true, lastError: true } });
          throw new Error(`${e.message}; history items: ${JSON.stringify(items)}`);
        });
      };
      if (first === "history") {
        history = run();
        await seen(1);
        webhook = deliver(o);
        await seen(2);
      } else {
        webhook = deliver(o);
        await seen(1);
        history = run();
        await seen(2);
      }
      await lock.release();
      const [answer] = await Promise.all([webhook, history]);
      const row = await app.prisma.commerce7History.findUniqueOrThrow({ where: { id } });
      expect(row.status).toBe("completed");
      if (onPostgres) {
        // The forced order: the first writer records it, the second finds it.
        expect(answer).toBe(first === "history" ? "duplicate" : "recorded");
        expect(row.ordersRecorded).toBe(first === "history" ? 1 : 0);
      }
      expect(row.ordersRecorded + row.ordersKnown).toBe(row.ordersRead);
      expect(await app.prisma.purchase.count({ where: { shop: SHOP, orderId: `commerce7/Order/${o.id}` } })).toBe(1);
      expect(await app.enrollments.recordedSpendCents(app.prisma, SHOP, m.customerId)).toBe(4_200);
    });
  }
});
