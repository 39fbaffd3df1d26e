// Sandbox data: two shops (one on Shopify, one on Commerce7) with offline
// sessions, tiers and a few customers, in our database and in the fakes.
// Import it only after the sandbox has set the app's environment: app modules
// validate and freeze the environment when first imported.
import { Session } from "@shopify/shopify-api";
import { createPrismaClient } from "../app/db.server";
import { setCommerce7Credentials } from "../app/domain/shops.server";
import { rotateCommerce7WebhookKey } from "../app/domain/commerce7-webhook.server";
import { EncryptedSessionStorage } from "../app/sessions.server";
import type { FakeCommerce7 } from "./fakes/commerce7";
import type { FakeShopify } from "./fakes/shopify-admin";

import { C7_SHOP, C7_TENANT, SHOPIFY_SHOP } from "./shops";

const TIERS = [
  { name: "Silver", handle: "silver", rank: 1, annual: 60000, discount: 5, upgradeOnly: false },
  { name: "Gold", handle: "gold", rank: 2, annual: 120000, discount: 10, upgradeOnly: false },
  { name: "Reserve", handle: "reserve", rank: 3, annual: 300000, discount: 15, upgradeOnly: true },
];

const PEOPLE = [
  { firstName: "Ava", lastName: "Martin", email: "ava.martin@example.com" },
  { firstName: "Noah", lastName: "Garcia", email: "noah.garcia@example.com" },
  { firstName: "Mia", lastName: "Chen", email: "mia.chen@example.com" },
  { firstName: "Liam", lastName: "Okafor", email: "liam.okafor@example.com" },
];

export async function seedSandbox(databaseUrl: string, fakes: { shopify: FakeShopify; commerce7: FakeCommerce7 }, scopes: string) {
  const db = createPrismaClient(databaseUrl);
  try {
    const storage = new EncryptedSessionStorage(db);
    for (const shop of [SHOPIFY_SHOP, C7_SHOP]) {
      const session = new Session({ id: `offline_${shop.domain}`, shop: shop.domain, state: "sandbox", isOnline: false });
      session.accessToken = shop.token;
      session.scope = scopes;
      await storage.storeSession(session);
      await db.shop.upsert({
        where: { domain: shop.domain },
        create: { domain: shop.domain, timezone: "America/Los_Angeles", alertEmail: `owner@${shop.domain.replace(".myshopify.com", "")}.example` },
        update: {},
      });
    }
    await db.shop.update({ where: { domain: C7_SHOP.domain }, data: { crm: "commerce7" } });
    await setCommerce7Credentials(db, C7_SHOP.domain, { tenant: C7_TENANT.tenantId, appId: C7_TENANT.appId, appSecret: C7_TENANT.appSecret });
    fakes.commerce7.addLocation(C7_TENANT.tenantId, { title: "Napa tasting room" });
    // The shop's order webhook URL, pasted into the fake Commerce7 as a merchant
    // would (Order Create and Update): `POST <fake>/__fake/emit` sends an order to it.
    const webhookUrl = await rotateCommerce7WebhookKey(db, C7_SHOP.domain);
    for (const action of ["Create", "Update"]) fakes.commerce7.addWebhook(C7_TENANT.tenantId, { object: "Order", action, url: webhookUrl });

    for (const shop of [SHOPIFY_SHOP, C7_SHOP]) {
      for (const t of TIERS) {
        const club = shop === C7_SHOP ? fakes.commerce7.addClub(C7_TENANT.tenantId, { title: `${t.name} Club` }) : null;
        await db.tier.create({
          data: {
            shop: shop.domain,
            name: t.name,
            handle: t.handle,
            rank: t.rank,
            annualThresholdCents: t.annual,
            initialPurchaseCents: Math.round(t.annual / 12),
            durationMonths: 12,
            upgradeOnly: t.upgradeOnly,
            discountPercent: t.discount,
            c7ClubId: club?.id ?? null,
          },
        });
      }
      for (const p of PEOPLE) {
        const ids =
          shop === SHOPIFY_SHOP
            ? { shopifyCustomerId: fakes.shopify.addCustomer(shop.domain, p).id }
            : { commerce7CustomerId: fakes.commerce7.addCustomer(C7_TENANT.tenantId, { ...p, withAddress: true }).id };
        await db.customer.create({
          data: {
            shop: shop.domain,
            ...ids,
            email: p.email,
            firstName: p.firstName,
            lastName: p.lastName,
            searchText: `${p.firstName} ${p.lastName} ${p.email}`.toLowerCase(),
          },
        });
      }
    }
  } finally {
    await db.$disconnect();
  }
}
