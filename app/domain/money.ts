// Money: integer minor units of the shop's currency in the database (the
// columns say "Cents"; for JPY a unit is one yen, for KWD one fils), text in the
// shop's currency in the UI. Pure; no database, no clock.
//
// Invariants:
// - Every amount a merchant enters goes through `parseMoney`, and every amount a
//   platform sends through `decimalToMinor`: what reaches the database is a
//   whole number of minor units; floating-point amounts are never stored or summed.
// - A currency's minor units are its own (ISO 4217, as the runtime's Intl data
//   knows them): 2 for USD, 0 for JPY, 3 for KWD. Nothing assumes two decimals.
// - Formatting goes through Intl.NumberFormat with the amount as an exact
//   decimal string, so no division by 100 ever rounds.
import { z } from "zod";

/** Largest threshold a merchant may enter: 10,000,000 in the currency's major unit (orders may be larger). */
export const MAX_MAJOR = 10_000_000;

/**
 * A money column as read from the database (64-bit: Prisma gives `bigint`,
 * raw SQL may give bigint, number or text) → a JS number of minor units. Exact:
 * an amount past 2^53 (about 90 trillion dollars) is refused rather than rounded.
 */
export function cents(value: bigint | number | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`not a whole number of minor units within 2^53: ${String(value)}`);
  return n;
}

const digitsCache = new Map<string, number>();

/** An ISO 4217 code the runtime knows (three letters; Intl refuses the rest). */
export function isCurrency(code: string): boolean {
  if (!/^[A-Z]{3}$/.test(code)) return false;
  try {
    new Intl.NumberFormat("en", { style: "currency", currency: code });
    return true;
  } catch {
    return false;
  }
}

/** The currency's minor units: USD 2, JPY 0, KWD 3 (from Intl's ISO 4217 data). */
export function minorDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    digits =
      new Intl.NumberFormat("en", {
        style: "currency",
        currency,
      }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsCache.set(currency, digits);
  }
  return digits;
}

/** Minor units → the exact decimal text in major units: (123450, 2) → "1234.50", (12000, 0) → "12000". */
function decimalText(minor: number, digits: number): string {
  const sign = minor < 0 ? "-" : "";
  const abs = String(Math.abs(minor)).padStart(digits + 1, "0");
  return digits === 0 ? `${sign}${abs}` : `${sign}${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
}

/** Minor units → what a form field shows: whole amounts without decimals ("1200"), others with all of them ("12.50", "1.250"). */
export function moneyToField(minor: number | null | undefined, currency: string): string {
  if (minor === null || minor === undefined) return "";
  const digits = minorDigits(currency);
  return minor % 10 ** digits === 0 ? String(minor / 10 ** digits) : decimalText(minor, digits);
}

/** Minor units → "$1,234.50", "¥12,000", "KWD 1.250" (the shop's currency, its own decimals). */
export function formatMoney(minor: number, currency: string, locale = "en-US"): string {
  const digits = minorDigits(currency);
  const format = new Intl.NumberFormat(locale, {
    style: "currency",
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  // A numeric string is formatted as the exact decimal it spells (Intl.NumberFormat v3).
  return format.format(decimalText(minor, digits) as unknown as number);
}

/** The symbol a money field shows before the amount: "$", "¥", "KWD". */
export function currencySymbol(currency: string, locale = "en-US"): string {
  const parts = new Intl.NumberFormat(locale, {
    style: "currency",
    currency,
  }).formatToParts(0);
  return parts.find((p) => p.type === "currency")?.value ?? currency;
}

export type ParsedMoney = { ok: true; minor: number } | { ok: false; message: string };

/**
 * What a merchant types → minor units of `currency`, exactly (no floating
 * point): "1200", "1,200.5", "$1200.50", " 12 ", "¥12,000". Rejects more
 * decimals than the currency has, signs other than a leading minus (reported
 * as "Must be 0 or more") and anything not a number.
 */
export function parseMoney(input: string, currency: string): ParsedMoney {
  const digits = minorDigits(currency);
  const symbol = currencySymbol(currency);
  const text = input.trim().replace(symbol, "").replace(currency, "").replace(/,/g, "").trim();
  const example = digits === 0 ? "e.g. 12000" : `e.g. 120 or 120.${"5".padEnd(digits, "0")}`;
  if (text === "") return { ok: false, message: "Enter an amount" };
  const m = /^(-)?(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) return { ok: false, message: `Enter an amount in ${currency}, ${example}` };
  if (m[1]) return { ok: false, message: "Must be 0 or more" };
  const decimals = m[3] ?? "";
  if (decimals.replace(/0+$/, "").length > digits) {
    return {
      ok: false,
      message: digits === 0 ? `${currency} amounts have no decimals` : `Use at most ${digits} decimals`,
    };
  }
  const whole = m[2] === "" ? 0 : Number(m[2]);
  const minor = whole * 10 ** digits + Number(decimals.slice(0, digits).padEnd(digits, "0") || "0");
  const max = MAX_MAJOR * 10 ** digits;
  if (!Number.isSafeInteger(minor) || minor > max) return { ok: false, message: `At most ${formatMoney(max, currency)}` };
  return { ok: true, minor };
}

function minorOrIssue(value: string, currency: string, ctx: z.RefinementCtx): number {
  const parsed = parseMoney(value, currency);
  if (parsed.ok) return parsed.minor;
  ctx.addIssue({ code: "custom", message: parsed.message });
  return z.NEVER;
}

/** A zod field: the amount as typed in, minor units of `currency` out, with `parseMoney`'s messages. */
export const moneyField = (currency: string) => z.string().transform((value, ctx) => minorOrIssue(value, currency, ctx));

/** Like `moneyField`, but an empty field is `null` (the caller picks the default). */
export const optionalMoneyField = (currency: string) => z.string().transform((value, ctx) => (value.trim() === "" ? null : minorOrIssue(value, currency, ctx)));

/**
 * A platform's decimal amount in `currency` ("123.45", "1234.5", "0.125",
 * "12000") → minor units, exactly: digits are read as text, and anything past
 * the currency's decimals rounds half up. Null for anything that is not a plain
 * non-negative decimal, or a currency the runtime does not know.
 */
export function decimalToMinor(amount: string | number, currency: string): number | null {
  if (!isCurrency(currency)) return null;
  const digits = minorDigits(currency);
  const text = typeof amount === "number" ? String(amount) : amount.trim();
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return null;
  const decimals = m[2] ?? "";
  const kept = Number(decimals.slice(0, digits).padEnd(digits, "0") || "0");
  const minor = Number(m[1]) * 10 ** digits + kept + (Number(decimals[digits] ?? "0") >= 5 ? 1 : 0);
  return Number.isSafeInteger(minor) ? minor : null;
}
