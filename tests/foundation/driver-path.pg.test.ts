// The queue's statements on PostgreSQL go to the driver, beside Prisma
// (app/db.server.ts, driverOf). Both must read and write one instant the same
// way, whatever the process's zone (PostgreSQL only: SQLite has no driver path): Prisma keeps DateTime as UTC in a column
// without a zone, and node-postgres on its own would use local time.
import { afterEach, describe, expect, it } from "vitest";
import prisma, { driverOf } from "~/db.server";
import { queryRows } from "~/queue/sql.server";

const zone = process.env.TZ;

describe("the driver path beside Prisma", () => {
  afterEach(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  it("a date written by one reads back as the same instant through the other, in a zone far from UTC", async () => {
    process.env.TZ = "Pacific/Auckland";
    const at = new Date("2026-07-01T23:30:00.123Z");
    await prisma.shop.create({ data: { domain: "zone.myshopify.com" } });
    const item = await prisma.crmSyncQueue.create({
      data: { shop: "zone.myshopify.com", customerId: "c", actionType: "add_membership", stageId: "t", idempotencyKey: "k", nextRunAt: at },
    });
    const [read] = await queryRows<{ nextRunAt: Date }>(prisma, `SELECT "nextRunAt" FROM "CrmSyncQueue" WHERE id = $1`, item.id);
    expect(read!.nextRunAt.toISOString()).toBe(at.toISOString());

    const later = new Date("2026-12-31T11:00:00.456Z");
    await queryRows(prisma, `UPDATE "CrmSyncQueue" SET "nextRunAt" = $1 WHERE id = $2`, later, item.id);
    const back = await prisma.crmSyncQueue.findUniqueOrThrow({ where: { id: item.id } });
    expect(back.nextRunAt.toISOString()).toBe(later.toISOString());
  });

  it("only the client itself has a driver: a transaction's statements stay in its transaction", async () => {
    await prisma.$transaction(async (tx) => {
      expect(driverOf(tx)).toBeNull();
    });
    expect(driverOf(prisma)).not.toBeNull();
  });
});
