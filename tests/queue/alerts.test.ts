// Permanent failures raise an alert: a `send_alert` item queued in the same
// transaction as the failure, sent by the worker as one email over real SMTP
// (an in-process smtp-server) to the shop's alert address. Real processors
// fail for real reasons against the fake Shopify Admin.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { createFakeSmtp, type FakeSmtp } from "../../sandbox/fakes/smtp";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const ALERTING = "alerting.myshopify.com";
const QUIET = "quiet.myshopify.com";
const NEIGHBOUR = "neighbour-alerts.myshopify.com";
let shopify: FakeShopify;
let smtp: FakeSmtp;
let app: App & {
  claim: typeof import("~/queue/claim.server");
  queueScreen: typeof import("~/routes/app.queue");
  compliance: typeof import("~/routes/webhooks.compliance");
  settings: typeof import("~/routes/app.settings");
};

beforeAll(async () => {
  const shops = [ALERTING, QUIET, NEIGHBOUR];
  shopify = await createFakeShopifyAdmin({ shops: shops.map((domain) => ({ domain, accessToken: "shpat_test" })) });
  smtp = await createFakeSmtp({ user: "alerts", pass: "s3cret/pass" });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  process.env.SMTP_URL = smtp.url;
  process.env.ALERT_FROM = "Club Tiers <alerts@example.com>";
  app = {
    ...(await importApp()),
    claim: await import("~/queue/claim.server"),
    queueScreen: await import("~/routes/app.queue"),
    compliance: await import("~/routes/webhooks.compliance"),
    settings: await import("~/routes/app.settings"),
  };
  await app.prisma.shop.createMany({
    data: [
      { domain: ALERTING, alertEmail: "owner@alerting.example" },
      { domain: QUIET },
      { domain: NEIGHBOUR, alertEmail: "owner@neighbour.example" },
    ],
  });
  for (const shop of shops) {
    await app.prisma.tier.create({ data: { shop, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 60_000, initialPurchaseCents: 5_000, durationMonths: 12, discountPercent: 10 } });
    await app.auth.storeOfflineSession(shop);
  }
});

afterAll(async () => {
  await Promise.all([shopify?.close(), smtp?.close()]);
});

beforeEach(async () => {
  shopify.faults.clear();
  smtp.faults.clear();
  await drainQueue(app.prisma, app.Worker); // nothing of an earlier test is left due
  smtp.messages.length = 0;
});

// The member sync's first call: faults hit it, not the Flow trigger each
// enrollment also queues (ADR 0028), so each test has one failure to report.
const MEMBER_SYNC = "ClubMemberState";

let n = 0;
/** Enrolls a new member of `shop` whose sync will meet whatever faults are set. */
async function enrollMember(shop: string) {
  n++;
  const email = `member${n}@example.com`;
  const remote = shopify.addCustomer(shop, { email });
  const tier = await app.prisma.tier.findFirstOrThrow({ where: { shop } });
  const r = await app.enrollments.enroll(app.prisma, shop, { idempotencyKey: `alert-test-${n}`, tierId: tier.id, email, platformId: remote.id });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return { email, enrollmentId: r.enrollmentId };
}

const alertItems = (shop: string) => app.prisma.crmSyncQueue.findMany({ where: { shop, actionType: "send_alert" }, orderBy: { createdAt: "asc" } });

describe("failure alerts", () => {
  it("a permanent failure emails the shop's alert address once, naming the member, the error and the way to retry", async () => {
    shopify.faults.add({ mode: "401", match: MEMBER_SYNC });
    const { email, enrollmentId } = await enrollMember(ALERTING);
    await drainQueue(app.prisma, app.Worker);

    const failed = await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId } });
    expect(failed.status).toBe("failed");
    expect(failed.alertedAt).not.toBeNull();
    expect((await alertItems(ALERTING)).map((a) => a.status)).toEqual(["completed"]);
    expect(smtp.messages).toHaveLength(1);
    const [mail] = smtp.messages;
    expect(mail!.from).toBe("alerts@example.com");
    expect(mail!.to).toEqual(["owner@alerting.example"]);
    expect(mail!.subject).toBe(`Club Tiers: 1 membership change could not reach Shopify (${ALERTING})`);
    expect(mail!.text).toContain(`- Add membership for ${email}`);
    expect(mail!.text).toContain(failed.lastError!);
    expect(mail!.text).toContain(`https://${ALERTING}/admin/apps/club-tiers/app/queue?status=failed`);

    await drainQueue(app.prisma, app.Worker);
    expect(smtp.messages).toHaveLength(1);

    // The queue screen shows the failure, whom it concerns, that it was emailed, and where alerts go.
    const screen = await app.queueScreen.loader(app.auth.routeArgs(await app.auth.adminGet(ALERTING, "/app/queue?status=failed")));
    expect(screen.alertEmail).toBe("owner@alerting.example");
    expect(screen.items.find((i) => i.id === failed.id)).toMatchObject({ action: "Add membership", member: email, status: "failed", alerted: true });
  });

  it("a retryable error that uses up its attempts raises the alert too", async () => {
    shopify.faults.add({ mode: "500", match: MEMBER_SYNC });
    const { enrollmentId } = await enrollMember(ALERTING);
    await drainQueue(app.prisma, app.Worker);
    const failed = await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId } });
    expect([failed.status, failed.attempts]).toEqual(["failed", 5]);
    expect(smtp.messages.map((m) => m.subject)).toEqual([`Club Tiers: 1 membership change could not reach Shopify (${ALERTING})`]);
  });

  it("a shop without an alert email gets no alert item (the queue screen shows the failure)", async () => {
    shopify.faults.add({ mode: "401", match: MEMBER_SYNC });
    await enrollMember(QUIET);
    await drainQueue(app.prisma, app.Worker);
    expect(await app.prisma.crmSyncQueue.count({ where: { shop: QUIET, status: "failed" } })).toBe(1);
    expect(await alertItems(QUIET)).toEqual([]);
    expect(smtp.messages).toEqual([]);
  });

  it("several failures: each is reported exactly once, and never to another shop", async () => {
    shopify.faults.add({ mode: "401", match: MEMBER_SYNC });
    const mine = [await enrollMember(ALERTING), await enrollMember(ALERTING), await enrollMember(ALERTING)];
    const theirs = await enrollMember(NEIGHBOUR);
    await drainQueue(app.prisma, app.Worker);

    const toMe = smtp.messages.filter((m) => m.to[0] === "owner@alerting.example");
    const reported = toMe.flatMap((m) => [...m.text.matchAll(/for (member\d+@example\.com)/g)].map((x) => x[1]));
    expect(reported.sort()).toEqual(mine.map((m) => m.email).sort());
    expect(toMe.length).toBeLessThanOrEqual(3);
    const toThem = smtp.messages.filter((m) => m.to[0] === "owner@neighbour.example");
    expect(toThem).toHaveLength(1);
    expect(toThem[0]!.text).toContain(theirs.email);
    for (const m of mine) expect(toThem[0]!.text).not.toContain(m.email);
  });

  it("while the mail server is down the alert waits with backoff, and goes out once it is back", async () => {
    await smtp.stop();
    try {
      shopify.faults.add({ mode: "401", match: MEMBER_SYNC });
      await enrollMember(ALERTING);
      // A long backoff: after its first attempt the alert waits (pending), as it would for real.
      await drainQueue(app.prisma, app.Worker, { backoff: { baseMs: 60_000, capMs: 60_000 } });
      const [alert] = await alertItems(ALERTING).then((all) => all.filter((a) => a.status !== "completed"));
      expect(alert).toMatchObject({ status: "pending" });
      expect(alert!.attempts).toBe(1);
      expect(alert!.nextRunAt.getTime()).toBeGreaterThan(Date.now() + 20_000);
      expect(alert!.lastError).toMatch(/^Could not send email/);
      expect(alert!.lastError).not.toContain("s3cret");
    } finally {
      await smtp.start();
    }
    await app.prisma.crmSyncQueue.updateMany({ where: { shop: ALERTING, actionType: "send_alert", status: "pending" }, data: { nextRunAt: new Date() } });
    await drainQueue(app.prisma, app.Worker);
    expect(smtp.messages).toHaveLength(1);
  });

  it("an address the mail server rejects fails the alert at once, and raises no alert about the alert", async () => {
    smtp.faults.add({ mode: "reject" });
    shopify.faults.add({ mode: "401", match: MEMBER_SYNC });
    const before = (await alertItems(ALERTING)).length;
    await enrollMember(ALERTING);
    await drainQueue(app.prisma, app.Worker);
    const alerts = await alertItems(ALERTING);
    expect(alerts).toHaveLength(before + 1);
    expect(alerts.at(-1)).toMatchObject({ status: "failed", attempts: 1 });
    expect(alerts.at(-1)!.lastError).toMatch(/^The mail server rejected the message \(550\)/);
  });

  it("a worker that died holding an item's last attempt: the recovered failure raises the alert in the same transaction", async () => {
    const { enrollmentId } = await enrollMember(ALERTING);
    const item = await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId } });
    await app.prisma.crmSyncQueue.update({
      where: { id: item.id },
      data: { status: "processing", attempts: item.maxAttempts - 1, lockedBy: "dead-worker", leaseUntil: new Date(Date.now() - 1000), fence: { increment: 1 } },
    });
    const recovered = await app.claim.recoverExpiredLeases(app.prisma, new Date());
    expect(recovered.map((r) => [r.id, r.status])).toEqual([[item.id, "failed"]]);
    // The shop's one pending alert item (new failures join it).
    expect((await alertItems(ALERTING)).filter((a) => a.status === "pending" && a.idempotencyKey === "alert:next")).toHaveLength(1);
  });
});

describe("customer data requests", () => {
  const request = async (shop: string, email: string) => {
    const res = await app.compliance.action(app.auth.routeArgs(app.auth.webhookRequest(shop, "customers/data_request", { customer: { email }, data_request: { id: ++n } })));
    return (await res.json()) as { held: boolean };
  };

  it("emails the merchant everything we hold on the customer, through the queue", async () => {
    const { email } = await enrollMember(ALERTING);
    await drainQueue(app.prisma, app.Worker);
    smtp.messages.length = 0;
    expect(await request(ALERTING, email)).toEqual({ held: true });
    expect(await request(ALERTING, "stranger@example.com")).toEqual({ held: false });
    await drainQueue(app.prisma, app.Worker);
    expect(smtp.messages).toHaveLength(1);
    const [mail] = smtp.messages;
    expect(mail!.to).toEqual(["owner@alerting.example"]);
    expect(mail!.subject).toBe(`Club Tiers: customer data request for ${email} (${ALERTING})`);
    const json = JSON.parse(mail!.text.slice(mail!.text.indexOf("{")));
    expect(json).toMatchObject({ customer: { email }, memberships: [{ tier: "Silver", status: "active" }], purchases: [], refunds: [] });
  });

  it("where the shop has no alert email, the request fails visibly on the queue screen, to be retried", async () => {
    const { email } = await enrollMember(QUIET);
    await drainQueue(app.prisma, app.Worker);
    expect(await request(QUIET, email)).toEqual({ held: true });
    await drainQueue(app.prisma, app.Worker);
    const item = await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { shop: QUIET, actionType: "send_data_export" } });
    expect(item).toMatchObject({ status: "failed", lastError: "A customer asked for their data: set an alert email in Settings to receive it, then retry." });
    expect(smtp.messages).toEqual([]);
  });
});

describe("the settings page's test email", () => {
  const send = async (shop: string) => app.settings.action(app.auth.routeArgs(await app.auth.adminPost(shop, "/app/settings", { intent: "email" })));

  it("reaches the saved alert address, says clearly why not otherwise, and never shows the SMTP password", async () => {
    expect(await send(ALERTING)).toEqual({ intent: "email", ok: true, message: "Sent to owner@alerting.example." });
    expect(smtp.messages.map((m) => [m.to[0], m.subject])).toEqual([["owner@alerting.example", `Club Tiers: test email (${ALERTING})`]]);
    expect(await send(QUIET)).toEqual({ intent: "email", ok: false, message: "Enter an alert email and save it first." });
    await smtp.stop();
    try {
      const down = await send(ALERTING);
      expect(down).toMatchObject({ intent: "email", ok: false, message: expect.stringMatching(/^Could not send email/) });
      expect(JSON.stringify(down)).not.toContain("s3cret");
    } finally {
      await smtp.start();
    }
  });
});
