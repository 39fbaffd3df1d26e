// Folding the membership counts while memberships are written (ADR 0029), with
// the interleaving FORCED: a second connection holds every delta row locked
// while a fold starts, the fold is seen waiting for it, and memberships
// written meanwhile add deltas of their own. Each delta must be counted
// exactly once: by that fold, or left for the next. Then folds side by side.
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { foldMembershipCounts } from "~/domain/membership-counts.server";

const SHOP = "counts-race.myshopify.com";

afterAll(async () => {
  await prisma.$disconnect();
});

async function enroll(tierId: string, from: number, count: number) {
  const ids = Array.from({ length: count }, (_, i) => from + i);
  await prisma.customer.createMany({ data: ids.map((i) => ({ id: `race-c${i}`, shop: SHOP, email: `race${i}@example.com` })) });
  await prisma.enrollment.createMany({
    data: ids.map((i) => ({ id: `race-e${i}`, shop: SHOP, customerId: `race-c${i}`, tierId, startedAt: new Date(Date.UTC(2026, 5, 1 + (i % 20))), expiresAt: new Date(Date.UTC(2027, 5, 1)) })),
  });
}

describe("folding the membership counts", () => {
  it("a fold behind a lock on every delta takes exactly those; deltas written while it waits are left for the next fold, and folds side by side count each delta once", async () => {
    await prisma.shop.create({ data: { domain: SHOP } });
    const tier = await prisma.tier.create({ data: { shop: SHOP, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 1, initialPurchaseCents: 1, durationMonths: 12 } });
    await enroll(tier.id, 0, 50);

    const holder = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await holder.connect();
    await holder.query("BEGIN");
    const locked = await holder.query(`SELECT id FROM "MembershipDayDelta" FOR UPDATE`);
    expect(locked.rowCount).toBe(50);

    const fold = foldMembershipCounts(prisma);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await holder.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
      );
      if (Number(rows[0]!.n) >= 1) break;
      if (Date.now() > deadline) throw new Error(`expected the fold waiting on the held delta rows, saw ${rows[0]!.n} waiting`);
      await new Promise((r) => setTimeout(r, 5));
    }
    // Written while the fold waits: newer than its snapshot, so not its to take.
    await enroll(tier.id, 50, 5);
    await holder.query("COMMIT");
    await holder.end();
    expect(await fold).toBe(50);

    const counted = async () => (await prisma.membershipDayCount.aggregate({ where: { shop: SHOP, kind: "start" }, _sum: { n: true } }))._sum.n ?? 0;
    const pending = async () => (await prisma.membershipDayDelta.aggregate({ where: { shop: SHOP }, _sum: { n: true } }))._sum.n ?? 0;
    expect([await counted(), await pending()]).toEqual([50, 5]);

    // Three folds side by side (three instances' jobs) over the 5 left and 20 more.
    await enroll(tier.id, 55, 20);
    const folded = await Promise.all([1, 2, 3].map(() => foldMembershipCounts(prisma)));
    expect(folded.reduce((a, b) => a + b, 0)).toBe(25);
    expect([await counted(), await pending()]).toEqual([75, 0]);
  });
});
