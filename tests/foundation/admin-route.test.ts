// Admin routes through Shopify's real authentication: a session token signed
// with the app secret, and a stored offline session, so authenticate.admin does
// no token exchange and no network call.
import { RequestType, TEST_SHOP, setUpValidRequest, API_KEY, API_SECRET_KEY } from "@shopify/shopify-api/test-helpers";
import { Session } from "@shopify/shopify-api";
import { describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { env } from "~/env.server";
import { loader as homeLoader } from "~/routes/app._index";
import { loader as healthLoader } from "~/routes/health";
import { sessionStorage } from "~/shopify.server";
import { baseProvider } from "../support/databases";

async function storeOfflineSession(shop = TEST_SHOP) {
  const session = new Session({ id: `offline_${shop}`, shop, state: "state", isOnline: false });
  session.accessToken = "shpat_test_token";
  session.scope = env.SCOPES;
  await sessionStorage.storeSession(session);
}

async function adminRequest(path: string) {
  return setUpValidRequest(
    { type: RequestType.Admin, store: TEST_SHOP.replace(".myshopify.com", ""), apiKey: API_KEY, apiSecretKey: API_SECRET_KEY },
    new Request(`${env.SHOPIFY_APP_URL}${path}`),
  );
}

const args = (request: Request) => ({ request, params: {}, context: {} });

describe("admin routes", () => {
  it("render with a valid session token and stored offline session", async () => {
    await storeOfflineSession();
    await prisma.tier.create({
      data: { shop: TEST_SHOP, name: "Gold", handle: "gold", rank: 1, annualThresholdCents: 0, initialPurchaseCents: 0, durationMonths: 12 },
    });
    const data = await homeLoader(args(await adminRequest("/app")));
    expect(data).toMatchObject({ shop: TEST_SHOP, activeByTier: [{ name: "Gold", members: 0 }], activeTotal: 0, queue: { pending: 0, failed: 0 } });
  });

  it("reject a session token signed with another secret", async () => {
    await storeOfflineSession();
    const request = await setUpValidRequest(
      { type: RequestType.Admin, store: "test-shop", apiKey: API_KEY, apiSecretKey: "not-the-secret" },
      new Request(`${env.SHOPIFY_APP_URL}/app`),
    );
    const outcome = await homeLoader(args(request)).catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(Response);
    expect([302, 401]).toContain((outcome as Response).status);
  });
});

describe("health route", () => {
  it("answers 200 after a real database query", async () => {
    const res = await healthLoader();
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", db: "ok" });
  });
});

describe("health route with the database down", () => {
  it("answers 503 when the database is unreachable (a real process)", async () => {
    // The generated client is provider-specific, so break the database the
    // provider's own way: a closed port, or a file that cannot be created.
    const unreachable =
      baseProvider() === "postgresql" ? "postgresql://nobody@127.0.0.1:1/none" : "file:/proc/no-such-dir/club.sqlite";
    const { execFileSync } = await import("node:child_process");
    const out = execFileSync(
      "node_modules/.bin/tsx",
      ["-e", "(async () => { const m = await import('./app/routes/health.tsx'); const r = await m.loader(); console.log('STATUS', r.status, JSON.stringify(await r.json())); })()"],
      { env: { ...process.env, DATABASE_URL: unreachable }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    expect(out).toContain('STATUS 503 {"status":"error","db":"unreachable"}');
  });
});
