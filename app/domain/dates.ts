// Calendar arithmetic for memberships. Pure; no clock is read here.

/** The calendar date ("YYYY-MM-DD") of `instant` in `timeZone` (IANA). */
export function localDate(instant: Date, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(instant);
  } catch {
    return instant.toISOString().slice(0, 10);
  }
}

/**
 * `start` plus `months` calendar months, clamped to the month's last day
 * (Jan 31 + 1 month = Feb 28/29), in UTC.
 */
export function addMonths(start: Date, months: number): Date {
  const d = new Date(start.getTime());
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d;
}
