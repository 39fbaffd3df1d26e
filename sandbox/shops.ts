// The sandbox's two shops and its Commerce7 tenant (no app imports here).
export const SHOPIFY_SHOP = { domain: "club-tiers-demo.myshopify.com", label: "Demo shop (Shopify)", token: "shpat_sandbox_demo" };
export const C7_SHOP = { domain: "napa-cellars.myshopify.com", label: "Napa Cellars (Commerce7)", token: "shpat_sandbox_napa" };
export const C7_TENANT = { tenantId: "napa-cellars", appId: "sandbox-app", appSecret: "sandbox-secret" };
