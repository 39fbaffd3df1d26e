// Pure rules: money parsing (exact minor units of the shop's currency, never floating point), the default
// initial purchase, tag handles, and who may join or move to which tier.
import { describe, expect, it } from "vitest";
import { decimalToMinor, formatMoney, minorDigits, moneyToField, parseMoney } from "~/domain/money";
import { defaultInitialPurchaseCents, handleFor, newMemberRefusal, parseTierForm, qualifies, tierChangeRefusal } from "~/domain/tiers";

describe("parseMoney", () => {
  it.each([
    ["1200", 120000],
    ["1,200.5", 120050],
    ["$1200.50", 120050],
    [" 12 ", 1200],
    ["0.1", 10],
    ["0.29", 29], // 0.29 * 100 is 28.999999999999996 in floating point
    [".5", 50],
    ["19.99", 1999],
    ["0", 0],
  ])("%j → %i cents", (input, cents) => {
    expect(parseMoney(input, "USD")).toEqual({ ok: true, minor: cents });
  });

  it.each([
    ["", "Enter an amount"],
    ["abc", "Enter an amount in USD, e.g. 120 or 120.50"],
    [".", "Enter an amount in USD, e.g. 120 or 120.50"],
    ["1e3", "Enter an amount in USD, e.g. 120 or 120.50"],
    ["12.345", "Use at most 2 decimals"],
    ["-5", "Must be 0 or more"],
    ["10000000.01", "At most $10,000,000.00"],
  ])("%j is refused: %s", (input, message) => {
    expect(parseMoney(input, "USD")).toEqual({ ok: false, message });
  });

  it("formats and round-trips through a form field", () => {
    expect(formatMoney(123450, "USD")).toBe("$1,234.50");
    expect([moneyToField(120000, "USD"), moneyToField(1250, "USD"), moneyToField(null, "USD")]).toEqual(["1200", "12.50", ""]);
    for (const cents of [0, 1, 29, 1999, 120050, 1_000_000_000]) expect(parseMoney(moneyToField(cents, "USD"), "USD")).toEqual({ ok: true, minor: cents });
  });
});

describe("money in the shop's currency, with its own minor units", () => {
  it("knows each currency's decimals: USD 2, JPY 0, KWD 3", () => {
    expect([minorDigits("USD"), minorDigits("JPY"), minorDigits("KWD"), minorDigits("EUR")]).toEqual([2, 0, 3, 2]);
  });

  it("JPY: ¥12,000 with no decimals, typed and shown; a decimal is refused", () => {
    expect(formatMoney(12_000, "JPY")).toBe("¥12,000");
    expect(parseMoney("¥12,000", "JPY")).toEqual({ ok: true, minor: 12_000 });
    expect(parseMoney("12000.00", "JPY")).toEqual({ ok: true, minor: 12_000 });
    expect(parseMoney("12000.5", "JPY")).toEqual({ ok: false, message: "JPY amounts have no decimals" });
    expect(moneyToField(12_000, "JPY")).toBe("12000");
    expect(decimalToMinor("12000", "JPY")).toBe(12_000);
    expect(decimalToMinor("12000.5", "JPY")).toBe(12_001); // past the currency's decimals: half up
  });

  it("KWD: three decimals, typed and shown", () => {
    expect(formatMoney(1_250, "KWD")).toBe("KWD\u00a01.250");
    expect(parseMoney("1.25", "KWD")).toEqual({ ok: true, minor: 1_250 });
    expect(parseMoney("1.2345", "KWD")).toEqual({ ok: false, message: "Use at most 3 decimals" });
    expect(moneyToField(1_250, "KWD")).toBe("1.250");
    expect(decimalToMinor("0.125", "KWD")).toBe(125);
  });

  it("formats exactly, however large (no division that rounds)", () => {
    expect(formatMoney(2_999_999_999, "USD")).toBe("$29,999,999.99");
    expect(formatMoney(Number.MAX_SAFE_INTEGER, "USD")).toBe("$90,071,992,547,409.91");
    expect(formatMoney(Number.MAX_SAFE_INTEGER, "KWD")).toBe("KWD\u00a09,007,199,254,740.991");
  });

  it("an unknown currency is no amount", () => {
    expect(decimalToMinor("1.00", "XYZ1")).toBeNull();
    expect(decimalToMinor("1.00", "usd")).toBeNull();
  });
});

describe("tier form", () => {
  const form = { name: "Gold", annualThreshold: "1000", initialPurchase: "", durationMonths: "12", rank: "1", discountPercent: "", upgradable: "true" };

  it("defaults the initial purchase to a twelfth of the threshold, in whole cents, and an empty discount to 0", () => {
    expect(parseTierForm(form, "USD")).toEqual({
      ok: true,
      value: { name: "Gold", annualThresholdCents: 100000, initialPurchaseCents: 8333, durationMonths: 12, rank: 1, discountPercent: 0, upgradable: true, upgradeOnly: false, graceDays: 0, stepDown: false },
    });
    expect([defaultInitialPurchaseCents(0), defaultInitialPurchaseCents(100), defaultInitialPurchaseCents(1)]).toEqual([0, 8, 0]);
  });

  it("reports every field's first problem at once", () => {
    expect(parseTierForm({ ...form, name: "", annualThreshold: "12.345", durationMonths: "1.5", rank: "0", discountPercent: "x" }, "USD")).toEqual({
      ok: false,
      errors: { name: "Name is required", annualThreshold: "Use at most 2 decimals", durationMonths: "Whole numbers only", rank: "Rank starts at 1", discountPercent: "Whole numbers only" },
    });
  });

  it("a JPY tier: whole yen, and a twelfth of ¥12,000 is ¥1,000", () => {
    expect(parseTierForm({ ...form, annualThreshold: "12,000" }, "JPY")).toMatchObject({ ok: true, value: { annualThresholdCents: 12_000, initialPurchaseCents: 1_000 } });
    expect(parseTierForm({ ...form, annualThreshold: "12000.5" }, "JPY")).toEqual({ ok: false, errors: { annualThreshold: "JPY amounts have no decimals" } });
  });

  it("a grace period of 0 to 90 whole days (empty: none), and stepping down as a checkbox", () => {
    expect(parseTierForm({ ...form, graceDays: "30", stepDown: "true" }, "USD")).toMatchObject({ ok: true, value: { graceDays: 30, stepDown: true } });
    expect(parseTierForm({ ...form, graceDays: " " }, "USD")).toMatchObject({ ok: true, value: { graceDays: 0, stepDown: false } });
    expect(parseTierForm({ ...form, graceDays: "91" }, "USD")).toEqual({ ok: false, errors: { graceDays: "At most 90 days" } });
    expect(parseTierForm({ ...form, graceDays: "-1" }, "USD")).toEqual({ ok: false, errors: { graceDays: "0 or more days" } });
    expect(parseTierForm({ ...form, graceDays: "2.5" }, "USD")).toEqual({ ok: false, errors: { graceDays: "Whole numbers only" } });
  });

  it("compares the initial purchase with the threshold in cents", () => {
    expect(parseTierForm({ ...form, initialPurchase: "1000.00" }, "USD").ok).toBe(true);
    expect(parseTierForm({ ...form, initialPurchase: "1000.01" }, "USD")).toEqual({ ok: false, errors: { initialPurchase: "Can't be more than the annual spend threshold" } });
  });
});

describe("handles", () => {
  it.each([
    ["Gold", "gold"],
    ["Rosé Club", "rose-club"],
    ["  Cellar  Master's  ", "cellar-masters"],
    ["Über_Gold--Tier", "uber-gold-tier"],
    ["🍷", "tier"],
    ["-Gold-", "gold"],
  ])("%j → %j", (name, handle) => {
    expect(handleFor(name)).toBe(handle);
  });
});

describe("who may join or move", () => {
  const tier = (over: Partial<{ id: string; name: string; rank: number; active: boolean; upgradable: boolean; upgradeOnly: boolean }> = {}) => ({
    id: "t1",
    name: "Silver",
    rank: 1,
    active: true,
    upgradable: true,
    upgradeOnly: false,
    ...over,
  });

  it("new members join active tiers that are not upgrade-only", () => {
    expect(newMemberRefusal(tier())).toBeNull();
    expect(newMemberRefusal(null)).toBe("Choose an active tier");
    expect(newMemberRefusal(tier({ active: false }))).toBe("Choose an active tier");
    expect(newMemberRefusal(tier({ name: "Reserve", upgradeOnly: true }))).toBe("Reserve is reached by upgrading only; choose another tier");
  });

  it("upgrades need an upgradable tier; moving down is always allowed; upgrade-only tiers are valid targets", () => {
    const silver = tier();
    const gold = tier({ id: "t2", name: "Gold", rank: 2, upgradeOnly: true });
    expect(tierChangeRefusal(silver, gold)).toBeNull();
    expect(tierChangeRefusal({ ...silver, upgradable: false }, gold)).toBe("Members of Silver can't be upgraded (the tier is not upgradable).");
    expect(tierChangeRefusal({ ...gold, upgradable: false }, silver)).toBeNull();
    expect(tierChangeRefusal(silver, silver)).toBe("The member is already in this tier.");
    expect(tierChangeRefusal(silver, { ...gold, active: false })).toBe("Choose an active tier.");
  });

  it("qualifies when recorded spend meets the initial purchase", () => {
    expect([qualifies(9999, { initialPurchaseCents: 10000 }), qualifies(10000, { initialPurchaseCents: 10000 })]).toEqual([false, true]);
  });
});
