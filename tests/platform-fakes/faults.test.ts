// The fakes' unkind edges, as a client sees them over real HTTP and SMTP:
// a fault POST replaces the one in force (unless `add: true`), faults target
// a path, an operation or a method, the `ghost` fault applies the request and
// loses the reply, Shopify's search lags behind writes, and the SMTP server's
// faults are set over HTTP like the others.
import nodemailer from "nodemailer";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ADMIN_API_VERSION } from "~/integrations/shopify/api-version";
import { createFakeCommerce7, type FakeCommerce7 } from "../../sandbox/fakes/commerce7";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";
import { createFakeSmtp, type FakeSmtp } from "../../sandbox/fakes/smtp";

const SHOP = "unkind.myshopify.com";
const TOKEN = "shpat_unkind";
const TENANT = { tenantId: "unkind", appId: "app", appSecret: "secret" };
let clock = 5_000_000;
let shopify: FakeShopify;
let c7: FakeCommerce7;
let smtp: FakeSmtp;

beforeAll(async () => {
  [shopify, c7, smtp] = await Promise.all([
    createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: TOKEN }], now: () => clock }),
    createFakeCommerce7({ tenants: [TENANT] }),
    createFakeSmtp(),
  ]);
});
afterAll(() => Promise.all([shopify.close(), c7.close(), smtp.close()]));
beforeEach(async () => {
  await Promise.all([shopify, c7].map((f) => fetch(`${f.url}/__fake/reset`, { method: "POST" })));
  await fetch(`${smtp.controlUrl}/__fake/reset`, { method: "POST" });
});

async function gql(query: string, variables: Record<string, unknown> = {}, signal?: AbortSignal) {
  const res = await fetch(`${shopify.url}/shops/${SHOP}/admin/api/${ADMIN_API_VERSION}/graphql.json`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": TOKEN },
    body: JSON.stringify({ query, variables }),
    signal,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}
const postFaults = (url: string, body: unknown) => fetch(`${url}/__fake/faults`, { method: "POST", body: JSON.stringify(body) });
const SHOP_QUERY = `query Named { shop { name } }`;
const CREATE = `mutation ClubCustomerCreate($input: CustomerInput!) { customerCreate(input: $input) { customer { id } userErrors { message } } }`;
const SEARCH = `query ClubCustomerSearch($q: String!) { customers(first: 5, query: $q) { nodes { id } } }`;

describe("fault injection over HTTP", () => {
  it("a POST replaces the fault in force; `add: true` appends; DELETE clears", async () => {
    await postFaults(shopify.url, { mode: "401" });
    await postFaults(shopify.url, { mode: "500" });
    expect((await gql(SHOP_QUERY)).status).toBe(500);
    expect((await (await fetch(`${shopify.url}/__fake/faults`)).json()).faults).toEqual([{ mode: "500" }]);

    await postFaults(shopify.url, { mode: "429", retryAfter: 3, times: 1 });
    await postFaults(shopify.url, { mode: "401", times: 1, add: true });
    expect((await gql(SHOP_QUERY)).status).toBe(429);
    expect((await gql(SHOP_QUERY)).status).toBe(401);
    expect((await gql(SHOP_QUERY)).status).toBe(200);

    await postFaults(shopify.url, { faults: [{ mode: "500", times: 1 }, { mode: "401", times: 1 }] });
    expect([(await gql(SHOP_QUERY)).status, (await gql(SHOP_QUERY)).status]).toEqual([500, 401]);
    await postFaults(shopify.url, { mode: "down" });
    await fetch(`${shopify.url}/__fake/faults`, { method: "DELETE" });
    expect((await gql(SHOP_QUERY)).status).toBe(200);
  });

  it("an unknown mode or a body that is not JSON is refused with 400 and changes nothing", async () => {
    await postFaults(shopify.url, { mode: "500" });
    const typo = await postFaults(shopify.url, { mode: "dwon" });
    expect(typo.status).toBe(400);
    expect((await typo.json()).message).toMatch(/unknown fault mode "dwon"; one of down, 500/);
    const garbage = await fetch(`${shopify.url}/__fake/faults`, { method: "POST", body: "{mode:" });
    expect(garbage.status).toBe(400);
    expect((await postFaults(shopify.url, { mode: "slow", delayMs: -1 })).status).toBe(400);
    expect((await gql(SHOP_QUERY)).status).toBe(500);
  });

  it("a fault targets a path, an operation name or a method", async () => {
    // By path on Shopify (an endpoint that is not GraphQL, like the OAuth token one).
    await postFaults(shopify.url, { mode: "500", match: "/admin/oauth/access_token" });
    expect((await fetch(`${shopify.url}/admin/oauth/access_token`, { method: "POST" })).status).toBe(500);
    expect((await gql(SHOP_QUERY)).status).toBe(200);
    // By operation name.
    await postFaults(shopify.url, { mode: "500", match: "ClubCustomerSearch" });
    expect((await gql(SHOP_QUERY)).status).toBe(200);
    expect((await gql(SEARCH, { q: "x" })).status).toBe(500);
    // By method and path on Commerce7: the membership create, not the list.
    await postFaults(c7.url, { mode: "500", match: "/v1/club-membership", method: "POST" });
    const auth = { Authorization: `Basic ${Buffer.from("app:secret").toString("base64")}`, tenant: TENANT.tenantId };
    expect((await fetch(`${c7.url}/v1/club-membership`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${c7.url}/v1/club-membership`, { method: "POST", headers: auth, body: "{}" })).status).toBe(500);
  });
});

describe("the ghost fault: applied, then the reply is lost", () => {
  it("drop: the customer is created, the client sees the connection reset", async () => {
    await postFaults(shopify.url, { mode: "ghost", match: "ClubCustomerCreate", times: 1 });
    await expect(gql(CREATE, { input: { email: "ghost@example.com" } })).rejects.toThrow(/fetch failed/);
    const created = [...shopify.shop(SHOP).customers.values()].filter((c) => c.email === "ghost@example.com");
    expect(created).toHaveLength(1);
    const log = shopify.requests().filter((r) => r.operationName === "ClubCustomerCreate");
    expect(log.map((r) => [r.fault, r.status])).toEqual([["ghost", 200]]);
    // The fault was for one request: the retry is answered (and refused as a duplicate).
    const retry = await gql(CREATE, { input: { email: "ghost@example.com" } });
    expect(retry.body.data.customerCreate.userErrors).toEqual([{ message: "Email has already been taken" }]);
  });

  it("late: the answer comes after the client's timeout; the write has happened", async () => {
    await postFaults(c7.url, { mode: "ghost", lose: "late", delayMs: 2_000, match: "/v1/customer", method: "POST", times: 1 });
    const auth = { Authorization: `Basic ${Buffer.from("app:secret").toString("base64")}`, tenant: TENANT.tenantId };
    const call = fetch(`${c7.url}/v1/customer`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({ firstName: "Late", emails: [{ email: "late@example.com" }] }),
      signal: AbortSignal.timeout(200),
    });
    await expect(call).rejects.toThrow(/timeout|aborted/i);
    expect([...c7.tenant(TENANT.tenantId).customers.values()].map((c) => c.emails[0]!.email)).toEqual(["late@example.com"]);
  });
});

describe("Shopify search lags behind writes", () => {
  it("a created or re-tagged customer shows in search only after the lag; reads by id and customerSet's email lookup do not lag", async () => {
    expect((await (await fetch(`${shopify.url}/__fake/search-lag`, { method: "POST", body: JSON.stringify({ ms: 2_000 }) })).json()).ms).toBe(2_000);
    expect((await fetch(`${shopify.url}/__fake/search-lag`, { method: "POST", body: JSON.stringify({ ms: "soon" }) })).status).toBe(400);
    const created = await gql(CREATE, { input: { email: "lag@example.com", firstName: "Lag" } });
    const id = created.body.data.customerCreate.customer.id;
    expect((await gql(SEARCH, { q: "email:lag@example.com" })).body.data.customers.nodes).toEqual([]);
    expect((await gql(`query($id: ID!) { customer(id: $id) { id } }`, { id })).body.data.customer).toEqual({ id });

    // customerSet upserts by the unique email: it finds the customer search cannot see yet.
    const set = await gql(
      `mutation ClubCustomerSet($identifier: CustomerSetIdentifiers, $input: CustomerSetInput!) {
        customerSet(identifier: $identifier, input: $input) { customer { id firstName } userErrors { field message code } }
      }`,
      { identifier: { email: "lag@example.com" }, input: { email: "lag@example.com", lastName: "Behind" } },
    );
    expect(set.body.data.customerSet).toEqual({ customer: { id, firstName: "Lag" }, userErrors: [] });
    expect(shopify.shop(SHOP).customers.size).toBe(1);

    clock += 1_999;
    expect((await gql(SEARCH, { q: "email:lag@example.com" })).body.data.customers.nodes).toEqual([]);
    clock += 1;
    expect((await gql(SEARCH, { q: "email:lag@example.com" })).body.data.customers.nodes).toEqual([{ id }]);

    // A change is searchable only after the lag too; until then search sees the old state.
    await gql(`mutation($id: ID!) { tagsAdd(id: $id, tags: ["club:gold"]) { userErrors { message } } }`, { id });
    expect((await gql(SEARCH, { q: "tag:club:gold" })).body.data.customers.nodes).toEqual([]);
    clock += 2_000;
    expect((await gql(SEARCH, { q: "tag:club:gold" })).body.data.customers.nodes).toEqual([{ id }]);
  });

  it("customerSet refuses a mismatched or missing email and a taken one, as documented", async () => {
    const set = (identifier: unknown, input: unknown) =>
      gql(`mutation($identifier: CustomerSetIdentifiers, $input: CustomerSetInput!) { customerSet(identifier: $identifier, input: $input) { customer { id } userErrors { code } } }`, {
        identifier,
        input,
      });
    expect((await set({ email: "a@example.com" }, { email: "b@example.com" })).body.data.customerSet.userErrors).toEqual([{ code: "INPUT_MISMATCH" }]);
    expect((await set({ email: "a@example.com" }, { firstName: "A" })).body.data.customerSet.userErrors).toEqual([{ code: "MISSING_FIELD_REQUIRED" }]);
    expect((await set({ id: "gid://shopify/Customer/1" }, { firstName: "A" })).body.data.customerSet.userErrors).toEqual([{ code: "NOT_FOUND" }]);
    expect((await set(null, { email: "a@example.com" })).body.data.customerSet.userErrors).toEqual([]);
    expect((await set(null, { email: "a@example.com" })).body.data.customerSet.userErrors).toEqual([{ code: "TAKEN" }]);
    // @oneOf: two identifiers at once are refused by the schema itself.
    const both = await set({ email: "a@example.com", id: "gid://shopify/Customer/1" }, { email: "a@example.com" });
    expect(both.body.errors?.[0]?.message).toMatch(/exactly one key/i);
  });
});

describe("SMTP faults over HTTP", () => {
  const send = (timeoutMs = 5_000) =>
    nodemailer
      .createTransport({ url: smtp.url, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs })
      .sendMail({ from: "a@example.com", to: "owner@example.com", subject: "hello", text: "body" });

  it("down refuses connections until cleared; 4xx and 5xx refuse the recipient; slow answers late", async () => {
    expect((await postFaults(smtp.controlUrl, { mode: "down" })).status).toBe(200);
    await expect(send()).rejects.toMatchObject({ code: expect.stringMatching(/ECONNREFUSED|ESOCKET|ECONNECTION/) });
    await fetch(`${smtp.controlUrl}/__fake/faults`, { method: "DELETE" });
    await send();

    await postFaults(smtp.controlUrl, { mode: "4xx", times: 1 });
    await expect(send()).rejects.toMatchObject({ responseCode: 451 });
    await postFaults(smtp.controlUrl, { mode: "5xx", times: 1 });
    await expect(send()).rejects.toMatchObject({ responseCode: 550 });
    await postFaults(smtp.controlUrl, { mode: "slow", delayMs: 1_500, times: 1 });
    await expect(send(500)).rejects.toMatchObject({ code: "ETIMEDOUT" });

    await postFaults(smtp.controlUrl, { mode: "down" });
    await postFaults(smtp.controlUrl, { mode: "4xx" }); // replaces `down`: the server listens again
    await expect(send()).rejects.toMatchObject({ responseCode: 451 });
    expect((await postFaults(smtp.controlUrl, { mode: "500" })).status).toBe(400);

    await fetch(`${smtp.controlUrl}/__fake/faults`, { method: "DELETE" });
    await send();
    // Two sent normally, and the slow one, which the server kept although the client gave up on it.
    const subjects = async () => (await (await fetch(`${smtp.controlUrl}/__fake/messages`)).json()).messages.map((m: { subject: string }) => m.subject);
    await expect.poll(subjects, { timeout: 3_000 }).toEqual(["hello", "hello", "hello"]);
  });
});
