// npm run bench:enroll — server-side time of an enrollment submit with the
// platform healthy, down and hanging, and the members list at 100,000 members.
//
//   npm run bench:enroll -- [--samples 100] [--members 100000] [--db sqlite|pg]
//
// Each submit goes through the real route action with real authentication
// (a signed session token), against the fake platforms over HTTP.
import { createFakeCommerce7 } from "../sandbox/fakes/commerce7";
import { createFakeShopifyAdmin } from "../sandbox/fakes/shopify-admin";
import { arg, benchEnv, pct, scratchDatabase, seedMembers } from "./support";

const SAMPLES = Number(arg("samples", "100"));
const MEMBERS = Number(arg("members", "100000"));
const DB = arg("db", "sqlite") === "pg" ? "pg" : "sqlite";

const C7 = "bench-c7.myshopify.com";
const SHOPIFY = "bench-shopify.myshopify.com";
const TENANT = { tenantId: "bench", appId: "app", appSecret: "secret" };

const db_ = await scratchDatabase(DB, "enroll");
const c7 = await createFakeCommerce7({ tenants: [TENANT] });
const shopify = await createFakeShopifyAdmin({ shops: [{ domain: SHOPIFY, accessToken: "shpat_bench" }] });
try {
  await benchEnv(db_.url, {
    COMMERCE7_API_URL: `${c7.url}/v1`,
    SHOPIFY_ADMIN_ORIGIN: `${shopify.url}/shops/{shop}`,
  });
  const prisma = (await import("../app/db.server")).default;
  const auth = await import("../tests/support/auth");
  const review = await import("../app/routes/app.members.new_.review");
  const members = await import("../app/routes/app.members._index");
  const { setCommerce7Credentials } = await import("../app/domain/shops.server");
  const { env } = await import("../app/env.server");

  await setCommerce7Credentials(prisma, C7, { tenant: TENANT.tenantId, appId: TENANT.appId, appSecret: TENANT.appSecret });
  await prisma.shop.update({ where: { domain: C7 }, data: { crm: "commerce7" } });
  await prisma.shop.create({ data: { domain: SHOPIFY } });
  const club = c7.addClub(TENANT.tenantId, { title: "Gold" });
  const tiers: Record<string, string> = {};
  for (const shop of [C7, SHOPIFY]) {
    tiers[shop] = (
      await prisma.tier.create({ data: { shop, name: "Gold", handle: "gold", rank: 1, annualThresholdCents: 0, initialPurchaseCents: 0, durationMonths: 12, c7ClubId: club.id } })
    ).id;
    await auth.storeOfflineSession(shop, "shpat_bench");
  }

  let n = 0;
  const outcomes = new Map<string, number>();
  async function submitTimes(shop: string): Promise<number[]> {
    const times: number[] = [];
    outcomes.clear();
    for (let i = 0; i < SAMPLES; i++) {
      const email = `bench-${n++}@example.com`;
      if (shop === C7) c7.addCustomer(TENANT.tenantId, { email, withAddress: true });
      const request = await auth.adminPost(shop, "/app/members/new/review", {
        email,
        firstName: "B",
        lastName: String(n),
        tierId: tiers[shop]!,
        idempotencyKey: `bench-key-${n}`,
      });
      const t = performance.now();
      const res = await review.action(auth.routeArgs(request)).catch((e: unknown) => e);
      times.push(performance.now() - t);
      if (!(res instanceof Response) || res.status !== 302) throw new Error(`submit failed: ${JSON.stringify(res)}`);
      // Where the sync stands right after the submit: the enrollment's state (what the member page shows).
      const customerId = new URL(res.headers.get("Location")!, "http://x").pathname.split("/").pop()!;
      const state = (await prisma.enrollment.findFirst({ where: { shop, customerId, status: "active" }, select: { syncState: true } }))?.syncState ?? "?";
      outcomes.set(state, (outcomes.get(state) ?? 0) + 1);
    }
    return times;
  }

  const rows: [string, number[]][] = [];
  const labels = new Map<string, string>();
  for (const [label, shop, fault] of [
    ["Commerce7 healthy", C7, null],
    ["Commerce7 down", C7, { mode: "down" }],
    ["Commerce7 hanging", C7, { mode: "slow", delayMs: 30_000 }],
    ["Shopify healthy", SHOPIFY, null],
    ["Shopify down", SHOPIFY, { mode: "down" }],
  ] as const) {
    c7.faults.clear();
    shopify.faults.clear();
    if (fault) (shop === C7 ? c7 : shopify).faults.add(fault);
    rows.push([label, await submitTimes(shop)]);
    if (process.env.BENCH_DEBUG) console.log(label, JSON.stringify(await prisma.crmSyncQueue.findFirst({ orderBy: { createdAt: "desc" }, select: { status: true, lastError: true } })));
    labels.set(label, [...outcomes].map(([k, v]) => `${v}× ${k}`).join(", "));
  }
  c7.faults.clear();
  shopify.faults.clear();

  console.log(`enroll bench (${DB}): ${SAMPLES} submits per case, inline Commerce7 deadline ${env.ENROLL_INLINE_SYNC_DEADLINE_MS} ms`);
  console.log("case                  p50 ms    p99 ms   outcome");
  for (const [label, t] of rows) console.log(`${label.padEnd(20)} ${pct(t, 50).toFixed(1).padStart(7)} ${pct(t, 99).toFixed(1).padStart(9)}   ${labels.get(label)}`);
  const p99 = Object.fromEntries(rows.map(([l, t]) => [l, pct(t, 99)]));
  const shopifyDelta = p99["Shopify down"]! / p99["Shopify healthy"]! - 1;
  console.log(`Shopify outage adds ${(shopifyDelta * 100).toFixed(0)}% to p99 (target ≤ 20%); hanging Commerce7 p99 ${p99["Commerce7 hanging"]!.toFixed(0)} ms (bounded by the ${env.ENROLL_INLINE_SYNC_DEADLINE_MS} ms deadline)`);

  // Members list at scale.
  const t0 = performance.now();
  const shop = SHOPIFY;
  await seedMembers(prisma, shop, tiers[shop]!, MEMBERS);
  console.log(`seeded ${MEMBERS} members in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const listCases: [string, string][] = [
    ["first page, newest", ""],
    ["expiring soonest", "sort=expiry"],
    ["filter sync=failed", "sync=failed"],
    ["search 'last4242'", "q=last4242"],
  ];
  console.log("members list (100k)         p50 ms    p99 ms");
  for (const [label, query] of listCases) {
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const request = await auth.adminGet(shop, `/app/members?${query}`);
      const t = performance.now();
      await members.loader(auth.routeArgs(request));
      times.push(performance.now() - t);
    }
    console.log(`${label.padEnd(26)} ${pct(times, 50).toFixed(1).padStart(7)} ${pct(times, 99).toFixed(1).padStart(9)}`);
  }
  await prisma.$disconnect();
} finally {
  await c7.close();
  await shopify.close();
  await db_.drop();
}
process.exit(0);
