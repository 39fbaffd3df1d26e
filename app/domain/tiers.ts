// Tier rules: validation of what a merchant enters, and the membership rules a
// tier carries. Pure (no database, no clock).
//
// Money is entered in the shop's currency and leaves this module as its minor units (app/domain/money.ts).
// Rules only the database can check (rank unique among the shop's ACTIVE
// tiers, handle unique per shop) live in tiers.server.ts, backed by indexes.
import { z } from "zod";
import { moneyField, optionalMoneyField } from "./money";
import { fieldErrors } from "./validation";

const TIER_LABELS = {
  name: "Name",
  annualThreshold: "Annual spend threshold",
  initialPurchase: "Initial purchase",
  durationMonths: "Duration",
  rank: "Rank",
  discountPercent: "Member discount",
  graceDays: "Grace period",
};

export const MIN_DURATION_MONTHS = 1;
export const MAX_DURATION_MONTHS = 60;
/**
 * Ranks are positive. Reordering swaps two ranks through a temporary NEGATIVE
 * rank (tiers.server.ts `moveTier`), which therefore can never clash with a
 * real one.
 */
export const MAX_GRACE_DAYS = 90;
export const MIN_RANK = 1;
export const MAX_RANK = 1000;

const intField = (what: string, min: number, max: number, messages: { min: string; max: string }) =>
  z
    .string()
    .trim()
    .min(1, `Enter ${what}`)
    .regex(/^-?\d+$/, "Whole numbers only")
    .transform(Number)
    .pipe(z.number().int().min(min, messages.min).max(max, messages.max));

/** The form as the browser sends it, amounts in `currency`: every field a string; checkboxes present only when checked. */
export const tierForm = (currency: string) =>
  z
    .object({
      name: z.string().trim().min(1, "Name is required").max(80, "Keep the name under 80 characters"),
      annualThreshold: moneyField(currency),
      // Empty → a twelfth of the annual threshold (see the transform below).
      initialPurchase: optionalMoneyField(currency),
      durationMonths: intField("a number of months", MIN_DURATION_MONTHS, MAX_DURATION_MONTHS, {
        min: `At least ${MIN_DURATION_MONTHS} month`,
        max: `At most ${MAX_DURATION_MONTHS} months`,
      }),
      rank: intField("a rank", MIN_RANK, MAX_RANK, { min: `Rank starts at ${MIN_RANK}`, max: `At most ${MAX_RANK}` }),
      discountPercent: intField("a percentage", 0, 100, { min: "0 to 100", max: "0 to 100" }),
      upgradable: z.boolean(),
      upgradeOnly: z.boolean(),
      graceDays: intField("a number of days", 0, MAX_GRACE_DAYS, { min: "0 or more days", max: `At most ${MAX_GRACE_DAYS} days` }),
      stepDown: z.boolean(),
    })
    .transform((t) => ({
      name: t.name,
      annualThresholdCents: t.annualThreshold,
      // Default initial purchase: a month's share of the annual threshold, in whole minor units.
      initialPurchaseCents: t.initialPurchase ?? defaultInitialPurchaseCents(t.annualThreshold),
      durationMonths: t.durationMonths,
      rank: t.rank,
      discountPercent: t.discountPercent,
      upgradable: t.upgradable,
      upgradeOnly: t.upgradeOnly,
      graceDays: t.graceDays,
      stepDown: t.stepDown,
    }))
    .superRefine((t, ctx) => {
      if (t.initialPurchaseCents > t.annualThresholdCents) {
        ctx.addIssue({ code: "custom", path: ["initialPurchase"], message: "Can't be more than the annual spend threshold" });
      }
    });

/** A valid tier, money in minor units: exactly the columns saveTier writes. */
export type TierValues = z.output<ReturnType<typeof tierForm>>;
export type TierField = "name" | "annualThreshold" | "initialPurchase" | "durationMonths" | "rank" | "discountPercent" | "graceDays" | "form";
export type TierFieldErrors = Partial<Record<TierField, string>>;

export function defaultInitialPurchaseCents(annualThresholdCents: number): number {
  return Math.round(annualThresholdCents / 12);
}

const checked = (v: string | undefined) => v === "on" || v === "true" || v === "1";

/** Form fields → tier values, or one message per field (the first problem of each). */
export function parseTierForm(
  form: Record<string, string | undefined>,
  currency: string,
): { ok: true; value: TierValues } | { ok: false; errors: TierFieldErrors } {
  const parsed = tierForm(currency).safeParse({
    name: form.name ?? "",
    annualThreshold: form.annualThreshold ?? "",
    initialPurchase: form.initialPurchase ?? "",
    durationMonths: form.durationMonths ?? "",
    rank: form.rank ?? "",
    // An empty discount means no discount.
    discountPercent: form.discountPercent?.trim() ? form.discountPercent : "0",
    upgradable: checked(form.upgradable),
    upgradeOnly: checked(form.upgradeOnly),
    // An empty grace period means none.
    graceDays: form.graceDays?.trim() ? form.graceDays : "0",
    stepDown: checked(form.stepDown),
  });
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, errors: fieldErrors<TierField>(parsed.error, TIER_LABELS) };
}

/** The slug behind the `club:<handle>` tag: lower-case ASCII letters, digits and dashes. */
export function handleFor(name: string): string {
  return (
    name
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9\s_-]/g, "")
      .trim()
      .replace(/[\s_]+/g, "-")
      .replace(/-+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 60) || "tier"
  );
}

type TierRules = { active: boolean; upgradeOnly: boolean; upgradable: boolean; rank: number; name: string };

/** Why a new member cannot join `tier` (open: active and not upgrade-only), or null when they can. */
export function newMemberRefusal(tier: Pick<TierRules, "active" | "upgradeOnly" | "name"> | null): string | null {
  if (!tier || !tier.active) return "Choose an active tier";
  if (tier.upgradeOnly) return `${tier.name} is reached by upgrading only; choose another tier`;
  return null;
}

/**
 * Why a member of `from` cannot move to `to`, or null when they can.
 * Moving to a higher rank is an upgrade and needs `from.upgradable`; moving
 * down is always allowed (the merchant's call). Upgrade-only tiers are the
 * point of upgrading, so they are valid targets.
 */
export function tierChangeRefusal(
  from: Pick<TierRules, "rank" | "upgradable" | "name"> & { id: string },
  to: Pick<TierRules, "active" | "rank" | "name"> & { id: string },
): string | null {
  if (to.id === from.id) return "The member is already in this tier.";
  if (!to.active) return "Choose an active tier.";
  if (to.rank > from.rank && !from.upgradable) return `Members of ${from.name} can't be upgraded (the tier is not upgradable).`;
  return null;
}

/** Qualification for a tier: recorded spend meets the initial purchase. Shown, not enforced (ADR 0006). */
export function qualifies(spendCents: number, tier: { initialPurchaseCents: number }): boolean {
  return spendCents >= tier.initialPurchaseCents;
}
