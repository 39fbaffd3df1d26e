// The membership charts read per-day counts the database keeps (ADR 0029):
// triggers on Enrollment append deltas, a fold moves them into counts. Here
// the charts are checked against an oracle that reads every membership row
// and applies the charts' definitions directly, in shops whose month
// boundaries fall inside a UTC day (Kolkata, +5:30; Eucla, +8:45) and on
// one (UTC), with memberships created, ended, revived, moved between tiers,
// renewed and deleted through ordinary writes, before and after folds, and
// with rows placed on, just before and just after each month boundary.
import { describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { chartPeriods, membershipMonths } from "~/domain/dashboard.server";
import { foldMembershipCounts } from "~/domain/membership-counts.server";

const DAY = 86_400_000;
const NOW = new Date("2026-12-01T19:09:00.000Z");

/** A small seeded PRNG (mulberry32): the same rows on every run. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Row = { tierId: string; status: string; startedAt: Date; expiresAt: Date; endedAt: Date | null };

/** The charts' definitions applied to every row (months are (edges[i], edges[i+1]]). */
function oracle(rows: Row[], renewals: Date[], edges: Date[], tierIds: string[]) {
  const months = edges.length - 1;
  const monthOf = (t: Date) => {
    for (let i = 0; i < months; i++) if (t > edges[i]! && t <= edges[i + 1]!) return i;
    return -1;
  };
  const endOf = (r: Row) => (r.status === "active" ? (r.expiresAt <= NOW ? r.expiresAt : null) : r.endedAt && r.endedAt < r.expiresAt ? r.endedAt : r.expiresAt);
  const active = new Map(tierIds.map((id) => [id, Array.from({ length: months }, (_, i) => rows.filter((r) => r.tierId === id && r.startedAt <= edges[i + 1]! && (endOf(r) === null || endOf(r)! > edges[i + 1]!)).length)]));
  const count = (pred: (r: Row) => boolean, at: (r: Row) => Date | null) =>
    Array.from({ length: months }, (_, i) => rows.filter((r) => pred(r) && at(r) !== null && monthOf(at(r)!) === i).length);
  const starts = count(() => true, (r) => r.startedAt);
  const changes = count((r) => r.status === "upgraded" || r.status === "moved_down", endOf);
  return {
    active,
    movements: {
      joined: starts.map((n, i) => n - changes[i]!),
      upgraded: count((r) => r.status === "upgraded", endOf),
      renewed: Array.from({ length: months }, (_, i) => renewals.filter((t) => monthOf(t) === i).length),
      expired: count((r) => r.status === "expired", endOf),
      cancelled: count((r) => r.status === "cancelled", endOf),
    },
  };
}

async function seedShop(shop: string, timeZone: string, seed: number) {
  await prisma.shop.create({ data: { domain: shop, timezone: timeZone } });
  const tiers = await Promise.all(
    ["Silver", "Gold", "Reserve"].map((name, i) =>
      prisma.tier.create({ data: { shop, name, handle: name.toLowerCase(), rank: i + 1, annualThresholdCents: 100_000 * (i + 1), initialPurchaseCents: 1_000, durationMonths: 12 } }),
    ),
  );
  const { starts, ends } = chartPeriods(NOW, timeZone);
  const edges = [starts[0]!, ...ends];
  const random = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  // Instants on, just before and just after each month boundary, and anywhere in the last 15 months.
  // Nothing in the future: memberships start and end by now.
  const boundaryInstants = edges.flatMap((e) => [e, new Date(e.getTime() - 60_000), new Date(e.getTime() + 60_000), new Date(e.getTime() - 1)]).filter((t) => t.getTime() < NOW.getTime() - 1000);
  const instant = () => (random() < 0.35 ? pick(boundaryInstants) : new Date(NOW.getTime() - Math.floor(random() * 450 * DAY)));
  const data = Array.from({ length: 500 }, (_, j) => {
    const startedAt = instant();
    const status = pick(["active", "active", "expired", "cancelled", "upgraded", "moved_down"]);
    const expiresAt = new Date(startedAt.getTime() + (random() < 0.2 ? Math.floor(random() * 60) * DAY : 365 * DAY));
    let endedAt: Date | null = null;
    if (status !== "active") {
      // Ended before its expiry (a cancellation, a move), or after it (the expiry job ran late), and never in the future.
      const t = random() < 0.5 ? instant() : new Date(expiresAt.getTime() + Math.floor(random() * 3) * DAY);
      endedAt = new Date(Math.min(NOW.getTime() - 1000, Math.max(startedAt.getTime(), t.getTime())));
    }
    return { id: `${shop}-e${j}`, shop, customerId: `${shop}-c${j}`, tierId: pick(tiers).id, status, startedAt, createdAt: startedAt, expiresAt, endedAt };
  });
  await prisma.customer.createMany({ data: data.map((d) => ({ id: d.customerId, shop, email: `${d.id}@example.com` })) });
  // Active rows first: one active membership per customer, and each row is its own customer.
  await prisma.enrollment.createMany({ data });
  const renewals = data.filter((_, j) => j % 7 === 0).map((d) => ({ shop, enrollmentId: d.id, renewedAt: instant() }));
  await prisma.renewal.createMany({ data: renewals });
  return { tiers, edges, ends, starts, data, random, pick, instant };
}

async function expectOracle(shop: string, edges: Date[], ends: Date[], tierIds: string[]) {
  const rows = await prisma.enrollment.findMany({ where: { shop }, select: { tierId: true, status: true, startedAt: true, expiresAt: true, endedAt: true } });
  const renewals = (await prisma.renewal.findMany({ where: { shop }, select: { renewedAt: true } })).map((r) => r.renewedAt);
  const want = oracle(rows, renewals, edges, tierIds);
  const got = await membershipMonths(prisma, shop, edges[0]!, ends);
  for (const id of tierIds) expect({ tier: id, counts: got.active.get(id) ?? ends.map(() => 0) }).toEqual({ tier: id, counts: want.active.get(id) });
  expect(got.movements).toEqual(want.movements);
}

describe("membership charts from the per-day counts", () => {
  for (const [timeZone, seed] of [
    ["Asia/Kolkata", 11],
    ["Australia/Eucla", 23],
    ["UTC", 37],
  ] as const) {
    it(`equal the rows' own counts in ${timeZone}, through inserts, changes, revivals, deletions and folds`, async () => {
      const shop = `counts-${timeZone.replace(/\W/g, "-").toLowerCase()}.myshopify.com`;
      const s = await seedShop(shop, timeZone, seed);
      const tierIds = s.tiers.map((t) => t.id);
      await expectOracle(shop, s.edges, s.ends, tierIds); // every delta unfolded

      expect(await foldMembershipCounts(prisma)).toBeGreaterThan(0);
      expect(await prisma.membershipDayDelta.count({ where: { shop } })).toBe(0);
      await expectOracle(shop, s.edges, s.ends, tierIds); // every delta folded

      // Ordinary writes after the fold: cancel some active memberships, revive some
      // expired ones, move some to another tier, renew some (expiry only), delete some.
      const active = s.data.filter((d) => d.status === "active").slice(0, 30);
      for (const d of active.slice(0, 10)) {
        const endedAt = new Date(Math.max(d.startedAt.getTime(), Math.min(NOW.getTime() - 1000, s.instant().getTime())));
        await prisma.enrollment.updateMany({ where: { id: d.id, shop }, data: { status: "cancelled", endedAt } });
      }
      for (const d of active.slice(10, 20)) await prisma.enrollment.updateMany({ where: { id: d.id, shop }, data: { expiresAt: new Date(d.expiresAt.getTime() + 365 * DAY) } });
      for (const d of active.slice(20, 30)) await prisma.enrollment.updateMany({ where: { id: d.id, shop }, data: { tierId: s.pick(tierIds) } });
      for (const d of s.data.filter((x) => x.status === "expired").slice(0, 10)) await prisma.enrollment.updateMany({ where: { id: d.id, shop }, data: { status: "active", endedAt: null } });
      await prisma.enrollment.deleteMany({ where: { shop, id: { in: s.data.filter((x) => x.status === "upgraded").slice(0, 10).map((x) => x.id) } } });
      await expectOracle(shop, s.edges, s.ends, tierIds); // folded counts plus new deltas

      await foldMembershipCounts(prisma);
      expect(await foldMembershipCounts(prisma)).toBe(0); // nothing left: a second fold changes nothing
      await expectOracle(shop, s.edges, s.ends, tierIds);
    });
  }

  it("a renewal of an active membership, or its sync state, appends no delta", async () => {
    const shop = "counts-quiet.myshopify.com";
    const s = await seedShop(shop, "America/Los_Angeles", 5);
    await foldMembershipCounts(prisma);
    const d = s.data.find((x) => x.status === "active")!;
    await prisma.enrollment.updateMany({ where: { id: d.id, shop }, data: { expiresAt: new Date(d.expiresAt.getTime() + 365 * DAY), syncState: "synced", graceEndsAt: NOW } });
    expect(await prisma.membershipDayDelta.count({ where: { shop } })).toBe(0);
    // An ended one whose dates change moves its end: a delta pair.
    const e = s.data.find((x) => x.status === "cancelled")!;
    await prisma.enrollment.updateMany({ where: { id: e.id, shop }, data: { endedAt: e.startedAt } });
    expect(await prisma.membershipDayDelta.count({ where: { shop } })).toBeGreaterThan(0);
  });
});
