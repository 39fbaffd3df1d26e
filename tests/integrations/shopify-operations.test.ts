// Every Admin operation in app/integrations/shopify/operations.ts validates
// against the real Admin API schema of ADMIN_API_VERSION.
import { NoDeprecatedCustomRule, parse, specifiedRules, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { ALL_OPERATIONS } from "~/integrations/shopify/operations";
import { ADMIN_SCHEMA, loadShopifySchema } from "../../sandbox/fakes/shopify-schema";

describe("Admin GraphQL operations", () => {
  const schema = loadShopifySchema(ADMIN_SCHEMA);

  for (const [name, source] of Object.entries(ALL_OPERATIONS)) {
    it(`${name} is valid against ${ADMIN_SCHEMA}`, () => {
      const errors = validate(schema, parse(source)).map((e) => e.message);
      expect(errors).toEqual([]);
    });
  }

  it("the validation itself catches a wrong field (the test can fail)", () => {
    const errors = validate(schema, parse("query { shop { noSuchField } }"));
    expect(errors.length).toBeGreaterThan(0);
  });

  it("uses no deprecated field, argument or enum value", () => {
    for (const [name, source] of Object.entries(ALL_OPERATIONS)) {
      const errors = validate(schema, parse(source), [...specifiedRules, NoDeprecatedCustomRule]).map((e) => e.message);
      expect(errors, name).toEqual([]);
    }
    const deprecated = validate(schema, parse("query { customers(first: 1) { nodes { email } } }"), [NoDeprecatedCustomRule]);
    expect(deprecated.map((e) => e.message).join()).toMatch(/deprecated/);
  });
});
