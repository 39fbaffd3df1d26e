// Conformance of the fake Shopify Admin: real schema validation, Shopify's
// error shapes, the leaky bucket, state, and every fault mode as a client sees it.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ADMIN_API_VERSION } from "~/integrations/shopify/api-version";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";

const SHOP = "conformance.myshopify.com";
const TOKEN = "shpat_conformance";
let clock = 1_000_000;
let fake: FakeShopify;

beforeAll(async () => {
  fake = await createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: TOKEN }], now: () => clock });
});
afterAll(() => fake.close());
beforeEach(async () => {
  await fetch(`${fake.url}/__fake/reset`, { method: "POST" });
  fake.setBucket({ bucketSize: 2000, restoreRate: 100 });
});

async function gql(query: string, variables: Record<string, unknown> = {}, token = TOKEN, signal?: AbortSignal) {
  const res = await fetch(`${fake.url}/shops/${SHOP}/admin/api/${ADMIN_API_VERSION}/graphql.json`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": token },
    body: JSON.stringify({ query, variables }),
    signal,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
const json = (r: { text: string }) => JSON.parse(r.text);

describe("fake Shopify Admin: operations valid against the real schema", () => {
  it("creates, finds, tags and reads a customer's $app metafield", async () => {
    const created = json(
      await gql(
        `mutation C($input: CustomerInput!) { customerCreate(input: $input) { customer { id defaultEmailAddress { emailAddress } } userErrors { field message } } }`,
        { input: { email: "Ann@Example.com", firstName: "Ann", lastName: "Lee" } },
      ),
    );
    const id = created.data.customerCreate.customer.id;
    expect(id).toMatch(/^gid:\/\/shopify\/Customer\/\d+$/);
    expect(created.data.customerCreate.customer.defaultEmailAddress.emailAddress).toBe("ann@example.com");

    const dup = json(await gql(`mutation { customerCreate(input: { email: "ann@example.com" }) { customer { id } userErrors { field message } } }`));
    expect(dup.data.customerCreate.userErrors[0].message).toBe("Email has already been taken");

    const byEmail = json(await gql(`query { customers(first: 5, query: "email:ann@example.com") { nodes { id } } }`));
    expect(byEmail.data.customers.nodes).toEqual([{ id }]);
    const byName = json(await gql(`query { customers(first: 5, query: "lee") { nodes { id } } }`));
    expect(byName.data.customers.nodes).toEqual([{ id }]);

    json(await gql(`mutation($id: ID!) { tagsAdd(id: $id, tags: ["club:gold", "vip"]) { userErrors { message } } }`, { id }));
    json(await gql(`mutation($id: ID!) { tagsRemove(id: $id, tags: ["vip"]) { userErrors { message } } }`, { id }));
    const set = json(
      await gql(
        `mutation($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) { metafields { compareDigest } userErrors { code message } } }`,
        { m: [{ ownerId: id, namespace: "$app", key: "membership", type: "json", value: '{"tier":"gold"}', compareDigest: null }] },
      ),
    );
    expect(set.data.metafieldsSet.userErrors).toEqual([]);
    const read = json(await gql(`query($id: ID!) { customer(id: $id) { tags metafield(namespace: "$app", key: "membership") { jsonValue } } }`, { id }));
    expect(read.data.customer).toEqual({ tags: ["club:gold"], metafield: { jsonValue: { tier: "gold" } } });
  });

  it("rejects a stale compareDigest and a 'must not exist' write to an existing metafield", async () => {
    const c = fake.addCustomer(SHOP, { email: "d@example.com" });
    const setOp = `mutation($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) { metafields { compareDigest } userErrors { code } } }`;
    const first = json(await gql(setOp, { m: [{ ownerId: c.id, namespace: "$app", key: "membership", type: "json", value: "{}" }] }));
    const digest = first.data.metafieldsSet.metafields[0].compareDigest;
    json(await gql(setOp, { m: [{ ownerId: c.id, namespace: "$app", key: "membership", type: "json", value: '{"a":1}', compareDigest: digest }] }));
    const stale = json(await gql(setOp, { m: [{ ownerId: c.id, namespace: "$app", key: "membership", type: "json", value: '{"a":2}', compareDigest: digest }] }));
    expect(stale.data.metafieldsSet.userErrors[0].code).toBe("STALE_OBJECT");
    const mustNotExist = json(await gql(setOp, { m: [{ ownerId: c.id, namespace: "$app", key: "membership", type: "json", value: "{}", compareDigest: null }] }));
    expect(mustNotExist.data.metafieldsSet.userErrors[0].code).toBe("STALE_OBJECT");
    expect(fake.appMetafield(SHOP, c.id, "membership")).toEqual({ a: 1 });
  });

  it("creates an automatic app discount for a known function handle and finds it with discountNodes", async () => {
    const create = `mutation($d: DiscountAutomaticAppInput!) { discountAutomaticAppCreate(automaticAppDiscount: $d) { automaticAppDiscount { discountId } userErrors { code message } } }`;
    const bad = json(await gql(create, { d: { title: "X", functionHandle: "nope", discountClasses: ["PRODUCT"], startsAt: "2026-01-01T00:00:00Z" } }));
    expect(bad.data.discountAutomaticAppCreate.userErrors[0].message).toMatch(/nope not found/);
    const ok = json(await gql(create, { d: { title: "Club pricing", functionHandle: "club-tiers-discount", discountClasses: ["PRODUCT"], startsAt: "2026-01-01T00:00:00Z" } }));
    const id = ok.data.discountAutomaticAppCreate.automaticAppDiscount.discountId;
    const found = json(await gql(`query { discountNodes(first: 5, query: "title:'Club pricing'") { nodes { id discount { __typename ... on DiscountAutomaticApp { title } } } } }`));
    expect(found.data.discountNodes.nodes).toEqual([{ id, discount: { __typename: "DiscountAutomaticApp", title: "Club pricing" } }]);
  });
});

describe("fake Shopify Admin: rejects what Shopify rejects", () => {
  it("an unknown field: HTTP 200 with errors and no data", async () => {
    const r = await gql(`query { shop { name noSuchField } }`);
    expect(r.status).toBe(200);
    const body = json(r);
    expect(body.data).toBeUndefined();
    expect(body.errors[0].message).toMatch(/Cannot query field "noSuchField" on type "Shop"/);
    expect(body.errors[0].extensions.code).toBe("undefinedField");
    expect(body.errors[0].locations).toBeDefined();
  });

  it("a variable of the wrong type", async () => {
    const body = json(await gql(`query($id: ID!) { customer(id: $id) { id } }`, { id: { not: "an id" } }));
    expect(body.errors[0].message).toMatch(/Variable "\$id" got invalid value/);
    expect(body.data).toBeUndefined();
  });

  it("a deprecated-but-valid field still works (e.g. Customer.email), a removed mutation does not", async () => {
    fake.addCustomer(SHOP, { email: "e@example.com" });
    expect(json(await gql(`query { customers(first: 1) { nodes { email } } }`)).data.customers.nodes[0].email).toBe("e@example.com");
    expect(json(await gql(`mutation { metafieldDelete(input: { id: "x" }) { deletedId } }`)).errors[0].extensions.code).toBe("undefinedField");
  });

  it("a wrong access token: 401 with Shopify's body", async () => {
    const r = await gql(`query { shop { name } }`, {}, "wrong");
    expect(r.status).toBe(401);
    expect(json(r).errors).toMatch(/Invalid API key or access token/);
  });
});

describe("fake Shopify Admin: leaky bucket", () => {
  it("reports throttleStatus, drains by cost, answers THROTTLED when empty, and refills at the restore rate", async () => {
    fake.setBucket({ bucketSize: 30, restoreRate: 10 });
    const op = `mutation($id: ID!) { tagsAdd(id: $id, tags: ["a"]) { userErrors { message } } }`;
    const c = fake.addCustomer(SHOP, { email: "b@example.com" });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push(json(await gql(op, { id: c.id })).extensions.cost.throttleStatus.currentlyAvailable);
    expect(statuses).toEqual([20, 10, 0]);
    const throttled = json(await gql(op, { id: c.id }));
    expect(throttled.errors[0].extensions.code).toBe("THROTTLED");
    expect(throttled.extensions.cost).toMatchObject({ requestedQueryCost: 10, throttleStatus: { maximumAvailable: 30, currentlyAvailable: 0, restoreRate: 10 } });
    expect(throttled.data).toBeUndefined();
    clock += 1000; // +10 points
    expect(json(await gql(op, { id: c.id })).extensions.cost.throttleStatus.currentlyAvailable).toBe(0);
    clock += 10_000; // refills to the cap, not beyond
    expect(fake.throttleStatus(SHOP).currentlyAvailable).toBe(30);
  });
});

describe("fake Shopify Admin: faults as a client sees them", () => {
  const shop = `query { shop { name } }`;

  it("500, 429 with Retry-After, 401 and a malformed body, each for N requests", async () => {
    fake.faults.add({ mode: "500", times: 1 });
    fake.faults.add({ mode: "429", times: 1, retryAfter: 7 });
    fake.faults.add({ mode: "401", times: 1 });
    fake.faults.add({ mode: "malformed", times: 1 });
    expect((await gql(shop)).status).toBe(500);
    const r429 = await gql(shop);
    expect([r429.status, r429.headers.get("retry-after")]).toEqual([429, "7"]);
    expect((await gql(shop)).status).toBe(401);
    const bad = await gql(shop);
    expect(bad.status).toBe(200);
    expect(() => JSON.parse(bad.text)).toThrow();
    expect((await gql(shop)).status).toBe(200);
  });

  it("down (reset) until cleared, and slow beyond the client's timeout", async () => {
    fake.faults.add({ mode: "down" });
    await expect(gql(shop)).rejects.toThrow();
    await expect(gql(shop)).rejects.toThrow();
    fake.faults.clear();
    expect((await gql(shop)).status).toBe(200);
    fake.faults.add({ mode: "slow", delayMs: 500, times: 1 });
    await expect(gql(shop, {}, TOKEN, AbortSignal.timeout(100))).rejects.toThrow(/aborted|timeout/i);
  });

  it("stop() refuses connections; start() serves again on the same port", async () => {
    await fake.stop();
    await expect(gql(shop)).rejects.toThrow(/fetch failed/);
    await fake.start();
    expect((await gql(shop)).status).toBe(200);
  });

  it("faults and the request log are controllable over HTTP", async () => {
    await fetch(`${fake.url}/__fake/faults`, { method: "POST", body: JSON.stringify({ mode: "500", times: 2, match: "Named" }) });
    expect((await gql(`query Named { shop { name } }`)).status).toBe(500);
    expect((await gql(`query Other { shop { name } }`)).status).toBe(200);
    const log = (await (await fetch(`${fake.url}/__fake/requests`)).json()).requests;
    expect(log.map((r: { operationName: string; status: number }) => [r.operationName, r.status])).toEqual([
      ["Named", 500],
      ["Other", 200],
    ]);
    await fetch(`${fake.url}/__fake/faults`, { method: "DELETE" });
    expect((await gql(`query Named { shop { name } }`)).status).toBe(200);
  });
});
