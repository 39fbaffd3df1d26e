// Member import fixtures: CSV files with known bad rows, and uploads through
// the real route (multipart, with a signed session token).
import { getJwt, API_KEY, API_SECRET_KEY } from "@shopify/shopify-api/test-helpers";
import { stringify } from "csv-stringify/sync";
import { parse } from "csv-parse/sync";

export const IMPORT_HEADER = ["email", "first_name", "last_name", "tier", "start_date", "expiry_date", "customer_id"];

export type Fixture = {
  csv: string;
  /** Bad rows: spreadsheet row number → a pattern its reason must match. */
  bad: Map<number, RegExp>;
  /** Good rows: row number → the values they must import as. */
  good: Map<number, { email: string; firstName: string; lastName: string; tier: string; start: string; expiry: string | null }>;
};

const pad = (n: number) => String(n).padStart(2, "0");
/** A date `daysAgo` before 2026-12-01 (the tests' clock is real: keep dates well inside the past year). */
function dayBefore(today: string, daysAgo: number) {
  const d = new Date(`${today}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - daysAgo);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/**
 * `rows` data rows; every 50th is bad (2%), cycling through the kinds of
 * error. `members` are emails already members of the shop (one kind of bad
 * row). Names carry commas, quotes, line breaks and formula characters.
 */
export function buildImport(opts: { rows: number; today: string; members: string[]; prefix?: string }): Fixture {
  const { rows, today } = opts;
  const prefix = opts.prefix ?? "m";
  const bad = new Map<number, RegExp>();
  const good: Fixture["good"] = new Map();
  const records: string[][] = [];
  let badKind = 0;
  for (let i = 0; i < rows; i++) {
    const row = i + 2;
    const email = `${prefix}${i}@example.com`;
    const first = i % 7 === 0 ? `Ann, "the first"` : i % 11 === 0 ? "Line\nbreak" : i % 13 === 0 ? "=1+2" : `First${i}`;
    const last = `Last ${i}`;
    const tier = i % 3 === 0 ? "Gold" : "silver";
    const start = dayBefore(today, (i % 150) + 1);
    const expiry = i % 2 === 0 ? "" : dayBefore(today, -((i % 200) + 30));
    let rec = [email, first, last, tier, start, expiry, ""];
    if (i % 50 === 49) {
      const kind = badKind++ % 8;
      const set = (col: number, value: string, reason: RegExp) => {
        rec[col] = value;
        bad.set(row, reason);
      };
      if (kind === 0 || (kind === 4 && !opts.members.length)) set(3, "Bronze", /^Unknown tier "Bronze"$/);
      else if (kind === 1) set(4, "2026-13-01", /^Start date "2026-13-01" is not a date/);
      else if (kind === 2) set(5, "31/12/2027", /^Expiry date "31\/12\/2027" is not a date/);
      else if (kind === 3) set(0, `${prefix}${i - 1}@example.com`, new RegExp(`^Same email as row ${row - 1}$`));
      else if (kind === 4) set(0, opts.members[Math.floor(badKind / 8) % opts.members.length]!, /^Already a member \(active in Silver\)$/);
      else if (kind === 5) set(3, "Platinum", /^Platinum is reached by upgrading only$/);
      else if (kind === 6) set(0, `not-an-email-${i}`, /is not an email address$/);
      else set(5, start, /^Expiry date .* is not after the start date/);
    }
    if (!bad.has(row)) good.set(row, { email, firstName: first, lastName: last, tier: tier === "Gold" ? "gold" : "silver", start, expiry: expiry || null });
    rec = rec.map((c) => (/^[=+\-@]/.test(c) ? `'${c}` : c));
    records.push(rec);
  }
  return { csv: stringify([IMPORT_HEADER, ...records]), bad, good };
}

/** The upload as the page's form sends it: multipart, the file under "file", a Bearer session token. */
export async function uploadRequest(appUrl: string, shop: string, csv: string, fileName = "members.csv"): Promise<Request> {
  const form = new FormData();
  form.append("file", new Blob([csv], { type: "text/csv" }), fileName);
  const request = new Request(`${appUrl}/app/members/import`, { method: "POST", body: form });
  const { token } = await getJwt(shop.replace(".myshopify.com", ""), API_KEY, API_SECRET_KEY);
  request.headers.set("authorization", `Bearer ${token}`);
  return request;
}

/** A GET with a Bearer session token (what the page's download fetch sends). */
export async function bearerGet(appUrl: string, shop: string, path: string): Promise<Request> {
  const { token } = await getJwt(shop.replace(".myshopify.com", ""), API_KEY, API_SECRET_KEY);
  return new Request(`${appUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
}

/** A form POST with a Bearer session token. */
export async function bearerPost(appUrl: string, shop: string, path: string, form: Record<string, string>): Promise<Request> {
  const { token } = await getJwt(shop.replace(".myshopify.com", ""), API_KEY, API_SECRET_KEY);
  return new Request(`${appUrl}${path}`, { method: "POST", body: new URLSearchParams(form), headers: { authorization: `Bearer ${token}` } });
}

export function parseCsv(text: string): Record<string, string>[] {
  return parse(text, { columns: true, bom: true });
}

/** The import id a successful upload redirects to. */
export function importIdOf(response: unknown): string {
  if (!(response instanceof Response) || response.status !== 302) throw new Error(`expected a redirect, got ${JSON.stringify(response)}`);
  const m = response.headers.get("location")?.match(/\/app\/members\/import\/([^/?]+)$/);
  if (!m) throw new Error(`unexpected redirect ${response.headers.get("location")}`);
  return m[1]!;
}

/** Polls `fn` until `ok` holds (real time; throws with the last value after `timeoutMs`). No app module is imported here: test files set the environment first. */
export async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
