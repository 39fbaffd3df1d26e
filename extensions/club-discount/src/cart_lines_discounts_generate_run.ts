// The member discount: the buyer's tier percentage off every line with a price,
// while the membership is active.
//
// Pure, like every Shopify Function: no network and no clock. "Active" means the
// membership's last day (expiresAt, a date in the shop's zone) is today or later
// in the shop's local date (shop.localTime.date), or, for a membership in grace,
// its grace period's last day (graceEndsOn): grace keeps the benefit. Guests,
// non-members, expired members, unknown tiers and a missing or malformed
// configuration get nothing.
import type { CartLinesDiscountsGenerateRunResult, Membership, RunInput, TiersConfig } from "./types";

const NO_DISCOUNT: CartLinesDiscountsGenerateRunResult = { operations: [] };
const DATE = /^\d{4}-\d{2}-\d{2}/;

function membershipOf(value: unknown): Membership | null {
  if (!value || typeof value !== "object") return null;
  const m = value as Record<string, unknown>;
  if (typeof m.tier !== "string" || typeof m.expiresAt !== "string" || !DATE.test(m.expiresAt)) return null;
  // A malformed grace end is no grace: the expiry alone counts.
  const grace = typeof m.graceEndsOn === "string" && DATE.test(m.graceEndsOn) ? m.graceEndsOn : undefined;
  return { tier: m.tier, expiresAt: m.expiresAt, ...(grace ? { graceEndsOn: grace } : {}) };
}

function tiersOf(value: unknown): TiersConfig | null {
  if (!value || typeof value !== "object") return null;
  const tiers = (value as { tiers?: unknown }).tiers;
  return tiers && typeof tiers === "object" ? { tiers: tiers as TiersConfig["tiers"] } : null;
}

export function cartLinesDiscountsGenerateRun(input: RunInput): CartLinesDiscountsGenerateRunResult {
  if (!input.discount.discountClasses.includes("PRODUCT")) return NO_DISCOUNT;

  const membership = membershipOf(input.cart.buyerIdentity?.customer?.membership?.jsonValue);
  if (!membership) return NO_DISCOUNT;
  // ISO dates compare correctly as strings; a datetime counts by its date part.
  const lastDay = [membership.expiresAt.slice(0, 10), membership.graceEndsOn?.slice(0, 10) ?? ""].sort().at(-1)!;
  if (lastDay < input.shop.localTime.date) return NO_DISCOUNT;

  const tier = tiersOf(input.discount.tiers?.jsonValue)?.tiers[membership.tier];
  const percentage = Math.min(100, Number(tier?.percentage));
  if (!tier || !Number.isFinite(percentage) || percentage <= 0) return NO_DISCOUNT;

  const lines = input.cart.lines.filter((line) => Number(line.cost.subtotalAmount.amount) > 0);
  if (lines.length === 0) return NO_DISCOUNT;

  return {
    operations: [
      {
        productDiscountsAdd: {
          selectionStrategy: "FIRST",
          candidates: [
            {
              targets: lines.map((line) => ({ cartLine: { id: line.id } })),
              value: { percentage: { value: percentage } },
              message: tier.title ?? `Member ${percentage}% off`,
            },
          ],
        },
      },
    ],
  };
}
