// The platforms a shop's memberships live on (Shop.crm). Pure: pages use it too.
export type Platform = "shopify" | "commerce7";

export const PLATFORM_NAMES: Record<Platform, string> = { shopify: "Shopify", commerce7: "Commerce7" };

/** The shop's platform as stored (Shop.crm); anything else is Shopify, the default. */
export function asPlatform(value: string | null | undefined): Platform {
  return value === "commerce7" ? "commerce7" : "shopify";
}
