// Member import (CSV), the pure half: which column is which, and whether one
// row can become a member. No database, no clock (the caller passes `now`).
// The preview and the commit both judge rows here, so a row the preview
// accepted is refused at commit only for what changed since (a tier edited,
// the customer enrolled meanwhile, the expiry date now past).
//
// Rules (README "Import and export", ADR 0022):
// - Columns are found by their header, case and punctuation ignored
//   ("First name", "first_name", "FIRSTNAME"); columns we do not know are
//   ignored, so a file exported by this app imports as it is.
// - email and tier are required; the tier is matched by handle, then by name
//   (case-insensitive); a name two tiers share must be given as the handle.
// - Dates are shop-local "YYYY-MM-DD" (app/domain/dates.ts). The start
//   defaults to the import's day; the expiry to start + the tier's duration.
//   A membership starts at the first moment of its start date and ends at the
//   first moment of its expiry date, so the list shows the dates the file had.
// - A cell the export protected against spreadsheet formulas ("'=…") is read
//   back without the quote (see csvCell).
import { addMonths, localDate, parseLocalDate, startOfLocalDate } from "./dates";
import { MAX_NAME, memberInput } from "./member-input";
import type { Platform } from "./platforms";
import { newMemberRefusal } from "./tiers";

export const IMPORT_FIELDS = ["email", "firstName", "lastName", "tier", "startDate", "expiryDate", "platformCustomerId"] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];
export type RawRow = Record<ImportField, string>;

/** Header spellings per field, normalised (lower case, letters and digits only). */
const HEADER_NAMES: Record<ImportField, string[]> = {
  email: ["email", "emailaddress"],
  firstName: ["firstname", "first", "givenname"],
  lastName: ["lastname", "last", "surname", "familyname"],
  tier: ["tier", "tiername", "tierhandle"],
  startDate: ["startdate", "start", "started", "startedat", "since", "joined"],
  expiryDate: ["expirydate", "expiry", "expires", "expiresat", "expirationdate", "enddate"],
  platformCustomerId: ["customerid", "platformcustomerid", "shopifycustomerid", "commerce7customerid"],
};

const normaliseHeader = (h: string) => h.toLowerCase().replace(/[^a-z0-9]/g, "");

export type HeaderMap = { columns: Partial<Record<ImportField, number>>; ignored: string[] };

/** Which column holds which field; an error sentence when email or tier is missing, or a field appears twice. */
export function mapHeader(header: string[]): { ok: true; map: HeaderMap } | { ok: false; error: string } {
  const columns: Partial<Record<ImportField, number>> = {};
  const ignored: string[] = [];
  for (const [i, cell] of header.entries()) {
    const name = normaliseHeader(cell);
    const field = IMPORT_FIELDS.find((f) => HEADER_NAMES[f].includes(name));
    if (!field) {
      ignored.push(cell);
      continue;
    }
    if (columns[field] !== undefined) return { ok: false, error: `The header names the ${FIELD_LABELS[field]} column twice ("${header[columns[field]!]}" and "${cell}").` };
    columns[field] = i;
  }
  const missing = (["email", "tier"] as const).filter((f) => columns[f] === undefined);
  if (missing.length) {
    return {
      ok: false,
      error: `The first row must be a header with ${missing.map((f) => `a "${f}" column`).join(" and ")} (found: ${header.map((h) => `"${h}"`).join(", ") || "nothing"}).`,
    };
  }
  return { ok: true, map: { columns, ignored } };
}

export const FIELD_LABELS: Record<ImportField, string> = {
  email: "email",
  firstName: "first name",
  lastName: "last name",
  tier: "tier",
  startDate: "start date",
  expiryDate: "expiry date",
  platformCustomerId: "customer id",
};

/** A data row's fields by the header; the cells trimmed and unprotected (see csvCell). */
export function rowFields(record: string[], map: HeaderMap): RawRow {
  const out = {} as RawRow;
  for (const f of IMPORT_FIELDS) {
    const i = map.columns[f];
    const cell = i === undefined ? "" : uncsvCell((record[i] ?? "").trim());
    out[f] = f === "email" ? cell.toLowerCase() : cell;
  }
  return out;
}

export type ImportTier = { id: string; name: string; handle: string; active: boolean; upgradeOnly: boolean; durationMonths: number; c7ClubId: string | null };

/** The shop's tiers, to find one by what a file says. */
export class TierLookup {
  private readonly byHandle = new Map<string, ImportTier>();
  private readonly byName = new Map<string, ImportTier[]>();
  constructor(tiers: ImportTier[]) {
    for (const t of tiers) {
      this.byHandle.set(t.handle.toLowerCase(), t);
      const key = t.name.trim().toLowerCase();
      this.byName.set(key, [...(this.byName.get(key) ?? []), t]);
    }
  }
  find(text: string): { tier: ImportTier } | { error: string } {
    const key = text.trim().toLowerCase();
    const tier = this.byHandle.get(key);
    if (tier) return { tier };
    const named = this.byName.get(key) ?? [];
    if (named.length === 1) return { tier: named[0]! };
    if (named.length > 1) return { error: `Two tiers are named "${text}": give the tier's handle (${named.map((t) => t.handle).join(", ")})` };
    return { error: `Unknown tier "${text}"` };
  }
}

export type RowContext = { tiers: TierLookup; timeZone: string; platform: Platform; now: Date; /** The shop-local date a row without a start date starts on. */ defaultStart: string };

export type CheckedRow = {
  email: string;
  firstName: string;
  lastName: string;
  tierId: string;
  startedAt: Date;
  expiresAt: Date;
  /** The customer's id on the shop's platform as we store it (a Shopify GID), or null. */
  platformCustomerId: string | null;
};

const emailField = memberInput.shape.email;

/** A Shopify customer id as a file may give it (123 or gid://shopify/Customer/123), as we store it. */
export function platformCustomerIdOf(text: string, platform: Platform): string | null | undefined {
  if (!text) return null;
  if (platform === "commerce7") return /^[\w-]{1,100}$/.test(text) ? text : undefined;
  if (/^\d{1,20}$/.test(text)) return `gid://shopify/Customer/${text}`;
  if (/^gid:\/\/shopify\/Customer\/\d{1,20}$/.test(text)) return text;
  return undefined;
}

/**
 * Whether the row can become a member, on its own: every problem of the row
 * in one sentence each, or the values to enroll. What needs the rest of the
 * file (a duplicate) or the database (already a member) is the caller's.
 */
export function checkRow(raw: RawRow, ctx: RowContext): { ok: true; value: CheckedRow } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const email = emailField.safeParse(raw.email);
  if (!raw.email) errors.push("Email is missing");
  else if (!email.success) errors.push(`"${raw.email}" is not an email address`);
  for (const f of ["firstName", "lastName"] as const) {
    if (raw[f].length > MAX_NAME) errors.push(`The ${FIELD_LABELS[f]} is longer than ${MAX_NAME} characters`);
  }

  let tier: ImportTier | null = null;
  if (!raw.tier) errors.push("Tier is missing");
  else {
    const found = ctx.tiers.find(raw.tier);
    if ("error" in found) errors.push(found.error);
    else {
      const refusal = newMemberRefusal(found.tier);
      if (refusal) errors.push(found.tier.active ? `${found.tier.name} is reached by upgrading only` : `${found.tier.name} is not an active tier`);
      else if (ctx.platform === "commerce7" && !found.tier.c7ClubId) errors.push(`${found.tier.name} has no Commerce7 club yet`);
      else tier = found.tier;
    }
  }

  const memo = memoOf(ctx);
  const today = memo.today;
  const start = raw.startDate ? parseLocalDate(raw.startDate) : ctx.defaultStart;
  if (!start) errors.push(`Start date "${raw.startDate}" is not a date: use YYYY-MM-DD`);
  else if (start > today) errors.push(`Start date ${start} is in the future`);
  const expiry = raw.expiryDate ? parseLocalDate(raw.expiryDate) : null;
  if (raw.expiryDate && !expiry) errors.push(`Expiry date "${raw.expiryDate}" is not a date: use YYYY-MM-DD`);

  const platformCustomerId = platformCustomerIdOf(raw.platformCustomerId, ctx.platform);
  if (platformCustomerId === undefined) {
    errors.push(`Customer id "${raw.platformCustomerId}" is not a ${ctx.platform === "commerce7" ? "Commerce7" : "Shopify"} customer id`);
  }
  // Commerce7 refuses a new customer without a name (as the wizard says).
  if (ctx.platform === "commerce7" && !raw.platformCustomerId && !raw.firstName && !raw.lastName) {
    errors.push("Commerce7 needs a first or last name for a new customer");
  }

  if (start && start <= today && tier) {
    const startedAt = memo.day(start);
    const expiresAt = expiry ? memo.day(expiry) : memo.plus(start, tier.durationMonths);
    if (expiry && expiry <= start) errors.push(`Expiry date ${expiry} is not after the start date ${start}`);
    else if (expiresAt <= ctx.now) errors.push(`The membership already ended on ${expiry ?? localDate(expiresAt, ctx.timeZone)}`);
    if (!errors.length && email.success) {
      return {
        ok: true,
        value: { email: email.data, firstName: raw.firstName, lastName: raw.lastName, tierId: tier.id, startedAt, expiresAt, platformCustomerId: platformCustomerId ?? null },
      };
    }
  }
  return { ok: false, errors };
}

// A file has few distinct dates and tiers, and zone arithmetic is the costly
// part of a row's check (50,000 rows in a preview): each date is computed once
// per context.
type Memo = { today: string; day(date: string): Date; plus(date: string, months: number): Date };
const memos = new WeakMap<RowContext, Memo>();
function memoOf(ctx: RowContext): Memo {
  let memo = memos.get(ctx);
  if (!memo) {
    const days = new Map<string, Date>();
    const later = new Map<string, Date>();
    const day = (date: string) => {
      let d = days.get(date);
      if (!d) days.set(date, (d = startOfLocalDate(date, ctx.timeZone)));
      return d;
    };
    memo = {
      today: localDate(ctx.now, ctx.timeZone),
      day,
      plus(date, months) {
        const key = `${date}+${months}`;
        let d = later.get(key);
        if (!d) later.set(key, (d = addMonths(day(date), months, ctx.timeZone)));
        return d;
      },
    };
    memos.set(ctx, memo);
  }
  return memo;
}

// Spreadsheets run a cell that starts with = + - @ (or a tab or carriage
// return) as a formula, so a customer named "=HYPERLINK(…)" would run in the
// merchant's spreadsheet. Such cells are written with a leading apostrophe
// (OWASP's advice), which spreadsheets show as text, and read back without it.
const FORMULA_START = /^[=+\-@\t\r]/;

/** A cell as the export writes it. */
export function csvCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** A cell as the import reads it: the export's protecting apostrophe removed. */
export function uncsvCell(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}
