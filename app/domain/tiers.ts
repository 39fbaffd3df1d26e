// Tier rules: validation of what a merchant enters. Pure (no database).
//
// Money is entered in the shop's currency units (dollars) and stored as cents.
import { z } from "zod";

export const tierInput = z
  .object({
    name: z.string().trim().min(1, "Name is required").max(80, "Keep the name under 80 characters"),
    annualThreshold: z.coerce.number({ error: "Enter an amount" }).min(0, "Must be 0 or more").max(10_000_000),
    initialPurchase: z
      .union([z.literal(""), z.coerce.number({ error: "Enter an amount" }).min(0, "Must be 0 or more")])
      .optional()
      .transform((v) => (v === "" || v === undefined ? undefined : v)),
    durationMonths: z.coerce.number({ error: "Enter a number of months" }).int("Whole months only").min(1, "At least 1 month").max(60, "At most 60 months"),
    rank: z.coerce.number({ error: "Enter a rank" }).int("Whole numbers only").min(1, "Rank starts at 1").max(1000),
    discountPercent: z.coerce.number({ error: "Enter a percentage" }).int("Whole percent only").min(0, "0 to 100").max(100, "0 to 100"),
    upgradable: z.boolean().default(true),
    upgradeOnly: z.boolean().default(false),
  })
  .superRefine((t, ctx) => {
    if (t.initialPurchase !== undefined && t.initialPurchase > t.annualThreshold) {
      ctx.addIssue({ code: "custom", path: ["initialPurchase"], message: "Can't be more than the annual spend threshold" });
    }
  })
  .transform((t) => ({
    ...t,
    // Default initial purchase: a month's share of the annual threshold.
    initialPurchase: t.initialPurchase ?? Math.round((t.annualThreshold / 12) * 100) / 100,
  }));

export type TierInput = z.output<typeof tierInput>;
export type TierFieldErrors = Partial<Record<"name" | "annualThreshold" | "initialPurchase" | "durationMonths" | "rank" | "discountPercent" | "form", string>>;

export function parseTierForm(form: Record<string, string | undefined>): { ok: true; value: TierInput } | { ok: false; errors: TierFieldErrors } {
  const parsed = tierInput.safeParse({
    name: form.name ?? "",
    annualThreshold: form.annualThreshold ?? "",
    initialPurchase: form.initialPurchase ?? "",
    durationMonths: form.durationMonths ?? "",
    rank: form.rank ?? "",
    discountPercent: form.discountPercent === undefined || form.discountPercent === "" ? "0" : form.discountPercent,
    upgradable: form.upgradable === "on" || form.upgradable === "true",
    upgradeOnly: form.upgradeOnly === "on" || form.upgradeOnly === "true",
  });
  if (parsed.success) return { ok: true, value: parsed.data };
  const errors: TierFieldErrors = {};
  for (const issue of parsed.error.issues) {
    const key = String(issue.path[0] ?? "form") as keyof TierFieldErrors;
    errors[key] ??= issue.message;
  }
  return { ok: false, errors };
}

export function toCents(amount: number): number {
  return Math.round(amount * 100);
}

export function handleFor(name: string): string {
  return (
    name
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[^\w\s-]/g, "")
      .trim()
      .replace(/[\s_]+/g, "-")
      .replace(/-+/g, "-")
      .slice(0, 60) || "tier"
  );
}
