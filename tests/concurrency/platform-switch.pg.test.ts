// A platform switch against concurrent enqueues, on PostgreSQL (READ
// COMMITTED, several instances). Each case forces its interleaving with a
// second connection that holds the shop's platform lock the app takes
// (app/member-lock.server.ts), never with sleeps:
// - an item queued while a switch is in flight waits for it, and is recorded
//   for the NEW platform (without the lock it would read the old one);
// - a switch waits for an enrollment in flight, and then moves that member too
//   (without the lock it would read the members before the enrollment commits).
import pg from "pg";
import { describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { cancelMembership, enroll } from "~/domain/enrollments.server";
import { saveSettings } from "~/domain/settings.server";
import { SHOP_PLATFORM_LOCK_SQL, SHOP_PLATFORM_SHARED_LOCK_SQL, shopPlatformLockKey } from "~/member-lock.server";

async function secondConnection() {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  await client.query("BEGIN");
  return {
    client,
    /** Returns once `n` statements of the app wait for an advisory lock in this database. */
    async waitForWaiters(n: number) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { rows } = await client.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        );
        if (Number(rows[0]!.n) >= n) return;
        if (Date.now() > deadline) throw new Error(`expected ${n} writer(s) waiting for the shop's platform lock, saw ${rows[0]!.n}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async commit() {
      await client.query("COMMIT");
      await client.end();
    },
  };
}

async function shopWithMember(shop: string) {
  await prisma.shop.create({ data: { domain: shop } });
  const tier = await prisma.tier.create({ data: { shop, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 1, initialPurchaseCents: 0, durationMonths: 12, c7ClubId: "club-silver" } });
  const r = await enroll(prisma, shop, { idempotencyKey: `switch-race-${shop}`, tierId: tier.id, email: `first@${shop}`, platformId: "gid://shopify/Customer/1" });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return { tier, enrollmentId: r.enrollmentId };
}

const C7_FORM = { crm: "commerce7", c7Tenant: "t", c7AppId: "a", c7AppSecret: "s", alertEmail: "" };

describe("a platform switch against concurrent writers (PostgreSQL)", () => {
  it("an item queued while a switch is in flight waits for it, and is recorded for the new platform", async () => {
    const shop = "switch-inflight.myshopify.com";
    const { enrollmentId } = await shopWithMember(shop);
    // The switch, mid-transaction: it holds the lock and has changed the platform.
    const other = await secondConnection();
    await other.client.query(SHOP_PLATFORM_LOCK_SQL, [shopPlatformLockKey(shop)]);
    await other.client.query(`UPDATE "Shop" SET crm = 'commerce7' WHERE domain = $1`, [shop]);

    const cancel = cancelMembership(prisma, shop, enrollmentId);
    await other.waitForWaiters(1);
    await other.commit();

    expect(await cancel).toMatchObject({ ok: true });
    const item = await prisma.crmSyncQueue.findFirstOrThrow({ where: { shop, actionType: "cancel_membership" } });
    expect(item.platform).toBe("commerce7");
  });

  it("a switch waits for an enrollment in flight, and then moves that member too", async () => {
    const shop = "switch-waits.myshopify.com";
    const { tier } = await shopWithMember(shop);
    // An enrollment mid-transaction: its enqueue holds the lock shared, its rows are not committed yet.
    const other = await secondConnection();
    await other.client.query(SHOP_PLATFORM_SHARED_LOCK_SQL, [shopPlatformLockKey(shop)]);
    await other.client.query(`INSERT INTO "Customer" (id, shop, email, "updatedAt") VALUES ('late-member', $1, 'late@example.com', now())`, [shop]);
    await other.client.query(
      `INSERT INTO "Enrollment" (id, shop, "customerId", "tierId", status, "expiresAt", "updatedAt") VALUES ('late-enrollment', $1, 'late-member', $2, 'active', now() + interval '1 year', now())`,
      [shop, tier.id],
    );

    const switching = saveSettings(prisma, shop, C7_FORM);
    await other.waitForWaiters(1);
    await other.commit();

    expect(await switching).toEqual({ ok: true, switched: { from: "shopify", to: "commerce7", members: 2 } });
    const moved = await prisma.crmSyncQueue.findMany({ where: { shop, customerId: "late-member" }, orderBy: { createdAt: "asc" } });
    expect(moved.map((q) => [q.actionType, q.platform])).toEqual([
      ["leave_platform", "shopify"],
      ["add_membership", "commerce7"],
    ]);
  });
});
