// The extension's view: from the metafield the app writes (built here by the
// app's own builder, app/domain/member-display.ts) to what the member reads.
import { describe, expect, it } from "vitest";
import { membershipValue, type DisplayTier, type MembershipFacts } from "../../../app/domain/member-display";
import { formatMoney as appFormatMoney } from "../../../app/domain/money";
import { formatMoney, localToday, memberView } from "./view";

const silver: DisplayTier = { id: "t1", handle: "silver", name: "Silver", rank: 1, active: true, upgradable: true, annualThresholdCents: 60_000 };
const gold: DisplayTier = { id: "t2", handle: "gold", name: "Gold", rank: 2, active: true, upgradable: true, annualThresholdCents: 120_000 };
const NOW = new Date("2026-12-01T18:00:00Z"); // 10:00 on 1 December in Los Angeles

function facts(over: Partial<MembershipFacts> & { status?: string; tier?: DisplayTier; expiresAt?: Date; endedAt?: Date | null } = {}): MembershipFacts {
  const tier = over.tier ?? silver;
  return {
    enrollment: {
      status: over.status ?? "active",
      tierId: tier.id,
      startedAt: new Date("2026-03-01T18:00:00Z"),
      expiresAt: over.expiresAt ?? new Date("2027-03-01T18:00:00Z"),
      endedAt: over.endedAt ?? null,
      tier,
    },
    tiers: [silver, gold],
    spendCents: 45_000,
    timeZone: "America/Los_Angeles",
    currency: "USD",
    endedMessage: null,
    now: NOW,
    ...over,
  };
}

/** The metafield as the Customer Account API returns it. */
const field = (f: MembershipFacts) => ({ jsonValue: JSON.parse(JSON.stringify(membershipValue(f))) });

describe("the member's view", () => {
  it("active with progress: tier, expiry on the shop's calendar, spend in the window, and what is left to the next tier by the last day", () => {
    expect(memberView(field(facts()), NOW)).toEqual({
      kind: "member",
      status: "active",
      heading: "Silver member",
      badge: "Active",
      tone: "success",
      lines: ["Member until March 1, 2027", "$450.00 spent since December 1, 2025"],
      progress: { line: "Spend $750.00 more by March 1, 2027 to reach Gold", percent: 37 },
      message: null,
    });
  });

  it("top tier: no next tier to reach", () => {
    const view = memberView(field(facts({ tier: gold, spendCents: 130_000 })), NOW);
    expect(view).toMatchObject({ kind: "member", heading: "Gold member", progress: { line: "Gold is our top tier", percent: 100 } });
  });

  it("a tier that cannot be upgraded shows no progress, and does not call itself the top tier", () => {
    const locked = { ...silver, upgradable: false };
    const view = memberView(field(facts({ tier: locked, tiers: [locked, gold] })), NOW);
    expect(view).toMatchObject({ kind: "member", progress: null });
  });

  it("expiring within 14 days says so, counted in the shop's days; 15 days out does not", () => {
    // Last day 14 December in Los Angeles (the instant is early on the 15th UTC).
    const soon = memberView(field(facts({ expiresAt: new Date("2026-12-15T05:00:00Z") })), NOW);
    expect(soon).toMatchObject({ tone: "warning", badge: "Ending soon", lines: ["Member until December 14, 2026", "Your membership ends in 13 days.", "$450.00 spent since December 1, 2025"] });
    const lastDay = memberView(field(facts({ expiresAt: new Date("2026-12-02T07:00:00Z") })), NOW);
    expect(lastDay).toMatchObject({ tone: "warning", lines: ["Member until December 1, 2026", "Your membership ends today.", expect.any(String)] });
    const later = memberView(field(facts({ expiresAt: new Date("2026-12-17T07:00:00Z") })), NOW);
    expect(later).toMatchObject({ tone: "success", badge: "Active" });
    expect((later as { lines: string[] }).lines).toHaveLength(2);
  });

  it("grace: the membership reached its end, the benefits last until the grace end, and an order renews it", () => {
    // The app's builder writes grace from the membership's graceEndsAt (ADR 0025).
    const f = facts({ expiresAt: new Date("2026-11-20T18:00:00Z") });
    const value = membershipValue({ ...f, enrollment: { ...f.enrollment!, graceEndsAt: new Date("2026-12-20T18:00:00Z") } })!;
    expect(value).toMatchObject({ status: "grace", tier: "silver", expiresAt: "2026-11-20", graceEndsOn: "2026-12-20", next: { name: "Gold", by: "2026-12-20" } });
    expect(memberView({ jsonValue: value }, NOW)).toMatchObject({
      kind: "member",
      status: "grace",
      badge: "Renewal due",
      tone: "warning",
      lines: ["Your membership reached its end on November 20, 2026. You keep your Silver benefits until December 20, 2026: an order by then renews it.", "$450.00 spent since December 1, 2025"],
    });
    // Grace without its end date is not something we can show.
    expect(memberView({ jsonValue: { ...value, graceEndsOn: undefined } }, NOW)).toMatchObject({ kind: "unavailable" });
  });

  it("expired: says when, with the merchant's line", () => {
    const view = memberView(field(facts({ status: "expired", expiresAt: new Date("2026-11-02T07:30:00Z"), endedMessage: "  Renew any time at the cellar door.  " })), NOW);
    expect(view).toEqual({
      kind: "member",
      status: "expired",
      heading: "Silver membership expired",
      badge: "Expired",
      tone: "neutral",
      lines: ["Your Silver membership expired on November 1, 2026."],
      progress: null,
      message: "Renew any time at the cellar door.",
    });
  });

  it("cancelled: says when it was cancelled (the shop's date), and no merchant line when none is set", () => {
    const view = memberView(field(facts({ status: "cancelled", endedAt: new Date("2026-11-28T06:00:00Z") })), NOW);
    expect(view).toMatchObject({ kind: "member", status: "cancelled", heading: "Silver membership cancelled", lines: ["Your Silver membership was cancelled on November 27, 2026."], message: null });
  });

  it("no membership: the customer has no metafield (or the app wrote none)", () => {
    expect(memberView(null, NOW)).toEqual({ kind: "none", heading: "Club membership", lines: ["You're not a club member yet."] });
    expect(memberView(undefined, NOW)).toMatchObject({ kind: "none" });
    expect(membershipValue({ ...facts(), enrollment: null })).toBeNull();
    expect(membershipValue(facts({ status: "upgraded" }))).toBeNull();
  });

  it("missing or malformed values show as unavailable, never as a wrong tier", () => {
    const good = membershipValue(facts())!;
    for (const bad of [
      { jsonValue: null },
      {},
      { value: "{not json" },
      { jsonValue: "silver" },
      { jsonValue: [good] },
      { jsonValue: { ...good, v: "2" } },
      { jsonValue: { ...good, status: "paused" } },
      { jsonValue: { ...good, tierName: "" } },
      { jsonValue: { ...good, expiresAt: "1 March 2027" } },
      { jsonValue: { ...good, expiresAt: "2027-02-30" } },
      { jsonValue: { ...good, spendMinor: 12.5 } },
      { jsonValue: { ...good, spendMinor: -1 } },
      { jsonValue: { ...good, next: { name: "Gold" } } },
      { jsonValue: { ...good, currency: "DOLLARS" } },
      { jsonValue: { ...good, zone: "Mars/Olympus" } },
      { jsonValue: { ...good, status: "expired" } }, // no endedOn
    ]) {
      expect(memberView(bad, NOW), JSON.stringify(bad)).toMatchObject({ kind: "unavailable" });
    }
    // The raw text (the `value` field) reads the same as jsonValue.
    expect(memberView({ value: JSON.stringify(good) }, NOW)).toEqual(memberView({ jsonValue: good }, NOW));
  });

  it("a value written before display fields (v1) still shows the expiry", () => {
    expect(memberView({ jsonValue: { tier: "silver", tierId: "t1", expiresAt: "2027-03-01", since: "2026-03-01T18:00:00.000Z" } }, NOW)).toMatchObject({
      kind: "member",
      status: "active",
      lines: ["Member until March 1, 2027"],
      progress: null,
    });
  });
});

describe("money and dates in the shop's currency and zone", () => {
  it("formats minor units with the currency's own decimals", () => {
    expect(formatMoney(123_456, "USD")).toBe("$1,234.56");
    expect(formatMoney(12_000, "JPY")).toBe("¥12,000");
    expect(formatMoney(1_250, "KWD")).toBe("KWD\u00a01.250");
    expect(formatMoney(900_719_925_474_099, "USD")).toBe("$9,007,199,254,740.99");
    // The same text as the app's own formatter (app/domain/money.ts), which the bundle does not import.
    for (const [minor, currency] of [[5, "USD"], [-1_999, "EUR"], [7, "JPY"], [1, "KWD"], [123_456_789, "GBP"]] as const) {
      expect(formatMoney(minor, currency)).toBe(appFormatMoney(minor, currency));
    }
  });

  it("a JPY shop's progress line has no decimals; a KWD shop's has three", () => {
    const yen = memberView(field(facts({ currency: "JPY", spendCents: 4_500, tiers: [silver, { ...gold, annualThresholdCents: 12_000 }] })), NOW);
    expect(yen).toMatchObject({ progress: { line: "Spend ¥7,500 more by March 1, 2027 to reach Gold" } });
    const dinar = memberView(field(facts({ currency: "KWD", spendCents: 45_000, tiers: [silver, { ...gold, annualThresholdCents: 120_500 }] })), NOW);
    expect(dinar).toMatchObject({ progress: { line: "Spend KWD\u00a075.500 more by March 1, 2027 to reach Gold" } });
  });

  it("today is the shop's date: Auckland is already on the next day", () => {
    expect(localToday(NOW, "America/Los_Angeles")).toBe("2026-12-01");
    expect(localToday(new Date("2026-12-01T12:00:00Z"), "Pacific/Auckland")).toBe("2026-12-02");
    // Auckland's last day, 1 December, has passed there though it is still 1 December in UTC:
    // an active value not yet replaced by the expiry reads as expired, as the discount function has it.
    const value = { ...membershipValue(facts({ timeZone: "Pacific/Auckland", expiresAt: new Date("2026-12-01T10:00:00Z") }))! };
    expect(value.expiresAt).toBe("2026-12-01");
    expect(memberView({ jsonValue: value }, new Date("2026-12-01T10:30:00Z"))).toMatchObject({ status: "active", lines: ["Member until December 1, 2026", "Your membership ends today.", expect.any(String)] });
    expect(memberView({ jsonValue: value }, new Date("2026-12-01T12:00:00Z"))).toMatchObject({ status: "expired", lines: ["Your Silver membership expired on December 1, 2026."] });
  });
});
