// The world the expiring-token tests run in: a fake Shopify issuing short-lived
// tokens, the app pointed at it (env set before the app is imported), one
// installed shop with a tier, and helpers to enroll members and store sessions.
import { Session } from "@shopify/shopify-api";
import { createFakeShopifyAdmin } from "../../../sandbox/fakes/shopify-admin";
import { importApp } from "../../support/app";
import { TEST_ENV } from "../../support/constants";

// The app's default scopes (app/env.server.ts may be imported only after the env points at the fake).
const DEFAULT_SCOPES = "read_customers,write_customers,read_orders,read_all_orders,read_discounts,write_discounts";

export async function startTokenWorld(opts: { shop: string; legacyToken: string; lifetimeMs: number; marginMs: number }) {
  const { shop } = opts;
  const shopify = await createFakeShopifyAdmin({
    shops: [{ domain: shop, accessToken: opts.legacyToken }],
    oauth: { apiKey: TEST_ENV.SHOPIFY_API_KEY, apiSecret: TEST_ENV.SHOPIFY_API_SECRET, tokenLifetimeMs: opts.lifetimeMs },
  });
  process.env.SHOPIFY_ADMIN_ORIGIN = `${shopify.url}/shops/{shop}`;
  process.env.SHOPIFY_TOKEN_REFRESH_MARGIN_MS = String(opts.marginMs);
  const base = await importApp();
  const { EncryptedSessionStorage } = await import("~/sessions.server");
  const app = { ...base, storage: new EncryptedSessionStorage(base.prisma) };
  await app.prisma.shop.create({ data: { domain: shop } });
  const tierId = (
    await app.prisma.tier.create({
      data: { shop, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 60_000, initialPurchaseCents: 0, durationMonths: 12, discountPercent: 10 },
    })
  ).id;

  let n = 0;
  return {
    shopify,
    app,
    /** Enrolls a new member known to the fake; returns the enrollment id (its add_membership is queued). */
    async enrollMember() {
      n++;
      const email = `member${n}@${shop.replace(".myshopify.com", "")}.example`;
      const remote = shopify.addCustomer(shop, { email });
      const result = await app.enrollments.enroll(app.prisma, shop, { idempotencyKey: `token-member-${n}`, tierId, email, platformId: remote.id });
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      return result.enrollmentId;
    },
    /** Stores an expiring pair the fake just issued, as an install today gets. */
    async storeExpiringSession() {
      const pair = shopify.oauth.issue(shop);
      await app.storage.storeSession(new Session({ id: `offline_${shop}`, shop, state: "", isOnline: false, scope: DEFAULT_SCOPES, ...pair }));
      return pair;
    },
    storedSession: () => app.storage.loadSession(`offline_${shop}`),
  };
}

export type TokenWorld = Awaited<ReturnType<typeof startTokenWorld>>;
