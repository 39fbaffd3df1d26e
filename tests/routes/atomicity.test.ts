// Crash atomicity: kill -9 the process at random moments during a burst of
// enrollments. Afterwards every enrollment has its queue row and every queue
// row its enrollment — never one without the other.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { ROOT } from "../support/databases";

const SHOP = "burst.myshopify.com";

describe("enrollment under crashes", () => {
  it("leaves either both the enrollment and its queue row, or neither", async () => {
    await prisma.shop.create({ data: { domain: SHOP } });
    const tier = await prisma.tier.create({
      data: { shop: SHOP, name: "Gold", handle: "gold", rank: 1, annualThresholdCents: 0, initialPurchaseCents: 0, durationMonths: 12 },
    });
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "tests/routes/fixtures/enroll-burst.ts")], {
        cwd: ROOT,
        env: { ...process.env, BURST_SHOP: SHOP, BURST_TIER: tier.id, BURST_PREFIX: `r${round}`, LOG_LEVEL: "silent" },
        stdio: ["ignore", "pipe", "inherit"],
      });
      // Two enrollments committed first (a slow start, such as the first
      // connection to PostgreSQL, must not leave a round with nothing done),
      // then the kill lands at a random point in the ones after.
      let committed = 0;
      await new Promise<void>((resolve) =>
        child.stdout!.on("data", (d: Buffer) => {
          committed += d.toString().split("enrolled").length - 1;
          if (committed >= 2) resolve();
        }),
      );
      await new Promise((r) => setTimeout(r, Math.random() * 400));
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
    }
    const enrollments = await prisma.enrollment.findMany({ where: { shop: SHOP }, select: { id: true } });
    const items = await prisma.crmSyncQueue.findMany({ where: { shop: SHOP, actionType: "add_membership" }, select: { enrollmentId: true } });
    expect(enrollments.length).toBeGreaterThan(4); // the bursts did real work before each kill
    expect(new Set(items.map((i) => i.enrollmentId))).toEqual(new Set(enrollments.map((e) => e.id)));
    expect(items.length).toBe(enrollments.length);
  }, 60_000);
});
