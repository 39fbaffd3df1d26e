// The membership date rules (app/domain/dates.ts, ADR 0015) in three shop zones:
// Los Angeles (DST from the second Sunday of March to the first Sunday of
// November), Auckland (southern hemisphere: DST from the last Sunday of
// September to the first Sunday of April) and UTC (none). Instants are written
// with their explicit offset, so each case reads as the merchant's wall clock.
import { describe, expect, it } from "vitest";
import { addLocalDays, addMonths, hourLabel, isTimeZone, localClock, localDate, localDateTime, localDayStart, monthLabel, monthStarts, spendWindowStart, timeAgo } from "~/domain/dates";

const LA = "America/Los_Angeles";
const AKL = "Pacific/Auckland";
const UTC = "UTC";
const at = (iso: string) => new Date(iso);
const iso = (d: Date) => d.toISOString();

describe("localDate: the shop's calendar date of an instant (as shop.localTime.date)", () => {
  it.each([
    [LA, "2026-12-01T07:29:59.999Z", "2026-11-30"], // 23:29 PST, still 30 November in the shop
    [LA, "2026-12-01T08:00:00.000Z", "2026-12-01"], // midnight PST
    [LA, "2026-03-08T07:59:59.999Z", "2026-03-07"], // the evening before spring-forward (PST)
    [LA, "2026-03-09T06:59:59.999Z", "2026-03-08"], // 23:59 PDT on the 23-hour day
    [LA, "2026-11-01T08:30:00.000Z", "2026-11-01"], // 01:30 PST, the second 01:30 of the 25-hour day
    [AKL, "2026-06-30T12:00:00.000Z", "2026-07-01"], // midnight NZST, a day ahead of UTC
    [AKL, "2026-01-30T10:59:59.999Z", "2026-01-30"], // 23:59 NZDT
    [AKL, "2026-01-30T11:00:00.000Z", "2026-01-31"],
    [UTC, "2026-12-01T07:29:59.999Z", "2026-12-01"],
    [UTC, "2028-02-29T23:59:59.999Z", "2028-02-29"],
  ])("%s %s is %s", (zone, instant, date) => {
    expect(localDate(at(instant), zone)).toBe(date);
  });
});

describe("addMonths: calendar months on the shop's wall clock, clamped to the month's end", () => {
  it.each([
    // Month ends.
    [LA, "2026-01-31T23:30:00-08:00", 1, "2026-02-28T23:30:00-08:00"],
    [LA, "2028-01-31T23:30:00-08:00", 1, "2028-02-29T23:30:00-08:00"],
    [LA, "2026-03-30T23:30:00-07:00", 1, "2026-04-30T23:30:00-07:00"], // UTC months gave 29 April (issue 14)
    [LA, "2026-03-31T12:00:00-07:00", 1, "2026-04-30T12:00:00-07:00"],
    [LA, "2026-01-31T23:30:00-08:00", 2, "2026-03-31T23:30:00-07:00"], // UTC months gave 1 April local
    [AKL, "2026-01-31T00:30:00+13:00", 1, "2026-02-28T00:30:00+13:00"], // UTC months gave 1 March local
    [UTC, "2026-01-31T23:30:00Z", 1, "2026-02-28T23:30:00Z"],
    [UTC, "2026-03-31T00:00:00Z", 1, "2026-04-30T00:00:00Z"],
    [UTC, "2026-12-31T10:00:00Z", 2, "2027-02-28T10:00:00Z"],
    // Leap days.
    [LA, "2028-02-29T09:00:00-08:00", 12, "2029-02-28T09:00:00-08:00"],
    [LA, "2028-02-29T09:00:00-08:00", 48, "2032-02-29T09:00:00-08:00"],
    [AKL, "2028-02-29T23:00:00+13:00", 12, "2029-02-28T23:00:00+13:00"],
    [UTC, "2028-02-29T00:00:00Z", 12, "2029-02-28T00:00:00Z"],
    [UTC, "2027-03-29T00:00:00Z", -1, "2027-02-28T00:00:00Z"],
    // Across spring-forward: the local time of day is kept, so the UTC offset changes.
    [LA, "2026-02-08T23:30:00-08:00", 1, "2026-03-08T23:30:00-07:00"],
    [LA, "2025-11-09T23:30:00-08:00", 6, "2026-05-09T23:30:00-07:00"], // UTC months gave 10 May local (issue 14)
    [AKL, "2026-08-27T09:00:00+12:00", 1, "2026-09-27T09:00:00+13:00"],
    [UTC, "2026-02-08T23:30:00Z", 1, "2026-03-08T23:30:00Z"],
    // Across fall-back.
    [LA, "2025-10-31T23:30:00-07:00", 1, "2025-11-30T23:30:00-08:00"],
    [AKL, "2026-03-05T09:00:00+13:00", 1, "2026-04-05T09:00:00+12:00"],
    [UTC, "2025-10-31T23:30:00Z", 1, "2025-11-30T23:30:00Z"],
    // A wall time inside the spring-forward gap moves later by the gap…
    [LA, "2026-02-08T02:30:00-08:00", 1, "2026-03-08T03:30:00-07:00"],
    [AKL, "2026-08-27T02:30:00+12:00", 1, "2026-09-27T03:30:00+13:00"],
    // …and one in the repeated fall-back hour takes the first of the two.
    [LA, "2025-10-02T01:30:00-07:00", 1, "2025-11-02T01:30:00-07:00"],
    [AKL, "2026-03-05T02:30:00+13:00", 1, "2026-04-05T02:30:00+13:00"],
  ])("%s %s + %i months = %s", (zone, start, months, expected) => {
    expect(iso(addMonths(at(start), months, zone))).toBe(iso(at(expected)));
  });

  it("an enrollment at 23:30 on a month's last day ends on that local date, months later", () => {
    const enrolled = at("2026-11-30T23:30:00-08:00");
    expect(localDate(addMonths(enrolled, 6, LA), LA)).toBe("2027-05-30");
    expect(localDate(addMonths(enrolled, 12, LA), LA)).toBe("2027-11-30");
    expect(localDate(addMonths(enrolled, 3, LA), LA)).toBe("2027-02-28");
  });

  it("refuses fractional months and unknown zones in plain words", () => {
    expect(() => addMonths(at("2026-01-01T00:00:00Z"), 1.5, UTC)).toThrow(/whole number/);
    expect(() => addMonths(at("2026-01-01T00:00:00Z"), 1, "Mars/Olympus_Mons")).toThrow(/Unknown time zone "Mars\/Olympus_Mons"/);
    expect(() => localDate(at("2026-01-01T00:00:00Z"), "")).toThrow(RangeError);
  });
});

describe("spendWindowStart: the start of the same local date 12 months earlier", () => {
  it.each([
    // 365 days before 2028-03-01 is 2027-03-02 (a leap year in between); the window starts on 1 March.
    [UTC, "2028-03-01T15:00:00Z", "2027-03-01T00:00:00Z"],
    [UTC, "2027-03-01T15:00:00Z", "2026-03-01T00:00:00Z"],
    [UTC, "2028-02-29T15:00:00Z", "2027-02-28T00:00:00Z"], // a leap day: clamped to the 28th
    [LA, "2028-03-01T12:00:00-08:00", "2027-03-01T00:00:00-08:00"],
    [LA, "2028-02-29T23:30:00-08:00", "2027-02-28T00:00:00-08:00"],
    [LA, "2026-11-30T23:30:00-08:00", "2025-11-30T00:00:00-08:00"], // 1 December in UTC; 30 November in the shop
    // The window's start takes that day's own offset: summer start for a winter order, and back.
    [LA, "2027-01-15T12:00:00-08:00", "2026-01-15T00:00:00-08:00"],
    [LA, "2027-03-14T12:00:00-07:00", "2026-03-14T00:00:00-07:00"],
    [LA, "2026-03-08T12:00:00-07:00", "2025-03-08T00:00:00-08:00"], // from the spring-forward day to an ordinary winter day
    [LA, "2026-11-01T12:00:00-08:00", "2025-11-01T00:00:00-07:00"], // from the fall-back day to a summer day
    [AKL, "2026-07-01T00:30:00+12:00", "2025-07-01T00:00:00+12:00"], // still 30 June in UTC
    [AKL, "2025-11-10T12:00:00+13:00", "2024-11-10T00:00:00+13:00"],
    [AKL, "2026-04-05T12:00:00+12:00", "2025-04-05T00:00:00+13:00"],
    [AKL, "2028-02-29T10:00:00+13:00", "2027-02-28T00:00:00+13:00"],
  ])("%s at %s starts at %s", (zone, instant, expected) => {
    expect(iso(spendWindowStart(at(instant), zone))).toBe(iso(at(expected)));
  });

  it("starts exactly at local midnight: the millisecond before belongs to the day before", () => {
    for (const zone of [LA, AKL, UTC]) {
      const start = spendWindowStart(at("2026-09-30T18:00:00Z"), zone);
      expect(localDate(start, zone)).toBe(localDate(at("2025-09-30T18:00:00Z"), zone));
      expect(localDate(new Date(start.getTime() - 1), zone)).not.toBe(localDate(start, zone));
    }
  });
});

describe("isTimeZone", () => {
  it.each([
    [LA, true],
    [AKL, true],
    [UTC, true],
    ["Europe/Kyiv", true],
    ["Mars/Olympus_Mons", false],
    ["-08:00", false], // an offset has no DST: no shop's calendar
    ["", false],
  ])("%j → %s", (name, ok) => {
    expect(isTimeZone(name)).toBe(ok);
  });
});

describe("queue screen times: day starts, local clock, time ago", () => {
  it("a shop-local date starts at the zone's midnight; a date that does not exist is refused", () => {
    expect(localDayStart("2026-12-01", "Pacific/Auckland").toISOString()).toBe("2026-11-30T11:00:00.000Z");
    expect(localDayStart("2026-03-08", "America/Los_Angeles").toISOString()).toBe("2026-03-08T08:00:00.000Z");
    expect(() => localDayStart("2026-02-31", "UTC")).toThrow(RangeError);
    expect(addLocalDays("2026-03-01", -1)).toBe("2026-02-28");
  });

  it("localClock is the time alone on the same local day, else with the date; timeAgo rounds", () => {
    const now = new Date("2026-12-01T10:30:00Z"); // 23:30 in Auckland
    expect(localClock(new Date("2026-12-01T10:45:00Z"), "Pacific/Auckland", now)).toBe("23:45");
    expect(localClock(new Date("2026-12-01T11:05:00Z"), "Pacific/Auckland", now)).toBe("2026-12-02 00:05");
    expect(timeAgo(new Date(now.getTime() - 20_000), "UTC", now)).toBe("just now");
    expect(timeAgo(new Date(now.getTime() - 3 * 60_000), "UTC", now)).toBe("3 min ago");
    expect(timeAgo(new Date(now.getTime() - 5 * 3_600_000), "UTC", now)).toBe("5 h ago");
    expect(timeAgo(new Date(now.getTime() - 2 * 86_400_000), "UTC", now)).toBe("2 days ago");
    expect(timeAgo(new Date(now.getTime() - 9 * 86_400_000), "UTC", now)).toBe("2026-11-22");
    expect(localDateTime(new Date("2026-12-01T10:30:07Z"), "UTC", { seconds: true })).toBe("2026-12-01 10:30:07 UTC");
  });
});

describe("monthStarts: the home page's months, on the shop's calendar", () => {
  it("Los Angeles, late on 31 January local (already February in UTC): January is the current month", () => {
    const starts = monthStarts(at("2027-01-31T23:30:00-08:00"), LA, 3);
    expect(starts.map(iso)).toEqual(["2026-11-01T07:00:00.000Z", "2026-12-01T08:00:00.000Z", "2027-01-01T08:00:00.000Z"]);
    expect(starts.map((s) => monthLabel(s, LA))).toEqual(["Nov 2026", "Dec 2026", "Jan 2027"]);
  });

  it("Auckland across its April DST end: each month starts at local midnight, whatever the offset", () => {
    const starts = monthStarts(at("2027-05-01T00:30:00+12:00"), AKL, 3);
    expect(starts.map(iso)).toEqual(["2027-02-28T11:00:00.000Z", "2027-03-31T11:00:00.000Z", "2027-04-30T12:00:00.000Z"]);
  });

  it("UTC, twelve months back across a year end", () => {
    const starts = monthStarts(at("2027-02-15T12:00:00Z"), UTC, 12);
    expect(starts).toHaveLength(12);
    expect(iso(starts[0]!)).toBe("2026-03-01T00:00:00.000Z");
    expect(iso(starts[11]!)).toBe("2027-02-01T00:00:00.000Z");
  });

  it("hourLabel reads the shop's wall clock", () => {
    expect(hourLabel(at("2026-12-01T22:15:00Z"), LA)).toBe("14:00");
    expect(hourLabel(at("2026-12-01T22:15:00Z"), AKL)).toBe("11:00");
  });
});
