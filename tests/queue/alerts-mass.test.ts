// A mass failure (the platform refusing the shop's credentials) while the mail
// server is down: one pending alert item throughout, then one email listing
// every failure. Real worker, the test platform over HTTP, real SMTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeSmtp, type FakeSmtp } from "../../sandbox/fakes/smtp";
import type { Platform } from "./support";

const SHOP = "mass.myshopify.com";
// 1,000 on both databases: past SQLite's 999 bound parameters, so a digest
// that looked its items up in one statement would never be sent there.
const N = 1000;
let platform: Platform;
let smtp: FakeSmtp;

// The app reads its environment once, at import: SMTP_URL is set first, and
// app modules (./support included) are imported after.
beforeAll(async () => {
  smtp = await createFakeSmtp({ user: "alerts", pass: "pw" });
  process.env.SMTP_URL = smtp.url;
  platform = await (await import("./support")).startPlatform();
});
afterAll(async () => {
  await Promise.all([platform?.close(), smtp?.close()]);
});

describe("alerts coalesce", () => {
  it(`${N} permanent failures of one shop, mail server down then up: one pending alert item throughout, then one email listing all ${N}`, async () => {
    const { default: prisma } = await import("~/db.server");
    const { registerProcessor } = await import("~/queue/registry");
    const { sendFailureAlert } = await import("~/integrations/email/processors.server");
    const { Worker } = await import("~/queue/worker.server");
    const { registerConverging, seedMember, until } = await import("./support");
    registerConverging(() => platform.url);
    registerProcessor("commerce7", "send_alert", sendFailureAlert);

    await seedMember(prisma, SHOP); // the shop, on Commerce7, with credentials
    await prisma.shop.update({ where: { domain: SHOP }, data: { alertEmail: "owner@mass.example" } });
    const now = Date.now();
    await prisma.crmSyncQueue.createMany({
      data: Array.from({ length: N }, (_, i) => ({
        id: `mass-${i}`,
        shop: SHOP,
        customerId: `c-${i}`,
        actionType: "add_membership",
        // Queued for the shop's platform, as enqueue records it.
        platform: "commerce7",
        stageId: "t",
        idempotencyKey: `mass-${i}`,
        nextRunAt: new Date(now),
        createdAt: new Date(now - N + i),
      })),
    });
    platform.faults.add({ mode: "401" }); // credentials revoked: every item fails for good
    await smtp.stop();

    const w = new Worker({ db: prisma, concurrency: 4, pollIntervalMs: 200, leaseMs: 30_000, backoff: { baseMs: 60_000, capMs: 60_000 }, paceRates: {}, pruneEveryMs: 0 });
    w.start();
    const pendingAlerts = () => prisma.crmSyncQueue.count({ where: { shop: SHOP, actionType: "send_alert", status: "pending" } });
    let most = 0;
    let samples = 0;
    try {
      for (;;) {
        const [failed, pending] = await Promise.all([prisma.crmSyncQueue.count({ where: { shop: SHOP, actionType: "add_membership", status: "failed" } }), pendingAlerts()]);
        most = Math.max(most, pending);
        samples++;
        if (failed === N && (await prisma.crmSyncQueue.count({ where: { shop: SHOP, actionType: "send_alert", status: "processing" } })) === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await w.stop();
    }
    expect(samples).toBeGreaterThan(5);
    expect(most).toBe(1);
    expect(await pendingAlerts()).toBe(1);
    expect(await prisma.crmSyncQueue.count({ where: { shop: SHOP, actionType: "send_alert" } })).toBeLessThan(20);
    expect(smtp.messages).toHaveLength(0);

    // The mail server is back and the alert's backoff has passed.
    await smtp.start();
    await prisma.crmSyncQueue.updateMany({ where: { shop: SHOP, actionType: "send_alert", status: "pending" }, data: { nextRunAt: new Date() } });
    const w2 = new Worker({ db: prisma, concurrency: 4, pollIntervalMs: 20, leaseMs: 30_000, backoff: { baseMs: 60_000, capMs: 60_000 }, paceRates: {}, pruneEveryMs: 0 });
    w2.start();
    try {
      await until(async () => smtp.messages.length, (n) => n >= 1, 60_000);
      await until(() => pendingAlerts(), (n) => n === 0);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await w2.stop();
    }
    expect(smtp.messages).toHaveLength(1);
    const [mail] = smtp.messages;
    expect(mail!.to).toEqual(["owner@mass.example"]);
    expect(mail!.subject).toBe(`Club Tiers: ${N} membership changes could not reach Commerce7 (${SHOP})`);
    expect(mail!.text.split("\n").filter((l) => l.startsWith("- Add membership"))).toHaveLength(N);
    expect(await prisma.crmSyncQueue.count({ where: { shop: SHOP, actionType: "add_membership", alertedAt: null } })).toBe(0);
  }, 300_000);
});
