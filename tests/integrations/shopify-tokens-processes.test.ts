// Expiring tokens across real OS processes: a shop seeded with a non-expiring
// token is migrated when an instance boots; and (on PostgreSQL, where several
// instances share one database) two worker processes renewing one shop's
// 5-second token make exactly one refresh per expiry.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../support/databases";
import { until } from "../queue/support";
import { startTokenWorld, type TokenWorld } from "./support/tokens";

const SHOP = "instances.myshopify.com";
const LEGACY = "shpat_legacy_instances";
let world: TokenWorld;
let shopify: TokenWorld["shopify"];
let app: TokenWorld["app"];
const children: ChildProcess[] = [];

beforeAll(async () => {
  world = await startTokenWorld({ shop: SHOP, legacyToken: LEGACY, lifetimeMs: 5_000, marginMs: 2_000 });
  ({ shopify, app } = world);
});
afterAll(() => shopify?.close());
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode !== null) continue;
    c.kill("SIGTERM");
    await new Promise((r) => c.once("exit", r));
  }
});

function startInstance(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "tests/integrations/fixtures/app-process.ts")], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: "silent", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve(child));
    child.once("exit", (code) => reject(new Error(`instance exited early (${code})`)));
  });
}

const enrollMember = () => world.enrollMember();

const openItems = () => app.prisma.crmSyncQueue.count({ where: { shop: SHOP, status: { in: ["pending", "processing"] } } });

describe("expiring tokens across instances", () => {
  it("an instance booting migrates the shop's non-expiring token; the old token is refused and the instance syncs the shop", { timeout: 60_000 }, async () => {
    await app.auth.storeOfflineSession(SHOP, LEGACY);
    const enrollmentId = await enrollMember();
    const customer = (await app.prisma.enrollment.findUniqueOrThrow({ where: { id: enrollmentId }, include: { customer: true } })).customer;
    const child = await startInstance({ MODE: "boot", QUEUE_WORKER_ENABLED: "true", QUEUE_POLL_INTERVAL_MS: "50", MEMBERSHIP_EXPIRY_INTERVAL_MS: "0" });

    // Watched from the fake while the instance runs (the instance is the only
    // writer of the database meanwhile): the migration, then the member's sync.
    await until(async () => shopify.oauth.grants().filter((g) => g.grant === "migration" && g.ok).length, (n) => n === 1, 20_000);
    await until(async () => shopify.appMetafield(SHOP, customer.shopifyCustomerId!, "membership"), (m) => m !== null, 20_000);
    expect(shopify.oauth.accepts(SHOP, LEGACY)).toBe(false);
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));

    const session = await app.storage.loadSession(`offline_${SHOP}`);
    expect(session!.expires).toBeInstanceOf(Date);
    expect(session!.refreshToken).toBeTruthy();
    expect(shopify.oauth.grants().filter((g) => g.grant === "migration").map((g) => g.ok)).toEqual([true]);
    expect((await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { enrollmentId } })).status).toBe("completed");
  });
});

// Several instances share one database only on PostgreSQL (README); SQLite is for one instance.
if (/^postgres(ql)?:/.test(process.env.DATABASE_URL ?? "")) {
describe("expiring tokens across instances on PostgreSQL", () => {
  it("two worker processes on one PostgreSQL database make exactly one refresh per expiry, and no 401 reaches an item", { timeout: 90_000 }, async () => {
    await world.storeExpiringSession();
    shopify.oauth.clearGrants();
    shopify.clearRequests();
    await Promise.all([startInstance({ MODE: "worker", WORKER_ID: "instance-a" }), startInstance({ MODE: "worker", WORKER_ID: "instance-b" })]);

    const ids: string[] = [];
    const end = Date.now() + 15_000;
    while (Date.now() < end) {
      ids.push(await enrollMember(), await enrollMember());
      await new Promise((r) => setTimeout(r, 250));
    }
    await until(openItems, (open) => open === 0, 30_000);

    const items = await app.prisma.crmSyncQueue.findMany({ where: { enrollmentId: { in: ids } }, include: { attemptsLog: true } });
    expect(items.every((i) => i.status === "completed")).toBe(true);
    expect(new Set(items.flatMap((i) => i.attemptsLog.map((a) => a.workerId)))).toEqual(new Set(["instance-a", "instance-b"]));
    expect(shopify.requests().filter((r) => r.path.includes("/graphql.json") && r.status === 401)).toEqual([]);
    const refreshes = shopify.oauth.grants().filter((g) => g.grant === "refresh_token");
    expect(refreshes.length).toBeGreaterThanOrEqual(4); // 15 s of 5-second tokens renewed 2 s early
    expect(refreshes.every((g) => g.ok)).toBe(true);
    expect(new Set(refreshes.map((g) => g.presented)).size).toBe(refreshes.length);
  });
});
}
