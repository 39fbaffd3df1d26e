// The Commerce7 integration against the fake: memberships converge (add,
// upgrade, cancel), idempotently; an interrupted upgrade is finished by the
// retry; every fault is classified with its text kept.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { setCommerce7Credentials } from "~/domain/shops.server";
import { Commerce7Client } from "~/integrations/commerce7/client.server";
import { findOrCreateCustomer } from "~/integrations/commerce7/customers.server";
import { convergeCommerce7Member } from "~/integrations/commerce7/processors.server";
import { SyncError } from "~/queue/errors";
import { createFakeCommerce7, type FakeCommerce7 } from "../../sandbox/fakes/commerce7";

const SHOP = "c7sync.myshopify.com";
const TENANT = { tenantId: "napa", appId: "app-1", appSecret: "s3cret" };
let fake: FakeCommerce7;
let clubs: { silver: string; gold: string };

beforeAll(async () => {
  fake = await createFakeCommerce7({ tenants: [TENANT] });
  clubs = { silver: fake.addClub("napa", { title: "Silver" }).id, gold: fake.addClub("napa", { title: "Gold" }).id };
});
afterAll(() => fake.close());
beforeEach(async () => {
  await fetch(`${fake.url}/__fake/reset`, { method: "POST" });
  await prisma.enrollment.deleteMany({});
  await prisma.customer.deleteMany({});
  await prisma.tier.deleteMany({});
  await setCommerce7Credentials(prisma, SHOP, { tenant: TENANT.tenantId, appId: TENANT.appId, appSecret: TENANT.appSecret });
  await prisma.shop.update({ where: { domain: SHOP }, data: { crm: "commerce7" } });
});

const clientOptions = () => ({ baseUrl: `${fake.url}/v1`, timeoutMs: 300 });
const run = (customerId: string) =>
  convergeCommerce7Member({ db: prisma, shop: { domain: SHOP }, item: { id: "q", customerId }, clientOptions: clientOptions() });

async function seed(withAddress = true) {
  const silver = await prisma.tier.create({ data: { shop: SHOP, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 0, initialPurchaseCents: 0, durationMonths: 12, c7ClubId: clubs.silver } });
  const gold = await prisma.tier.create({ data: { shop: SHOP, name: "Gold", handle: "gold", rank: 2, annualThresholdCents: 0, initialPurchaseCents: 0, durationMonths: 12, c7ClubId: clubs.gold } });
  const remote = fake.addCustomer("napa", { email: "w@example.com", firstName: "Wine", withAddress });
  const customer = await prisma.customer.create({ data: { shop: SHOP, email: "w@example.com", commerce7CustomerId: remote.id } });
  return { silver, gold, remote, customer };
}

const active = (customerId: string) => fake.memberships("napa", customerId).filter((m) => m.status === "Active");

describe("Commerce7 club memberships", () => {
  it("add creates one membership and stores its id; running it twice changes nothing", async () => {
    const { silver, remote, customer } = await seed();
    const e = await prisma.enrollment.create({ data: { shop: SHOP, customerId: customer.id, tierId: silver.id, expiresAt: new Date(Date.now() + 1e10) } });
    const first = await run(customer.id);
    const m = active(remote.id);
    expect(m.map((x) => x.clubId)).toEqual([clubs.silver]);
    expect(first.result).toMatchObject({ membershipId: m[0]!.id, created: true });
    expect((await prisma.enrollment.findUniqueOrThrow({ where: { id: e.id } })).platformMembershipId).toBe(m[0]!.id);

    const posts = () => fake.requests().filter((r) => r.method !== "GET").length;
    const before = posts();
    await run(customer.id);
    expect(posts()).toBe(before);
    expect(fake.memberships("napa", remote.id)).toHaveLength(1);
  });

  it("upgrade creates the new membership before cancelling the old one ('Switching to another club')", async () => {
    const { silver, gold, remote, customer } = await seed();
    const e = await prisma.enrollment.create({ data: { shop: SHOP, customerId: customer.id, tierId: silver.id, expiresAt: new Date(Date.now() + 1e10) } });
    await run(customer.id);
    await prisma.enrollment.update({ where: { id: e.id }, data: { status: "upgraded" } });
    await prisma.enrollment.create({ data: { shop: SHOP, customerId: customer.id, tierId: gold.id, expiresAt: new Date(Date.now() + 1e10) } });
    fake.clearRequests();
    await run(customer.id);
    const writes = fake.requests().filter((r) => r.method !== "GET").map((r) => r.method);
    expect(writes).toEqual(["POST", "PUT"]);
    expect(active(remote.id).map((m) => m.clubId)).toEqual([clubs.gold]);
    const old = fake.memberships("napa", remote.id).find((m) => m.clubId === clubs.silver)!;
    expect(old).toMatchObject({ status: "Cancelled", cancellationReason: "Switching to another club" });
  });

  it("an upgrade interrupted after the create is completed by the retry; the member is never without a membership", async () => {
    const { silver, gold, remote, customer } = await seed();
    const e = await prisma.enrollment.create({ data: { shop: SHOP, customerId: customer.id, tierId: silver.id, expiresAt: new Date(Date.now() + 1e10) } });
    await run(customer.id);
    await prisma.enrollment.update({ where: { id: e.id }, data: { status: "upgraded" } });
    await prisma.enrollment.create({ data: { shop: SHOP, customerId: customer.id, tierId: gold.id, expiresAt: new Date(Date.now() + 1e10) } });

    fake.faults.add({ mode: "500", match: "/club-membership/", times: 1 }); // the cancel (PUT) fails
    await expect(run(customer.id)).rejects.toMatchObject({ kind: "retryable", httpStatus: 500 });
    expect(active(remote.id).map((m) => m.clubId).sort()).toEqual([clubs.gold, clubs.silver].sort()); // two, never zero

    await run(customer.id); // the retry
    expect(active(remote.id).map((m) => m.clubId)).toEqual([clubs.gold]);
    expect(fake.memberships("napa", remote.id).filter((m) => m.clubId === clubs.gold)).toHaveLength(1);
  });

  it("cancel cancels the stored membership; an already cancelled or missing one counts as success", async () => {
    const { silver, remote, customer } = await seed();
    const e = await prisma.enrollment.create({ data: { shop: SHOP, customerId: customer.id, tierId: silver.id, expiresAt: new Date(Date.now() + 1e10) } });
    await run(customer.id);
    await prisma.enrollment.update({ where: { id: e.id }, data: { status: "cancelled" } });
    await run(customer.id);
    expect(active(remote.id)).toEqual([]);
    expect(fake.memberships("napa", remote.id)[0]).toMatchObject({ status: "Cancelled", cancellationReason: "Other" });
    await expect(run(customer.id)).resolves.toMatchObject({ result: { membershipId: null, cancelled: [] } });
  });

  it("a customer without an address fails permanently with a message a merchant understands", async () => {
    const { silver, customer } = await seed(false);
    await prisma.enrollment.create({ data: { shop: SHOP, customerId: customer.id, tierId: silver.id, expiresAt: new Date(Date.now() + 1e10) } });
    await expect(run(customer.id)).rejects.toMatchObject({ kind: "permanent", message: expect.stringMatching(/no address in Commerce7/) });
  });

  it("finds the customer by email or creates it, once", async () => {
    const client = new Commerce7Client({ tenant: "napa", appId: TENANT.appId, appSecret: TENANT.appSecret }, clientOptions());
    const a = await findOrCreateCustomer(client, { email: "New@Example.com", firstName: "N", lastName: "C" });
    const b = await findOrCreateCustomer(client, { email: "new@example.com", firstName: "N", lastName: "C" });
    expect(b.platformId).toBe(a.platformId);
    expect([...fake.tenant("napa").customers.values()].filter((c) => c.emails[0]!.email === "new@example.com")).toHaveLength(1);
  });
});

describe("Commerce7 errors, classified for the queue", () => {
  const client = () => new Commerce7Client({ tenant: "napa", appId: TENANT.appId, appSecret: TENANT.appSecret }, clientOptions());
  const kindOf = async (fault: Parameters<FakeCommerce7["faults"]["add"]>[0] | null, c = client()) => {
    if (fault) fake.faults.add(fault);
    try {
      await c.request("GET", "/club", (await import("zod")).z.unknown());
      return "ok";
    } catch (e) {
      expect(e).toBeInstanceOf(SyncError);
      const s = e as SyncError;
      return [s.kind, s.httpStatus, s.retryAfterMs].filter((x) => x !== undefined).join(":");
    } finally {
      fake.faults.clear();
    }
  };

  it("maps every fault mode", async () => {
    expect(await kindOf({ mode: "down" })).toBe("retryable");
    expect(await kindOf({ mode: "500" })).toBe("retryable:500");
    expect(await kindOf({ mode: "429", retryAfter: 120 })).toBe("throttled:429:120000");
    expect(await kindOf({ mode: "slow", delayMs: 1000 })).toBe("retryable");
    expect(await kindOf({ mode: "malformed" })).toBe("retryable:200");
    expect(await kindOf({ mode: "401" })).toBe("auth:401");
    expect(await kindOf(null, new Commerce7Client({ tenant: "napa", appId: TENANT.appId, appSecret: "wrong" }, clientOptions()))).toBe("auth:401");
    expect(await kindOf(null)).toBe("ok");
  });

  it("a dropped connection reads as words a merchant can act on, the low-level code kept in brackets", async () => {
    fake.faults.add({ mode: "down" });
    try {
      await expect(client().request("GET", "/club", (await import("zod")).z.unknown())).rejects.toThrow(/^Commerce7 GET \/club: Commerce7 dropped the connection before answering \((UND_ERR_SOCKET|ECONNRESET)\)$/);
    } finally {
      fake.faults.clear();
    }
  });

  it("400/404/422 are permanent with Commerce7's message", async () => {
    const c = client();
    const z = (await import("zod")).z;
    await expect(c.request("GET", "/club-membership/missing", z.unknown())).rejects.toMatchObject({ kind: "permanent", httpStatus: 404, message: expect.stringMatching(/Club membership not found/) });
    await expect(c.request("POST", "/club-membership", z.unknown(), { body: {} })).rejects.toMatchObject({ kind: "permanent", httpStatus: 422, message: expect.stringMatching(/Customer not found/) });
  });

  it("auth errors say to check the credentials, and a shop without credentials says to connect", async () => {
    fake.faults.add({ mode: "401", times: 1 });
    await expect(client().request("GET", "/club", (await import("zod")).z.unknown())).rejects.toThrow(/check the tenant, app id and app secret/);
    const orphan = await prisma.customer.create({ data: { shop: "unconnected.myshopify.com", email: "o@example.com" } });
    await expect(
      convergeCommerce7Member({ db: prisma, shop: { domain: "unconnected.myshopify.com" }, item: { id: "q", customerId: orphan.id }, clientOptions: clientOptions() }),
    ).rejects.toMatchObject({ kind: "auth", message: expect.stringMatching(/Commerce7 is not connected/) });
  });
});
