// Expiring offline tokens end to end, against the fake Shopify issuing
// 5-second tokens: the worker renews them in one place and no 401 reaches an
// item; one renewal per expiry however many callers; a lost refresh answer is
// recovered; a refused refresh fails the shop's items once with the reconnect
// message, and a new session (the merchant opening the app) resumes them; a
// non-expiring token is migrated and the shop keeps syncing, also when the
// migration's answer is lost.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { drainQueue } from "../support/drain";
import { startTokenWorld, type TokenWorld } from "./support/tokens";

const SHOP = "tokens.myshopify.com";
const LIFETIME_MS = 5_000;
const MARGIN_MS = 2_000;
let shopify: TokenWorld["shopify"];
let world: TokenWorld;
let app: TokenWorld["app"] & {
  session: typeof import("~/integrations/shopify/session.server");
  migration: typeof import("~/integrations/shopify/token-migration.server");
  RECONNECT: string;
  index: typeof import("~/routes/app._index");
};

beforeAll(async () => {
  world = await startTokenWorld({ shop: SHOP, legacyToken: "shpat_legacy_tokens", lifetimeMs: LIFETIME_MS, marginMs: MARGIN_MS });
  shopify = world.shopify;
  app = {
    ...world.app,
    session: await import("~/integrations/shopify/session.server"),
    migration: await import("~/integrations/shopify/token-migration.server"),
    RECONNECT: (await import("~/integrations/shopify/oauth.server")).RECONNECT,
    index: await import("~/routes/app._index"),
  };
});
afterAll(() => shopify?.close());
beforeEach(async () => {
  shopify.faults.clear();
  shopify.clearRequests();
  shopify.oauth.clearGrants();
  await app.prisma.crmSyncQueue.deleteMany({});
  await app.prisma.shopifyTokenLease.deleteMany({});
});
afterEach(() => shopify.faults.clear());

const storeExpiringSession = () => world.storeExpiringSession();
const enrollMember = () => world.enrollMember();
const graphqlStatuses = () => shopify.requests().filter((r) => r.path.includes("/graphql.json")).map((r) => r.status);
const refreshes = () => shopify.oauth.grants().filter((g) => g.grant === "refresh_token");
const stored = () => world.storedSession();

describe("expiring offline tokens", () => {
  it("a worker running for 30 s renews the 5-second token as it goes: no 401 reaches an item, one refresh per expiry", { timeout: 90_000 }, async () => {
    await storeExpiringSession();
    const worker = new app.Worker({ db: app.prisma, concurrency: 2, pollIntervalMs: 20, leaseMs: 30_000, backoff: { baseMs: 10, capMs: 50 }, paceRates: {}, pruneEveryMs: 0 });
    worker.start();
    const ids: string[] = [];
    const end = Date.now() + 30_000;
    try {
      while (Date.now() < end) {
        ids.push(await enrollMember());
        await new Promise((r) => setTimeout(r, 400));
      }
      await drainQueue(app.prisma, app.Worker);
    } finally {
      await worker.stop();
    }
    const items = await app.prisma.crmSyncQueue.findMany({ where: { shop: SHOP }, include: { attemptsLog: true } });
    // Each enrollment queues its membership sync and its Flow trigger (ADR 0028).
    expect(items.length).toBe(ids.length * 2);
    expect(items.every((i) => i.status === "completed")).toBe(true);
    expect(items.flatMap((i) => i.attemptsLog).filter((a) => a.outcome !== "success")).toEqual([]);
    expect(graphqlStatuses().filter((s) => s === 401)).toEqual([]);
    // ~30 s of 5-second tokens renewed 2 s early: about ten renewals, each
    // presenting a different refresh token (never two renewals of one expiry).
    const presented = refreshes().map((g) => g.presented);
    expect(presented.length).toBeGreaterThanOrEqual(8);
    expect(new Set(presented).size).toBe(presented.length);
    expect(refreshes().every((g) => g.ok)).toBe(true);
  });

  it("twenty callers at once for an expiring token make one refresh (single flight)", async () => {
    await storeExpiringSession();
    await new Promise((r) => setTimeout(r, LIFETIME_MS - MARGIN_MS + 100));
    const sessions = await Promise.all(Array.from({ length: 20 }, () => app.session.offlineSession(app.prisma, SHOP)));
    expect(new Set(sessions.map((s) => s.accessToken)).size).toBe(1);
    expect(refreshes()).toHaveLength(1);
  });

  it("another instance holding the lease renews; this caller waits, re-reads, and does not refresh again", async () => {
    const old = await storeExpiringSession();
    await new Promise((r) => setTimeout(r, LIFETIME_MS - MARGIN_MS + 100));
    // The other instance takes the shop's lease first.
    await app.prisma.shopifyTokenLease.create({ data: { shop: SHOP, holder: "other-instance", until: new Date(Date.now() + 30_000) } });
    let waiting!: () => void;
    const isWaiting = new Promise<void>((r) => (waiting = r));
    const mine = app.session.offlineSession(app.prisma, SHOP, { onLeaseBusy: waiting });
    await isWaiting;
    // ...renews the token (as its own refresh would) and releases the lease.
    const renewed = await storeExpiringSession();
    await app.prisma.shopifyTokenLease.delete({ where: { shop: SHOP } });

    const session = await mine;
    expect(session.accessToken).toBe(renewed.accessToken);
    expect(session.accessToken).not.toBe(old.accessToken);
    expect(refreshes()).toHaveLength(0);
  });

  it("a lease whose holder crashed is taken over once it runs out", async () => {
    await storeExpiringSession();
    await new Promise((r) => setTimeout(r, LIFETIME_MS - MARGIN_MS + 100));
    await app.prisma.shopifyTokenLease.create({ data: { shop: SHOP, holder: "crashed", until: new Date(Date.now() - 1) } });
    const session = await app.session.offlineSession(app.prisma, SHOP);
    expect(refreshes()).toHaveLength(1);
    expect(session.expires!.getTime()).toBeGreaterThan(Date.now() + MARGIN_MS);
    expect(await app.prisma.shopifyTokenLease.count()).toBe(0);
  });

  it("a refresh whose answer is lost is recovered without the merchant: the current token carries on, the next caller refreshes again", async () => {
    const first = await storeExpiringSession();
    await new Promise((r) => setTimeout(r, LIFETIME_MS - MARGIN_MS + 100));
    shopify.faults.add({ mode: "ghost", match: "oauth:refresh_token", times: 1 });

    const enrollmentId = await enrollMember();
    await drainQueue(app.prisma, app.Worker);
    expect((await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId } })).status).toBe("completed");
    // The renewal Shopify applied but whose answer was lost, then one that
    // worked with the same refresh token (its replacement was never used).
    await app.session.offlineSession(app.prisma, SHOP);
    expect(refreshes().length).toBeGreaterThanOrEqual(2);
    expect(refreshes().every((g) => g.ok && g.presented === first.refreshToken)).toBe(true);
    expect((await stored())!.refreshToken).not.toBe(first.refreshToken);
    expect(graphqlStatuses().filter((s) => s === 401)).toEqual([]);
  });

  it("a refused refresh fails the shop's items once with the reconnect message, with no retry storm; a new session resumes them", async () => {
    await storeExpiringSession();
    shopify.oauth.revokeRefreshToken(SHOP);
    await new Promise((r) => setTimeout(r, LIFETIME_MS + 100)); // the access token has run out too
    const enrollments = [await enrollMember(), await enrollMember(), await enrollMember(), await enrollMember(), await enrollMember()];
    await drainQueue(app.prisma, app.Worker);

    const failed = await app.prisma.crmSyncQueue.findMany({ where: { shop: SHOP, enrollmentId: { in: enrollments } }, include: { attemptsLog: true } });
    expect(failed.map((i) => i.status)).toEqual(Array(5).fill("failed"));
    for (const item of failed) {
      expect(item.attemptsLog).toHaveLength(1);
      expect(item.lastError).toContain(app.RECONNECT);
    }
    expect(refreshes()).toHaveLength(1); // asked once, not once per item
    expect(graphqlStatuses()).toEqual([]);

    // The merchant opens the app: the library exchanges the session token for a
    // new expiring token (at the fake, through the address override), and the
    // items run again by themselves.
    await app.index.loader(app.auth.routeArgs(await app.auth.adminGet(SHOP, "/app")) as never);
    expect(shopify.oauth.grants().filter((g) => g.grant === "token_exchange").map((g) => g.ok)).toEqual([true]);
    expect((await stored())!.refreshToken).toBeTruthy();
    await drainQueue(app.prisma, app.Worker);
    expect((await app.prisma.crmSyncQueue.findMany({ where: { enrollmentId: { in: enrollments } } })).map((i) => i.status)).toEqual(Array(5).fill("completed"));
  });
});

describe("migrating non-expiring tokens", () => {
  beforeEach(async () => {
    shopify.oauth.addLegacyToken(SHOP, "shpat_legacy_tokens");
    await app.auth.storeOfflineSession(SHOP, "shpat_legacy_tokens");
    await app.prisma.shop.update({ where: { domain: SHOP }, data: { tokenMigrationError: null, tokenMigrationFailedAt: null } });
  });

  it("exchanges the legacy token once; the fake refuses the old token and the worker still syncs the shop", async () => {
    expect(await app.migration.migrateLegacyTokens(app.prisma)).toEqual({ migrated: 1, already: 0, failed: 0 });
    expect(await app.migration.migrateLegacyTokens(app.prisma)).toEqual({ migrated: 0, already: 0, failed: 0 });
    const session = await stored();
    expect(session!.expires).toBeInstanceOf(Date);
    expect(session!.refreshToken).toBeTruthy();
    expect(shopify.oauth.accepts(SHOP, "shpat_legacy_tokens")).toBe(false);

    const enrollmentId = await enrollMember();
    await drainQueue(app.prisma, app.Worker);
    expect((await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId } })).status).toBe("completed");
  });

  it("a migration whose answer is lost: the old token is refused, the Admin client exchanges it again at once, and the item completes", async () => {
    shopify.faults.add({ mode: "ghost", match: "oauth:urn:ietf:params:oauth:grant-type:token-exchange", times: 1 });
    expect(await app.migration.migrateLegacyTokens(app.prisma)).toEqual({ migrated: 0, already: 0, failed: 1 });
    expect(shopify.oauth.accepts(SHOP, "shpat_legacy_tokens")).toBe(false); // Shopify did migrate it
    expect((await app.prisma.shop.findUniqueOrThrow({ where: { domain: SHOP } })).tokenMigrationError).toBeTruthy();

    const enrollmentId = await enrollMember();
    await drainQueue(app.prisma, app.Worker);
    const item = await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId }, include: { attemptsLog: true } });
    expect(item.status).toBe("completed");
    expect(item.attemptsLog.map((a) => a.outcome)).toEqual(["success"]);
    expect((await stored())!.expires).toBeInstanceOf(Date);
    expect((await app.prisma.shop.findUniqueOrThrow({ where: { domain: SHOP } })).tokenMigrationError).toBeNull();
  });

  it("a refused migration keeps the old token working and lists the shop's reason on the home page", async () => {
    shopify.faults.add({ mode: "500", match: "oauth:urn:ietf:params:oauth:grant-type:token-exchange" });
    expect(await app.migration.migrateLegacyTokens(app.prisma)).toEqual({ migrated: 0, already: 0, failed: 1 });
    expect(shopify.oauth.accepts(SHOP, "shpat_legacy_tokens")).toBe(true);
    const enrollmentId = await enrollMember();
    await drainQueue(app.prisma, app.Worker);
    expect((await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId } })).status).toBe("completed");

    const page = (await app.index.loader(app.auth.routeArgs(await app.auth.adminGet(SHOP, "/app")) as never)) as { tokenMigration: { error: string } | null };
    expect(page.tokenMigration?.error).toMatch(/Shopify could not migrate the app's access \(HTTP 500\)/);
  });
});
