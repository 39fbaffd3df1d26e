// The Flow trigger extensions (extensions/flow-*/shopify.extension.toml) are
// what Shopify CLI accepts for a flow_trigger (its schema in @shopify/cli
// 4.8: a handle of at most 30 letters, digits and hyphens; field keys of
// letters and spaces; trigger field types boolean, email,
// single_line_text_field, url, number_decimal, schema.*; references
// customer/order/product/company/company_contact), and the app sends each
// one exactly the fields it declares.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { FLOW_TRIGGER_HANDLES, flowFields, MEMBERSHIP_EVENT_KINDS, type EventFacts } from "~/domain/flow-triggers";

const ROOT = resolve(import.meta.dirname, "../..");
const DIR = join(ROOT, "extensions");
type Toml = { extensions: { type: string; handle: string; name: string; description?: string }[]; settings: { fields: { type: string; key?: string; description?: string }[] } };
const triggers = readdirSync(DIR)
  .filter((d) => d.startsWith("flow-"))
  .map((d) => parse(readFileSync(join(DIR, d, "shopify.extension.toml"), "utf8")) as unknown as Toml);

const TRIGGER_TYPES = ["boolean", "email", "single_line_text_field", "url", "number_decimal"];
const REFERENCES = ["customer_reference", "order_reference", "product_reference", "company_reference", "company_contact_reference"];

const at = new Date("2026-12-01T12:00:00Z");
const base = { timeZone: "America/Los_Angeles", currency: "USD", at, tierName: "Gold", startedAt: at, expiresAt: new Date("2027-12-01T08:00:00Z"), spendCents: 123_450 };
const sample: Record<(typeof MEMBERSHIP_EVENT_KINDS)[number], EventFacts> = {
  enrolled: { ...base, kind: "enrolled" },
  tier_changed: { ...base, kind: "tier_changed", fromTierName: "Silver", direction: "up" },
  renewed: { ...base, kind: "renewed", previousExpiresAt: at },
  expiring_soon: { ...base, kind: "expiring_soon", thresholdCents: 200_000 },
  expired: { ...base, kind: "expired" },
  cancelled: { ...base, kind: "cancelled", reason: "Asked\nto leave" },
};

describe("Flow trigger extensions", () => {
  it("one per membership event, each of the shape Shopify CLI accepts", () => {
    expect(triggers.map((t) => t.extensions[0]!.handle).sort()).toEqual(Object.values(FLOW_TRIGGER_HANDLES).sort());
    for (const t of triggers) {
      const [ext, ...more] = t.extensions;
      expect(more).toEqual([]);
      expect(ext!.type).toBe("flow_trigger");
      expect(ext!.handle).toMatch(/^[a-z0-9-]{1,30}$/);
      expect(ext!.name).toMatch(/^[A-Z][a-z ]+$/); // Flow's naming: object + past tense, sentence case, no punctuation
      const fields = t.settings.fields;
      expect(fields.filter((f) => f.type === "customer_reference")).toEqual([{ type: "customer_reference" }]);
      for (const f of fields.filter((f) => !REFERENCES.includes(f.type))) {
        expect(TRIGGER_TYPES).toContain(f.type);
        expect(f.key).toMatch(/^[a-zA-Z\s]+$/);
        expect(f.description).toEqual(expect.any(String));
      }
    }
  });

  it("the app's payload for each event has exactly the declared keys, of the declared types", () => {
    for (const kind of MEMBERSHIP_EVENT_KINDS) {
      const t = triggers.find((x) => x.extensions[0]!.handle === FLOW_TRIGGER_HANDLES[kind])!;
      const declared = t.settings.fields.filter((f) => f.key).map((f) => [f.key!, f.type === "number_decimal" ? "number" : "string"]);
      const payload = flowFields(sample[kind]);
      expect(Object.entries(payload).map(([k, v]) => [k, typeof v]).sort()).toEqual(declared.sort());
    }
    expect(flowFields(sample.enrolled)).toMatchObject({ "Spend in window": 1234.5, "Started on": "2026-12-01", "Expires on": "2027-12-01", Currency: "USD" });
    expect(flowFields(sample.expiring_soon)).toMatchObject({ "Days left": 365, "Spend to renew": 765.5 });
    expect(flowFields(sample.cancelled).Reason).toBe("Asked to leave");
  });
});
