// The discount function against the real Discount Function API 2026-10 schema:
// the input query validates, every output coerces to the result type with
// exactly one key per operation, and the member rules hold.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  coerceInputValue,
  isInputObjectType,
  getNamedType,
  isListType,
  isNonNullType,
  parse,
  validate,
  type GraphQLInputType,
} from "graphql";
import { describe, expect, it } from "vitest";
import { Temporal } from "temporal-polyfill";
import { addMonths, localDate } from "../../../app/domain/dates";
import { membershipJson, membershipValue } from "../../../app/domain/member-display";
import { loadShopifySchema } from "../../../sandbox/fakes/shopify-schema";
import { cartLinesDiscountsGenerateRun } from "./cart_lines_discounts_generate_run";
import type { RunInput } from "./types";

const schema = loadShopifySchema("functions_discount_2026-10");
const resultType = schema.getMutationType()!.getFields().cartLinesDiscountsGenerateRun!.args[0]!.type as GraphQLInputType;

/** Coerces against the schema and checks the @oneOf rule the schema file does not mark. */
function conforms(output: unknown): string[] {
  const errors: string[] = [];
  coerceInputValue(output, resultType, (path, _value, error) => errors.push(`${path.join(".")}: ${error.message}`));
  const walk = (value: unknown, type: GraphQLInputType, path: string) => {
    const t = isNonNullType(type) ? type.ofType : type;
    if (isListType(t)) return (value as unknown[]).forEach((v, i) => walk(v, t.ofType, `${path}[${i}]`));
    const named = getNamedType(t);
    if (!isInputObjectType(named) || value === null || typeof value !== "object") return;
    const fields = named.getFields();
    const allNullable = Object.values(fields).every((f) => !isNonNullType(f.type));
    // Input objects whose fields are all optional alternatives (CartOperation,
    // ProductDiscountCandidateValue, ProductDiscountCandidateTarget) take exactly one.
    if (allNullable && ["CartOperation", "ProductDiscountCandidateValue", "ProductDiscountCandidateTarget"].includes(named.name)) {
      const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
      if (keys.length !== 1) errors.push(`${path}: ${named.name} must carry exactly one key, has ${keys.length}`);
    }
    for (const [k, v] of Object.entries(value)) if (fields[k]) walk(v, fields[k]!.type, `${path}.${k}`);
  };
  walk(output, resultType, "result");
  return errors;
}

const TIERS = { tiers: { gold: { percentage: 15, title: "Gold member 15%" }, silver: { percentage: 5, title: "Silver member 5%" } } };

function input(over: { membership?: unknown; customer?: boolean; tiers?: unknown; date?: string; lines?: [string, string][]; classes?: RunInput["discount"]["discountClasses"] } = {}): RunInput {
  const customer = over.customer === false ? null : { id: "gid://shopify/Customer/1", membership: over.membership === undefined ? null : { jsonValue: over.membership } };
  return {
    cart: {
      buyerIdentity: customer ? { customer } : null,
      lines: (over.lines ?? [["gid://shopify/CartLine/1", "40.0"]]).map(([id, amount]) => ({ id, quantity: 1, cost: { subtotalAmount: { amount } } })),
    },
    discount: { discountClasses: over.classes ?? ["PRODUCT"], tiers: over.tiers === undefined ? { jsonValue: TIERS } : over.tiers === null ? null : { jsonValue: over.tiers } },
    shop: { localTime: { date: over.date ?? "2026-11-24" } },
  };
}

const gold = { tier: "gold", tierId: "t1", expiresAt: "2027-01-10", since: "2026-01-10T00:00:00.000Z" };

describe("input query", () => {
  it("validates against the real Discount Function schema", () => {
    const source = readFileSync(join(import.meta.dirname, "cart_lines_discounts_generate_run.graphql"), "utf8");
    expect(validate(schema, parse(source)).map((e) => e.message)).toEqual([]);
    expect(validate(schema, parse("query { cart { nope } }")).length).toBeGreaterThan(0);
  });

  it("the extension's toml names the target, the query and the export", () => {
    const toml = readFileSync(join(import.meta.dirname, "../shopify.extension.toml"), "utf8");
    expect(toml).toMatch(/api_version = "2026-10"/);
    expect(toml).toMatch(/handle = "club-tiers-discount"/);
    expect(toml).toMatch(/target = "cart\.lines\.discounts\.generate\.run"/);
    expect(toml).toMatch(/input_query = "src\/cart_lines_discounts_generate_run\.graphql"/);
    expect(toml).toMatch(/export = "cart-lines-discounts-generate-run"/);
  });
});

describe("member pricing", () => {
  it("an active member gets the tier's percentage on the line", () => {
    const out = cartLinesDiscountsGenerateRun(input({ membership: gold }));
    expect(out).toEqual({
      operations: [
        {
          productDiscountsAdd: {
            selectionStrategy: "FIRST",
            candidates: [{ targets: [{ cartLine: { id: "gid://shopify/CartLine/1" } }], value: { percentage: { value: 15 } }, message: "Gold member 15%" }],
          },
        },
      ],
    });
    expect(conforms(out)).toEqual([]);
  });

  it("stays active through the last local day, and ends the day after", () => {
    expect(cartLinesDiscountsGenerateRun(input({ membership: gold, date: "2027-01-10" })).operations).toHaveLength(1);
    expect(cartLinesDiscountsGenerateRun(input({ membership: gold, date: "2027-01-11" }))).toEqual({ operations: [] });
  });

  it.each(["America/Los_Angeles", "Pacific/Auckland", "UTC"])(
    "in %s, the metafield's date (the app's localDate of expiresAt) gives the discount through the membership's last local day and not on the first expired day",
    (zone) => {
      // A 12-month membership enrolled at 23:30 local on 31 March 2026: it ends
      // at 23:30 local on 31 March 2027 (across both DST changes in both zones).
      const enrolledAt = Temporal.ZonedDateTime.from({ timeZone: zone, year: 2026, month: 3, day: 31, hour: 23, minute: 30 });
      const expiresAt = addMonths(new Date(enrolledAt.epochMilliseconds), 12, zone);
      const metafield = { ...gold, expiresAt: localDate(expiresAt, zone) };
      expect(metafield.expiresAt).toBe("2027-03-31");
      // Shopify's shop.localTime.date at an instant, on the shop's calendar.
      const at = (ms: number) => cartLinesDiscountsGenerateRun(input({ membership: metafield, date: localDate(new Date(expiresAt.getTime() + ms), zone) }));
      const MIN = 60_000;
      expect(at(-23 * 60 * MIN).operations).toHaveLength(1); // 00:30 on the last local day
      expect(at(-MIN).operations).toHaveLength(1); // 23:29, a minute before the end
      expect(at(31 * MIN).operations).toHaveLength(0); // 00:01 on the first expired day
      expect(at(24 * 60 * MIN).operations).toHaveLength(0);
    },
  );

  it("a member in grace keeps the discount through the grace period's last local day, then loses it", () => {
    // Expired on 10 January; a 14-day grace period runs through 24 January (ADR 0025).
    const inGrace = { ...gold, expiresAt: "2027-01-10", graceEndsOn: "2027-01-24" };
    expect(cartLinesDiscountsGenerateRun(input({ membership: inGrace, date: "2027-01-11" })).operations).toHaveLength(1);
    expect(cartLinesDiscountsGenerateRun(input({ membership: inGrace, date: "2027-01-24" })).operations).toHaveLength(1);
    expect(cartLinesDiscountsGenerateRun(input({ membership: inGrace, date: "2027-01-25" }))).toEqual({ operations: [] });
    // A malformed grace end is no grace; one before the expiry lends nothing.
    expect(cartLinesDiscountsGenerateRun(input({ membership: { ...inGrace, graceEndsOn: "soon" }, date: "2027-01-11" }))).toEqual({ operations: [] });
    expect(cartLinesDiscountsGenerateRun(input({ membership: { ...gold, graceEndsOn: "2027-01-01" }, date: "2027-01-10" })).operations).toHaveLength(1);
  });

  it("an expired member, a guest and a non-member get nothing", () => {
    expect(cartLinesDiscountsGenerateRun(input({ membership: { ...gold, expiresAt: "2026-11-23" } }))).toEqual({ operations: [] });
    expect(cartLinesDiscountsGenerateRun(input({ customer: false }))).toEqual({ operations: [] });
    expect(cartLinesDiscountsGenerateRun(input({ membership: undefined }))).toEqual({ operations: [] });
  });

  it("the app's value as it writes it now (ADR 0027): active discounts, an ended membership with its display fields never does", () => {
    const facts = (status: string, expiresAt: Date, endedAt: Date | null = null) => ({
      enrollment: { status, tierId: "t1", startedAt: new Date("2026-01-10T08:00:00Z"), expiresAt, endedAt, tier: { id: "t1", handle: "gold", name: "Gold", rank: 2, active: true, upgradable: true, annualThresholdCents: 120_000 } },
      tiers: [],
      spendCents: 0,
      timeZone: "America/Los_Angeles",
      currency: "USD",
      endedMessage: "Come back soon",
      now: new Date("2026-11-24T20:00:00Z"),
    });
    const active = JSON.parse(membershipJson(membershipValue(facts("active", new Date("2027-01-11T07:00:00Z")))!));
    expect(cartLinesDiscountsGenerateRun(input({ membership: active })).operations).toHaveLength(1);
    // Cancelled early: its last day is still ahead, yet the value carries no tier to discount.
    const cancelled = JSON.parse(membershipJson(membershipValue(facts("cancelled", new Date("2027-01-11T07:00:00Z"), new Date("2026-11-20T20:00:00Z")))!));
    expect(cancelled).toMatchObject({ status: "cancelled", tierHandle: "gold" });
    expect(cartLinesDiscountsGenerateRun(input({ membership: cancelled }))).toEqual({ operations: [] });
    const expired = JSON.parse(membershipJson(membershipValue(facts("expired", new Date("2026-11-20T08:00:00Z")))!));
    expect(cartLinesDiscountsGenerateRun(input({ membership: expired, date: "2026-11-19" }))).toEqual({ operations: [] });
  });

  it("a member of a tier that is not configured gets nothing", () => {
    expect(cartLinesDiscountsGenerateRun(input({ membership: { ...gold, tier: "platinum" } }))).toEqual({ operations: [] });
  });

  it("covers several lines in one candidate and skips a zero-price line", () => {
    const out = cartLinesDiscountsGenerateRun(
      input({ membership: gold, lines: [["gid://shopify/CartLine/1", "40.0"], ["gid://shopify/CartLine/2", "0.0"], ["gid://shopify/CartLine/3", "12.5"]] }),
    );
    expect(out.operations[0]!.productDiscountsAdd.candidates[0]!.targets).toEqual([
      { cartLine: { id: "gid://shopify/CartLine/1" } },
      { cartLine: { id: "gid://shopify/CartLine/3" } },
    ]);
    expect(conforms(out)).toEqual([]);
    expect(cartLinesDiscountsGenerateRun(input({ membership: gold, lines: [["gid://shopify/CartLine/2", "0.0"]] }))).toEqual({ operations: [] });
  });

  it("the tier configuration missing or malformed gives nothing; a zero percentage gives nothing", () => {
    expect(cartLinesDiscountsGenerateRun(input({ membership: gold, tiers: null }))).toEqual({ operations: [] });
    expect(cartLinesDiscountsGenerateRun(input({ membership: gold, tiers: "not json object" }))).toEqual({ operations: [] });
    expect(cartLinesDiscountsGenerateRun(input({ membership: gold, tiers: { tiers: { gold: { percentage: 0 } } } }))).toEqual({ operations: [] });
    expect(cartLinesDiscountsGenerateRun(input({ membership: { tier: "gold" } }))).toEqual({ operations: [] });
  });

  it("only applies when the discount is a product discount", () => {
    expect(cartLinesDiscountsGenerateRun(input({ membership: gold, classes: ["ORDER"] }))).toEqual({ operations: [] });
  });

  it("the conformance check itself rejects two keys in one operation and a wrong shape", () => {
    const two = { operations: [{ productDiscountsAdd: { selectionStrategy: "FIRST", candidates: [] }, orderDiscountsAdd: { selectionStrategy: "FIRST", candidates: [] } }] };
    expect(conforms(two).join()).toMatch(/exactly one key, has 2/);
    expect(conforms({ operations: [{ productDiscountsAdd: { selectionStrategy: "SOMETIMES", candidates: [] } }] }).length).toBeGreaterThan(0);
  });
});
