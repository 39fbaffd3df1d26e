// Conformance of the fake Commerce7: auth per tenant, memberships, validation, faults.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeCommerce7, type FakeCommerce7 } from "../../sandbox/fakes/commerce7";

let fake: FakeCommerce7;
const A = { tenantId: "napa", appId: "app-a", appSecret: "secret-a" };
const B = { tenantId: "sonoma", appId: "app-b", appSecret: "secret-b" };

beforeAll(async () => {
  fake = await createFakeCommerce7({ tenants: [A, B] });
});
afterAll(() => fake.close());

function call(method: string, path: string, body?: unknown, creds = A, tenant = creds.tenantId) {
  return fetch(`${fake.url}/v1${path}`, {
    method,
    headers: {
      Authorization: `Basic ${Buffer.from(`${creds.appId}:${creds.appSecret}`).toString("base64")}`,
      tenant,
      "Content-Type": "application/json",
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe("fake Commerce7", () => {
  it("rejects a wrong tenant or a wrong secret with 401", async () => {
    expect((await call("GET", "/club", undefined, A, "nope")).status).toBe(401);
    expect((await call("GET", "/club", undefined, { ...A, appSecret: "wrong" })).status).toBe(401);
    const res = await call("GET", "/club", undefined, B, A.tenantId);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ statusCode: 401, type: "unauthorized" });
  });

  it("creates, lists and cancels club memberships, validating required fields", async () => {
    const club = fake.addClub(A.tenantId, { title: "Gold" });
    const c = fake.addCustomer(A.tenantId, { email: "m@example.com", firstName: "M", withAddress: true });
    const addressId = [...fake.tenant(A.tenantId).addresses.values()].find((a) => a.customerId === c.id)!.id;

    const invalid = await call("POST", "/club-membership", { customerId: c.id, clubId: club.id, orderDeliveryMethod: "Ship" });
    expect(invalid.status).toBe(422);
    expect((await invalid.json()).message).toMatch(/billing address/);

    const created = await call("POST", "/club-membership", {
      customerId: c.id,
      clubId: club.id,
      orderDeliveryMethod: "Ship",
      billToCustomerAddressId: addressId,
      shipToCustomerAddressId: addressId,
    });
    expect(created.status).toBe(200);
    const m = await created.json();
    expect(m).toMatchObject({ status: "Active", clubId: club.id, customerId: c.id });

    const list = await (await call("GET", `/club-membership?customerId=${c.id}`)).json();
    expect(list).toMatchObject({ total: 1, clubMemberships: [{ id: m.id }] });

    const noReason = await call("PUT", `/club-membership/${m.id}`, { cancelDate: new Date().toISOString() });
    expect(noReason.status).toBe(422);
    const cancelled = await (await call("PUT", `/club-membership/${m.id}`, { cancelDate: "2026-11-24T00:00:00Z", cancellationReason: "Other" })).json();
    expect(cancelled).toMatchObject({ status: "Cancelled", cancellationReason: "Other" });
    expect((await call("GET", "/club-membership/does-not-exist")).status).toBe(404);
  });

  it("keeps tenants apart", async () => {
    const c = fake.addCustomer(A.tenantId, { email: "only-a@example.com" });
    expect((await call("GET", `/customer/${c.id}`, undefined, B)).status).toBe(404);
    const found = await (await call("GET", "/customer?q=only-a", undefined, B)).json();
    expect(found.customers).toEqual([]);
  });

  it("injects faults a client can observe", async () => {
    fake.faults.add({ mode: "429", retryAfter: 120, times: 1 });
    const r = await call("GET", "/club");
    expect([r.status, r.headers.get("retry-after")]).toEqual([429, "120"]);
    fake.faults.add({ mode: "500", times: 1 });
    expect((await call("GET", "/club")).status).toBe(500);
    fake.faults.add({ mode: "malformed", times: 1 });
    await expect((await call("GET", "/club")).json()).rejects.toThrow();
    fake.faults.add({ mode: "down", times: 1 });
    await expect(call("GET", "/club")).rejects.toThrow(/fetch failed/);
    expect((await call("GET", "/club")).status).toBe(200);
    expect(fake.requests().slice(-5).map((q) => q.status)).toEqual([429, 500, 200, -1, 200]);
  });
});
