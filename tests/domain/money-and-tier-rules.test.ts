// Pure rules: money parsing (exact cents, never floating point), the default
// initial purchase, tag handles, and who may join or move to which tier.
import { describe, expect, it } from "vitest";
import { centsToField, formatCents, parseMoney } from "~/domain/money";
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
    expect(parseMoney(input)).toEqual({ ok: true, cents });
  });

  it.each([
    ["", "Enter an amount"],
    ["abc", "Enter an amount in dollars, e.g. 120 or 120.50"],
    [".", "Enter an amount in dollars, e.g. 120 or 120.50"],
    ["1e3", "Enter an amount in dollars, e.g. 120 or 120.50"],
    ["12.345", "Use at most 2 decimals"],
    ["-5", "Must be 0 or more"],
    ["10000000.01", "At most $10,000,000.00"],
  ])("%j is refused: %s", (input, message) => {
    expect(parseMoney(input)).toEqual({ ok: false, message });
  });

  it("formats and round-trips through a form field", () => {
    expect(formatCents(123450)).toBe("$1,234.50");
    expect([centsToField(120000), centsToField(1250), centsToField(null)]).toEqual(["1200", "12.50", ""]);
    for (const cents of [0, 1, 29, 1999, 120050, 1_000_000_000]) expect(parseMoney(centsToField(cents))).toEqual({ ok: true, cents });
  });
});

describe("tier form", () => {
  const form = { name: "Gold", annualThreshold: "1000", initialPurchase: "", durationMonths: "12", rank: "1", discountPercent: "", upgradable: "true" };

  it("defaults the initial purchase to a twelfth of the threshold, in whole cents, and an empty discount to 0", () => {
    expect(parseTierForm(form)).toEqual({
      ok: true,
      value: { name: "Gold", annualThresholdCents: 100000, initialPurchaseCents: 8333, durationMonths: 12, rank: 1, discountPercent: 0, upgradable: true, upgradeOnly: false },
    });
    expect([defaultInitialPurchaseCents(0), defaultInitialPurchaseCents(100), defaultInitialPurchaseCents(1)]).toEqual([0, 8, 0]);
  });

  it("reports every field's first problem at once", () => {
    expect(parseTierForm({ ...form, name: "", annualThreshold: "12.345", durationMonths: "1.5", rank: "0", discountPercent: "x" })).toEqual({
      ok: false,
      errors: { name: "Name is required", annualThreshold: "Use at most 2 decimals", durationMonths: "Whole numbers only", rank: "Rank starts at 1", discountPercent: "Whole numbers only" },
    });
  });

  it("compares the initial purchase with the threshold in cents", () => {
    expect(parseTierForm({ ...form, initialPurchase: "1000.00" }).ok).toBe(true);
    expect(parseTierForm({ ...form, initialPurchase: "1000.01" })).toEqual({ ok: false, errors: { initialPurchase: "Can't be more than the annual spend threshold" } });
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
