// Calendar arithmetic for memberships, in the shop's own time zone (ADR 0015).
// Pure: no clock is read and no database is touched here. Every membership date
// rule goes through this module; nothing else adds months or counts days.
//
// Rules:
// - Times are instants (JS Date); calendars are the shop's IANA zone, through
//   the Temporal polyfill (its tz data is the runtime's own ICU data).
// - A month is a calendar month on the shop's wall clock: the local date moves
//   by N months and is clamped to that month's last day (31 Jan + 1 month =
//   28/29 Feb); the local time of day is kept. A wall time that does not exist
//   on the target day (the spring-forward gap) moves later by the gap; one that
//   exists twice (the fall-back hour) takes the earlier instant.
// - The spend window for an instant starts at the start of the same local date
//   12 months earlier (clamped the same way: 29 Feb 2028 -> 28 Feb 2027).
// - A shop-local date is "YYYY-MM-DD" on the shop's calendar, as Shopify's
//   `shop.localTime.date` gives it to the discount function.
// - An unknown zone is a RangeError naming it, never a silent fallback to UTC:
//   zones are validated (isTimeZone) before they are stored.
import { Temporal } from "temporal-polyfill";

function zoned(instant: Date, timeZone: string): Temporal.ZonedDateTime {
  const at = Temporal.Instant.fromEpochMilliseconds(instant.getTime());
  try {
    return at.toZonedDateTimeISO(timeZone);
  } catch {
    throw new RangeError(`Unknown time zone "${timeZone}"`);
  }
}

/**
 * Whether `name` is a time zone this module can compute in: an IANA name such
 * as "America/Los_Angeles", or "UTC". A bare offset ("-08:00") is refused: it
 * has no daylight saving time, so it is no shop's calendar.
 */
export function isTimeZone(name: string): boolean {
  if (!name || /^[+-]/.test(name)) return false;
  try {
    Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(name);
    return true;
  } catch {
    return false;
  }
}

/** The calendar date ("YYYY-MM-DD") of `instant` in `timeZone`. */
export function localDate(instant: Date, timeZone: string): string {
  return zoned(instant, timeZone).toPlainDate().toString();
}

/**
 * `start` plus `months` calendar months on the shop's wall clock: the local
 * date clamped to the target month's last day, the local time of day kept.
 */
export function addMonths(start: Date, months: number, timeZone: string): Date {
  if (!Number.isInteger(months)) throw new RangeError(`Months must be a whole number, got ${months}`);
  const later = zoned(start, timeZone).add({ months }, { overflow: "constrain" });
  return new Date(later.epochMilliseconds);
}

/** `start` plus `days` calendar days on the shop's wall clock (the local time of day kept). */
export function addDays(start: Date, days: number, timeZone: string): Date {
  if (!Number.isInteger(days)) throw new RangeError(`Days must be a whole number, got ${days}`);
  return new Date(zoned(start, timeZone).add({ days }).epochMilliseconds);
}

/**
 * Where the trailing 12-month spend window ending at `at` starts: the start of
 * the shop-local day with the same date 12 months earlier.
 */
export function spendWindowStart(at: Date, timeZone: string): Date {
  const day = zoned(at, timeZone).toPlainDate().subtract({ months: 12 }, { overflow: "constrain" });
  return new Date(day.toZonedDateTime({ timeZone }).epochMilliseconds);
}

/**
 * `instant` as the shop's wall clock reads it, for pages: "2026-12-01 14:05"
 * and the zone's short name ("PST", "GMT+13"), so a merchant never mistakes it
 * for their own machine's time or UTC.
 */
export function localDateTime(instant: Date, timeZone: string, opts: { seconds?: boolean } = {}): string {
  const z = zoned(instant, timeZone);
  const name = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "short" }).formatToParts(instant).find((p) => p.type === "timeZoneName")?.value ?? timeZone;
  const ss = opts.seconds ? `:${String(z.second).padStart(2, "0")}` : "";
  return `${z.toPlainDate().toString()} ${String(z.hour).padStart(2, "0")}:${String(z.minute).padStart(2, "0")}${ss} ${name}`;
}

/** The instant a shop-local date ("YYYY-MM-DD") starts; a RangeError for a date that is not one. */
export function localDayStart(date: string, timeZone: string): Date {
  let day: Temporal.PlainDate;
  try {
    day = Temporal.PlainDate.from(date, { overflow: "reject" });
  } catch {
    throw new RangeError(`Not a date: "${date}"`);
  }
  zoned(new Date(0), timeZone); // names an unknown zone the same way as elsewhere
  return new Date(day.toZonedDateTime({ timeZone }).epochMilliseconds);
}

/** The shop-local date `days` calendar days after `date` (negative: before). */
export function addLocalDays(date: string, days: number): string {
  return Temporal.PlainDate.from(date).add({ days }).toString();
}

/**
 * A time of the shop's day for a sentence: "14:32" when it falls on the same
 * shop-local date as `now`, else "2026-12-02 14:32".
 */
export function localClock(instant: Date, timeZone: string, now: Date = new Date()): string {
  const z = zoned(instant, timeZone);
  const hm = `${String(z.hour).padStart(2, "0")}:${String(z.minute).padStart(2, "0")}`;
  const day = z.toPlainDate().toString();
  return day === localDate(now, timeZone) ? hm : `${day} ${hm}`;
}

/** How long ago, for a list: "just now", "3 min ago", "5 h ago", "2 days ago"; past a week the shop-local date. */
export function timeAgo(instant: Date, timeZone: string, now: Date = new Date()): string {
  const s = Math.max(0, Math.round((now.getTime() - instant.getTime()) / 1000));
  if (s < 45) return "just now";
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.round(min / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d < 7) return d === 1 ? "1 day ago" : `${d} days ago`;
  return localDate(instant, timeZone);
}

/** The zone's short name at `instant` ("PST", "GMT+13"), for a column heading. */
export function zoneName(timeZone: string, instant: Date = new Date()): string {
  zoned(instant, timeZone);
  return new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "short" }).formatToParts(instant).find((p) => p.type === "timeZoneName")?.value ?? timeZone;
}

/**
 * A shop-local date as a merchant types it in a file: "YYYY-MM-DD" and a real
 * calendar date (2027-02-30 is refused), or null. No other format is guessed:
 * 03/04/2027 is the 3rd of April in one country and the 4th of March in another.
 */
export function parseLocalDate(text: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  try {
    return Temporal.PlainDate.from(text, { overflow: "reject" }).toString();
  } catch {
    return null;
  }
}

/**
 * The instant a shop-local date ("YYYY-MM-DD") begins in `timeZone`: its
 * first moment (local midnight, or later when a DST gap swallows midnight).
 * `localDate` of the result is the same date.
 */
export function startOfLocalDate(date: string, timeZone: string): Date {
  const day = Temporal.PlainDate.from(date, { overflow: "reject" });
  try {
    return new Date(day.toZonedDateTime({ timeZone }).epochMilliseconds);
  } catch {
    throw new RangeError(`Unknown time zone "${timeZone}"`);
  }
}

/**
 * The starts of the last `count` calendar months on the shop's calendar, oldest
 * first, ending with the current month's: instants of local midnight on the
 * 1st. For the home page's monthly charts and "this month" figures.
 */
export function monthStarts(at: Date, timeZone: string, count: number): Date[] {
  const first = zoned(at, timeZone).toPlainDate().with({ day: 1 });
  return Array.from({ length: count }, (_, i) => {
    const day = first.subtract({ months: count - 1 - i });
    return new Date(day.toZonedDateTime({ timeZone }).epochMilliseconds);
  });
}

/** "Dec 2026": a month's name on the shop's calendar, for chart labels. */
export function monthLabel(monthStart: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-US", { timeZone, month: "short", year: "numeric" }).format(monthStart);
}

/** "14:00": the hour of `instant` on the shop's wall clock, for chart labels. */
export function hourLabel(instant: Date, timeZone: string): string {
  return `${String(zoned(instant, timeZone).hour).padStart(2, "0")}:00`;
}
