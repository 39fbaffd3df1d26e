// npm run bench:orders — how long an orders/create delivery takes on the server,
// with a shop of 100,000 members and their purchase history, and how fast the
// expiry job works through lapsed memberships.
//
//   npm run bench:orders -- [--samples 200] [--members 100000] [--expire 10000] [--db sqlite|pg]
//
// Each delivery is HMAC-signed and goes through the real route action
// (authenticate.webhook verifies it), then one transaction. Shopify waits 5 s
// in total for the answer; the figure to watch is p99.
import { arg, benchEnv, pct, scratchDatabase, seedMembers } from "./support";

const SAMPLES = Number(arg("samples", "200"));
const MEMBERS = Number(arg("members", "100000"));
const EXPIRE = Number(arg("expire", "10000"));
const DB = arg("db", "sqlite") === "pg" ? "pg" : "sqlite";
const SHOP = "bench-orders.myshopify.com";
const DAY = 86_400_000;

const scratch = await scratchDatabase(DB, "orders");
try {
  await benchEnv(scratch.url);
  const prisma = (await import("../app/db.server")).default;
  const auth = await import("../tests/support/auth");
  const webhook = await import("../app/routes/webhooks.orders.create");
  const { expireLapsedMemberships } = await import("../app/domain/expiry.server");

  await prisma.shop.create({ data: { domain: SHOP } });
  const tier = (rank: number, name: string, threshold: number) =>
    prisma.tier.create({ data: { shop: SHOP, name, handle: name.toLowerCase(), rank, annualThresholdCents: threshold, initialPurchaseCents: threshold / 12, durationMonths: 12, discountPercent: rank * 5 } });
  const silver = await tier(1, "Silver", 60_000);
  await tier(2, "Gold", 120_000);
  await tier(3, "Reserve", 300_000);

  // A realistic shop: every member has three past orders.
  const t0 = performance.now();
  await seedMembers(prisma, SHOP, silver.id, MEMBERS);
  for (let i = 0; i < MEMBERS; i += 5000) {
    const n = Math.min(5000, MEMBERS - i);
    await prisma.purchase.createMany({
      data: Array.from({ length: n * 3 }, (_, k) => ({
        shop: SHOP,
        orderId: `gid://shopify/Order/seed-${i * 3 + k}`,
        customerId: `mc-${i + Math.floor(k / 3)}`,
        amountCents: 4_000 + (k % 7) * 1_000,
        currency: "USD",
        occurredAt: new Date(Date.now() - ((k % 300) + 1) * DAY),
      })),
    });
  }
  console.log(`seeded ${MEMBERS} members and ${MEMBERS * 3} purchases in ${((performance.now() - t0) / 1000).toFixed(1)} s (${DB})`);

  let orderNo = 0;
  const order = (customer: { id: number; email: string }, amount: string) => {
    orderNo++;
    return {
      id: 9_000_000 + orderNo,
      admin_graphql_api_id: `gid://shopify/Order/${9_000_000 + orderNo}`,
      created_at: new Date().toISOString(),
      test: false,
      currency: "USD",
      financial_status: "paid",
      current_subtotal_price_set: { shop_money: { amount, currency_code: "USD" } },
      customer: { id: customer.id, email: customer.email, first_name: "Bench", last_name: "Buyer" },
    };
  };
  const outcomes = new Map<string, number>();
  async function deliver(body: unknown): Promise<number> {
    const request = auth.webhookRequest(SHOP, "orders/create", body);
    const t = performance.now();
    const res = await webhook.action(auth.routeArgs(request));
    const ms = performance.now() - t;
    const out = (await res.json()) as { status: string; membership?: string };
    const key = out.membership ? `${out.status}/${out.membership}` : out.status;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    return ms;
  }
  // Members are matched by email here (their seeded rows carry no Shopify id).
  const member = (i: number) => ({ id: 5_000_000 + i, email: `m${i}@example.com` });

  const cases: [string, (i: number) => unknown][] = [
    ["new customer", (i) => order({ id: 8_000_000 + i, email: `new${i}@example.com` }, "50.00")],
    ["member, spend only", (i) => order(member(i), "10.00")],
    ["member, renewal", (i) => order(member(1000 + i), "500.00")],
    ["member, upgrade", (i) => order(member(2000 + i), "1500.00")],
  ];
  console.log(`orders/create bench (${DB}): ${SAMPLES} signed deliveries per case, ${MEMBERS} members`);
  console.log("case                    p50 ms    p99 ms   outcome");
  const bodies: unknown[] = [];
  for (const [label, make] of cases) {
    outcomes.clear();
    const times: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const body = make(i);
      bodies.push(body);
      times.push(await deliver(body));
    }
    console.log(`${label.padEnd(22)} ${pct(times, 50).toFixed(1).padStart(7)} ${pct(times, 99).toFixed(1).padStart(9)}   ${[...outcomes].map(([k, v]) => `${v}× ${k}`).join(", ")}`);
  }
  outcomes.clear();
  const dupTimes: number[] = [];
  for (let i = 0; i < SAMPLES; i++) dupTimes.push(await deliver(bodies[i]!));
  console.log(`${"redelivery (duplicate)".padEnd(22)} ${pct(dupTimes, 50).toFixed(1).padStart(7)} ${pct(dupTimes, 99).toFixed(1).padStart(9)}   ${[...outcomes].map(([k, v]) => `${v}× ${k}`).join(", ")}`);

  // Expiry: EXPIRE lapsed memberships among the rest.
  for (let i = 0; i < EXPIRE; i += 500) {
    const ids = Array.from({ length: Math.min(500, EXPIRE - i) }, (_, k) => `me-${10_000 + i + k}`);
    await prisma.enrollment.updateMany({ where: { shop: SHOP, status: "active", id: { in: ids } }, data: { expiresAt: new Date(Date.now() - DAY) } });
  }
  const t1 = performance.now();
  const result = await expireLapsedMemberships(prisma);
  const s = (performance.now() - t1) / 1000;
  console.log(`expiry job: ${result.expired} lapsed memberships expired and their cancellations queued in ${s.toFixed(2)} s (${Math.round(result.expired / s)}/s)`);
  await prisma.$disconnect();
} finally {
  await scratch.drop();
}
process.exit(0);
