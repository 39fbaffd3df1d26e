// Types of the function's input (the query in cart_lines_discounts_generate_run.graphql)
// and output (CartLinesDiscountsGenerateRunResult in the Discount Function API
// 2026-10). Shopify CLI's `typegen` would generate these into generated/api.ts;
// they are written by hand here because the CLI cannot run offline, and the
// tests check both against the real schema.

export type DiscountClass = "PRODUCT" | "ORDER" | "SHIPPING";

export type RunInput = {
  cart: {
    buyerIdentity: { customer: { id: string; membership: { jsonValue: unknown } | null } | null } | null;
    lines: { id: string; quantity: number; cost: { subtotalAmount: { amount: string } } }[];
  };
  discount: { discountClasses: DiscountClass[]; tiers: { jsonValue: unknown } | null };
  shop: { localTime: { date: string } };
};

export type CartLineTarget = { cartLine: { id: string; quantity?: number } };

export type ProductDiscountsAddOperation = {
  selectionStrategy: "FIRST" | "MAXIMUM" | "ALL";
  candidates: {
    targets: CartLineTarget[];
    value: { percentage: { value: number } } | { fixedAmount: { amount: number; appliesToEachItem?: boolean } };
    message?: string;
  }[];
};

/** Each operation carries exactly one key (the schema's CartOperation is a @oneOf input in practice). */
export type CartOperation = { productDiscountsAdd: ProductDiscountsAddOperation };

export type CartLinesDiscountsGenerateRunResult = { operations: CartOperation[] };

/** `$app:membership` on the customer, as the app writes it. */
export type Membership = { tier: string; tierId?: string; expiresAt: string; since?: string; graceEndsOn?: string };

/** `$app:tiers` on the discount, as the app writes it. */
export type TiersConfig = { tiers: Record<string, { percentage: number; title?: string }> };
