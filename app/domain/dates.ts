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
export function localDateTime(instant: Date, timeZone: string): string {
  const z = zoned(instant, timeZone);
  const name = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "short" }).formatToParts(instant).find((p) => p.type === "timeZoneName")?.value ?? timeZone;
  return `${z.toPlainDate().toString()} ${String(z.hour).padStart(2, "0")}:${String(z.minute).padStart(2, "0")} ${name}`;
}
