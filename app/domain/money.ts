// Money: integer cents in the database, dollars (the shop's currency units) in
// the UI. Pure; no database, no clock.
//
// Invariant: every amount a merchant enters goes through `parseMoney`, so what
// reaches the database is a whole number of cents; floating-point dollars never
// get stored or summed.
import { z } from "zod";

/** Largest amount a merchant may enter as a tier threshold: 10,000,000.00 (orders may be larger). */
export const MAX_CENTS = 1_000_000_000;

/**
 * A money column as read from the database (64-bit: Prisma gives `bigint`,
 * raw SQL may give bigint, number or text) → a JS number of cents. Exact: an
 * amount past 2^53 cents (about 90 trillion) is refused rather than rounded.
 */
export function cents(value: bigint | number | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`not a whole number of cents within 2^53: ${String(value)}`);
  return n;
}

/** Cents → the text a form field shows: "1200", "12.5" → "12.50". Empty for null. */
export function centsToField(cents: number | null | undefined): string {
  if (cents === null || cents === undefined) return "";
  return cents % 100 === 0 ? String(cents / 100) : (cents / 100).toFixed(2);
}

/** Cents → "$1,234.50" (or the shop's currency). */
export function formatCents(cents: number, currency = "USD", locale = "en-US"): string {
  try {
    return (cents / 100).toLocaleString(locale, { style: "currency", currency });
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

export type ParsedMoney = { ok: true; cents: number } | { ok: false; message: string };

/**
 * What a merchant types → cents, exactly (no floating point): "1200", "1,200.5",
 * "$1200.50", " 12 ". Rejects more than two decimals, signs other than a
 * leading minus (reported as "Must be 0 or more") and anything not a number.
 */
export function parseMoney(input: string): ParsedMoney {
  const text = input.trim().replace(/^\$/, "").replace(/,/g, "").trim();
  if (text === "") return { ok: false, message: "Enter an amount" };
  const m = /^(-)?(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) return { ok: false, message: "Enter an amount in dollars, e.g. 120 or 120.50" };
  if (m[1]) return { ok: false, message: "Must be 0 or more" };
  const decimals = m[3] ?? "";
  if (decimals.length > 2) return { ok: false, message: "Use at most 2 decimals" };
  const whole = m[2] === "" ? 0 : Number(m[2]);
  const cents = whole * 100 + Number(decimals.padEnd(2, "0"));
  if (!Number.isSafeInteger(cents) || cents > MAX_CENTS) return { ok: false, message: `At most ${formatCents(MAX_CENTS)}` };
  return { ok: true, cents };
}

function centsOrIssue(value: string, ctx: z.RefinementCtx): number {
  const parsed = parseMoney(value);
  if (parsed.ok) return parsed.cents;
  ctx.addIssue({ code: "custom", message: parsed.message });
  return z.NEVER;
}

/** A zod field: dollars text in, cents out, with `parseMoney`'s messages. */
export const moneyField = z.string().transform(centsOrIssue);

/** Like `moneyField`, but an empty field is `null` (the caller picks the default). */
export const optionalMoneyField = z.string().transform((value, ctx) => (value.trim() === "" ? null : centsOrIssue(value, ctx)));

/**
 * A platform's decimal amount ("123.45", "1234.5", "0.125") → cents, exactly:
 * digits are read as text, and anything past the second decimal rounds half
 * up. Null for anything that is not a plain non-negative decimal.
 */
export function decimalToCents(amount: string | number): number | null {
  const text = typeof amount === "number" ? String(amount) : amount.trim();
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return null;
  const decimals = m[2] ?? "";
  const cents = Number(m[1]) * 100 + Number(decimals.slice(0, 2).padEnd(2, "0")) + (Number(decimals[2] ?? "0") >= 5 ? 1 : 0);
  return Number.isSafeInteger(cents) ? cents : null;
}
