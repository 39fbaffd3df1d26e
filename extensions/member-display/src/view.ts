// What the member sees: a pure function from the `$app:membership` metafield
// (written by the app: app/domain/member-display.ts, ADR 0027) and the current
// instant to the lines the profile block and the full page show. No Shopify
// API, no clock of its own, no dependency (the extension's bundle stays
// small): money and dates go through Intl.
//
// - Money is minor units of the shop's currency (`currency`), with that
//   currency's own number of decimals (USD 2, JPY 0, KWD 3), formatted from
//   the exact decimal text, never divided as a float (as app/domain/money.ts).
// - Dates are the shop's calendar dates ("YYYY-MM-DD" in `zone`), shown as
//   such; "today" is the shop-local date of `now` in `zone`.
// - Anything we cannot read shows as "unavailable", never as a wrong tier.

export type Tone = "success" | "warning" | "critical" | "neutral";

export type MemberView =
  | { kind: "unavailable"; heading: string; lines: string[] }
  | { kind: "none"; heading: string; lines: string[] }
  | {
      kind: "member";
      status: "active" | "grace" | "expired" | "cancelled";
      heading: string;
      badge: string;
      tone: Tone;
      lines: string[];
      /** Progress to the next tier: the sentence and how far along (0–100), or the top-tier line with 100. */
      progress: { line: string; percent: number } | null;
      /** The merchant's line for ended memberships. */
      message: string | null;
    };

/** Within this many days of the last day, an active membership says it is ending. */
export const EXPIRING_SOON_DAYS = 14;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const UNAVAILABLE: MemberView = { kind: "unavailable", heading: "Club membership", lines: ["Your membership details aren't available right now."] };
const NONE: MemberView = { kind: "none", heading: "Club membership", lines: ["You're not a club member yet."] };

type Next = { name: string; thresholdMinor: number; by: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
// A real calendar date: "2027-02-30" is not one, whatever Date.parse makes of it.
const isDate = (v: unknown): v is string => typeof v === "string" && DATE.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) === v;
const isMinor = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isText = (v: unknown): v is string => typeof v === "string" && v.trim() !== "";

/** The metafield as the query returns it (`jsonValue`), or its raw `value` text. */
function parse(metafield: unknown): unknown {
  if (!isRecord(metafield)) return metafield;
  if ("jsonValue" in metafield && metafield.jsonValue !== undefined) return metafield.jsonValue;
  if (typeof metafield.value === "string") {
    try {
      return JSON.parse(metafield.value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function minorDigits(currency: string, locale: string): number {
  return new Intl.NumberFormat(locale, { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** "$1,234.50", "¥12,000", "KWD 1.250": the exact decimal the minor units spell. */
export function formatMoney(minor: number, currency: string, locale = "en-US"): string {
  const digits = minorDigits(currency, locale);
  const abs = String(Math.abs(minor)).padStart(digits + 1, "0");
  const text = `${minor < 0 ? "-" : ""}${digits === 0 ? abs : `${abs.slice(0, -digits)}.${abs.slice(-digits)}`}`;
  const format = new Intl.NumberFormat(locale, { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
  // A numeric string is formatted as the decimal it spells (Intl.NumberFormat v3).
  return format.format(text as unknown as number);
}

/** A shop-local calendar date, as that date ("March 3, 2027"): no zone shifts it. */
export function formatDate(date: string, locale = "en-US"): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" }).format(new Date(`${date}T00:00:00Z`));
}

/** The shop-local date of `now` in `zone` ("YYYY-MM-DD"). Throws RangeError for an unknown zone. */
export function localToday(now: Date, zone: string): string {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(now);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

const daysFrom = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

function endsIn(days: number): string {
  if (days === 0) return "Your membership ends today.";
  if (days === 1) return "Your membership ends tomorrow.";
  return `Your membership ends in ${days} days.`;
}

function nextOf(v: unknown): Next | null | undefined {
  if (v === null || v === undefined) return null;
  if (!isRecord(v) || !isText(v.name) || !isMinor(v.thresholdMinor) || !isDate(v.by)) return undefined;
  return { name: v.name, thresholdMinor: v.thresholdMinor, by: v.by };
}

export function memberView(metafield: unknown, now: Date, locale = "en-US"): MemberView {
  if (metafield === null || metafield === undefined) return NONE;
  const m = parse(metafield);
  if (!isRecord(m)) return UNAVAILABLE;
  try {
    return viewOf(m, now, locale) ?? UNAVAILABLE;
  } catch (error) {
    // An unknown zone or currency (Intl's RangeError): nothing we could show is right.
    if (error instanceof RangeError) return UNAVAILABLE;
    throw error;
  }
}

function viewOf(m: Record<string, unknown>, now: Date, locale: string): MemberView | null {
  // Written before the value carried display fields (v1): the tier handle and the last day only.
  if (m.v === undefined && isText(m.tier) && isDate(m.expiresAt)) {
    return { kind: "member", status: "active", heading: "Club member", badge: "Active", tone: "success", lines: [`Member until ${formatDate(m.expiresAt, locale)}`], progress: null, message: null };
  }
  if (typeof m.v !== "number" || m.v < 2 || !isText(m.tierName) || !isText(m.zone) || !isText(m.currency)) return null;
  const tierName = m.tierName;
  const today = localToday(now, m.zone);
  const money = (minor: number) => formatMoney(minor, m.currency as string, locale);
  const message = isText(m.message) ? m.message.trim() : null;

  const ended = (status: "expired" | "cancelled", on: string, line: string | null): MemberView => ({
    kind: "member",
    status,
    heading: `${tierName} membership ${status}`,
    badge: status === "expired" ? "Expired" : "Cancelled",
    tone: "neutral",
    lines: [`Your ${tierName} membership ${status === "expired" ? "expired" : "was cancelled"} on ${formatDate(on, locale)}.`],
    progress: null,
    message: line,
  });
  if (m.status === "expired" || m.status === "cancelled") {
    if (!isDate(m.endedOn)) return null;
    return ended(m.status, m.endedOn, message);
  }

  if (m.status !== "active" && m.status !== "grace") return null;
  if (!isDate(m.expiresAt) || !isMinor(m.spendMinor) || !isDate(m.windowStart)) return null;
  // Its last day has passed in the shop's zone, and the app's expiry has not reached Shopify yet:
  // it is over (the discount function agrees), so it does not say "active".
  if (m.status === "active" && daysFrom(today, m.expiresAt) < 0) return ended("expired", m.expiresAt, null);
  const next = nextOf(m.next);
  if (next === undefined) return null;

  const lines: string[] = [];
  let tone: Tone = "success";
  let badge = "Active";
  if (m.status === "grace") {
    if (!isDate(m.graceEndsOn)) return null;
    tone = "warning";
    badge = "Renewal due";
    lines.push(`Your membership reached its end on ${formatDate(m.expiresAt, locale)}. You keep your ${tierName} benefits until ${formatDate(m.graceEndsOn, locale)}: an order by then renews it.`);
  } else {
    lines.push(`Member until ${formatDate(m.expiresAt, locale)}`);
    const days = daysFrom(today, m.expiresAt);
    if (days >= 0 && days <= EXPIRING_SOON_DAYS) {
      tone = "warning";
      badge = "Ending soon";
      lines.push(endsIn(days));
    }
  }
  lines.push(`${money(m.spendMinor)} spent since ${formatDate(m.windowStart, locale)}`);

  let progress: { line: string; percent: number } | null = null;
  if (next && next.thresholdMinor > m.spendMinor) {
    progress = {
      line: `Spend ${money(next.thresholdMinor - m.spendMinor)} more by ${formatDate(next.by, locale)} to reach ${next.name}`,
      percent: Math.floor((m.spendMinor / next.thresholdMinor) * 100),
    };
  } else if (m.top === true) {
    progress = { line: `${tierName} is our top tier`, percent: 100 };
  }
  return { kind: "member", status: m.status, heading: `${tierName} member`, badge, tone, lines, progress, message: null };
}
