// Conformance of the fake Shopify's token endpoint, as a client sees it over
// HTTP: expiring tokens, refresh-token rotation with the previous token usable
// until its replacement is first used, migration of a non-expiring token
// (retryable for 7 days), client authentication, and Admin's 401 for a token
// that expired or was migrated away.
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ADMIN_API_VERSION } from "~/integrations/shopify/api-version";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";

const SHOP = "oauth.myshopify.com";
const LEGACY = "shpat_legacy_oauth";
const CLIENT = { client_id: "fake-key", client_secret: "fake-secret" };
let clock = 1_000_000;
let fake: FakeShopify;

beforeAll(async () => {
  fake = await createFakeShopifyAdmin({
    shops: [{ domain: SHOP, accessToken: LEGACY }],
    now: () => clock,
    oauth: { apiKey: CLIENT.client_id, apiSecret: CLIENT.client_secret, tokenLifetimeMs: 5_000 },
  });
});
afterAll(() => fake.close());
beforeEach(() => fake.oauth.clearGrants());

async function token(body: Record<string, string>) {
  const res = await fetch(`${fake.url}/shops/${SHOP}/admin/oauth/access_token`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ ...CLIENT, ...body }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string | number> };
}

async function adminStatus(accessToken: string) {
  const res = await fetch(`${fake.url}/shops/${SHOP}/admin/api/${ADMIN_API_VERSION}/graphql.json`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": accessToken },
    body: JSON.stringify({ query: "{ shop { name } }" }),
  });
  return res.status;
}

const migrate = (subject: string) =>
  token({
    grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
    subject_token: subject,
    subject_token_type: "urn:shopify:params:oauth:token-type:offline-access-token",
    requested_token_type: "urn:shopify:params:oauth:token-type:offline-access-token",
    expiring: "1",
  });

describe("fake Shopify token endpoint", () => {
  it("migrates a non-expiring token once, refuses it at Admin afterwards, and accepts a repeat exchange for 7 days", async () => {
    expect(await adminStatus(LEGACY)).toBe(200);
    const first = await migrate(LEGACY);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ expires_in: 5, access_token: expect.stringMatching(/^shpat_/), refresh_token: expect.stringMatching(/^shprt_/) });
    expect(await adminStatus(LEGACY)).toBe(401);
    expect(await adminStatus(String(first.body.access_token))).toBe(200);

    clock += 6 * 24 * 3600_000; // the answer was lost; six days later it is retried
    const again = await migrate(LEGACY);
    expect(again.status).toBe(200);
    clock += 2 * 24 * 3600_000;
    expect((await migrate(LEGACY)).body).toMatchObject({ error: "invalid_subject_token" });
  });

  it("rotates refresh tokens; the presented one stays usable until its replacement is first used", async () => {
    const pair = fake.oauth.issue(SHOP);
    const r1 = await token({ grant_type: "refresh_token", refresh_token: pair.refreshToken });
    expect(r1.status).toBe(200);
    // Lost answer: the same refresh token again works, because r1's was never used.
    const r2 = await token({ grant_type: "refresh_token", refresh_token: pair.refreshToken });
    expect(r2.status).toBe(200);
    expect(r2.body.refresh_token).not.toBe(r1.body.refresh_token);
    // Using r2's replaces the chain: the first one is now refused.
    expect((await token({ grant_type: "refresh_token", refresh_token: String(r2.body.refresh_token) })).status).toBe(200);
    expect(await token({ grant_type: "refresh_token", refresh_token: pair.refreshToken })).toEqual({
      status: 400,
      body: { error: "invalid_grant", error_description: expect.any(String) },
    });
    expect(fake.oauth.grants().map((g) => g.ok)).toEqual([true, true, true, false]);
  });

  it("expires access tokens, refuses a revoked refresh token, and authenticates the client", async () => {
    const pair = fake.oauth.issue(SHOP);
    expect(await adminStatus(pair.accessToken)).toBe(200);
    clock += 5_001;
    expect(await adminStatus(pair.accessToken)).toBe(401);

    fake.oauth.revokeRefreshToken(SHOP);
    expect((await token({ grant_type: "refresh_token", refresh_token: pair.refreshToken })).body.error).toBe("invalid_grant");
    expect((await token({ grant_type: "refresh_token", refresh_token: pair.refreshToken, client_secret: "wrong" })).status).toBe(401);
  });

  it("exchanges a session token signed with the app secret for this shop, and nothing else", async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const sign = (claims: Record<string, unknown>, secret = CLIENT.client_secret) => {
      const head = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`;
      return `${head}.${createHmac("sha256", secret).update(head).digest("base64url")}`;
    };
    const claims = { dest: `https://${SHOP}`, aud: CLIENT.client_id, exp: Math.floor(clock / 1000) + 60 };
    const exchange = (subject: string) =>
      token({
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
        subject_token: subject,
        subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
        requested_token_type: "urn:shopify:params:oauth:token-type:offline-access-token",
        expiring: "1",
      });
    const ok = await exchange(sign(claims));
    expect(ok.status).toBe(200);
    expect(ok.body.refresh_token).toBeTruthy();
    expect((await exchange(sign(claims, "not-the-secret"))).body.error).toBe("invalid_subject_token");
    expect((await exchange(sign({ ...claims, dest: "https://other.myshopify.com" }))).body.error).toBe("invalid_subject_token");
  });
});
