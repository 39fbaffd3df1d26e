// The customer-account extensions (extensions/member-display, extensions/member-page)
// and the metafield they read: the query validates against the real Customer
// Account API 2026-10 schema, the app declares `$app:membership` with
// customer-account read access (declarative custom data in shopify.app.toml),
// and the extension configuration names targets and files that exist.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse as parseGraphql, validate } from "graphql";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { APP_NAMESPACE, MEMBERSHIP_KEY } from "~/integrations/shopify/operations";
import { MEMBERSHIP_QUERY } from "../../extensions/member-display/src/query";
import { loadShopifySchema } from "../../sandbox/fakes/shopify-schema";

const ROOT = resolve(import.meta.dirname, "../..");
const schema = loadShopifySchema("customer_2026-10");
const errorsOf = (doc: string) => validate(schema, parseGraphql(doc)).map((e) => e.message);

type ExtensionToml = { api_version: string; extensions: { handle: string; type: string; capabilities?: { api_access?: boolean }; targeting: { target: string; module: string }[] }[] };
const toml = (dir: string) => parse(readFileSync(join(ROOT, "extensions", dir, "shopify.extension.toml"), "utf8")) as unknown as ExtensionToml;

describe("the customer-account extensions", () => {
  it("their query validates against the Customer Account API 2026-10 and reads the app's membership metafield", () => {
    expect(errorsOf(MEMBERSHIP_QUERY)).toEqual([]);
    expect(MEMBERSHIP_QUERY).toContain(`metafield(namespace: "${APP_NAMESPACE}", key: "${MEMBERSHIP_KEY}")`);
    // The same check refuses what the schema does not have.
    expect(errorsOf(MEMBERSHIP_QUERY.replace("jsonValue", "jsonValue tier"))).toEqual([expect.stringMatching(/Cannot query field "tier" on type "Metafield"/)]);
    expect(errorsOf(MEMBERSHIP_QUERY.replace("customer {", "customer(id: 1) {"))).not.toEqual([]);
  });

  it("a profile block and a full page, each on API 2026-10 with API access, their modules present; the block links to the page by its handle", () => {
    const block = toml("member-display");
    const page = toml("member-page");
    for (const t of [block, page]) {
      expect(t.api_version).toBe("2026-10");
      expect(t.extensions).toHaveLength(1);
      expect(t.extensions[0]).toMatchObject({ type: "ui_extension", capabilities: { api_access: true } });
    }
    const dirs = { "member-display": block, "member-page": page };
    for (const [dir, t] of Object.entries(dirs)) {
      for (const target of t.extensions[0]!.targeting) expect(existsSync(join(ROOT, "extensions", dir, target.module)), target.module).toBe(true);
    }
    expect(block.extensions[0]!.targeting.map((t) => t.target)).toEqual(["customer-account.profile.block.render"]);
    // A full-page target cannot share its extension with another target.
    expect(page.extensions[0]!.targeting.map((t) => t.target)).toEqual(["customer-account.page.render"]);
    const blockModule = readFileSync(join(ROOT, "extensions/member-display", block.extensions[0]!.targeting[0]!.module), "utf8");
    expect(blockModule).toContain(`href="extension://${page.extensions[0]!.handle}"`);
  });

  it("their packages are the 2026-10 UI extensions API, and nothing else of the app is imported by the bundle", () => {
    for (const dir of ["member-display", "member-page"]) {
      const pkg = JSON.parse(readFileSync(join(ROOT, "extensions", dir, "package.json"), "utf8")) as { dependencies: Record<string, string> };
      expect(pkg.dependencies["@shopify/ui-extensions"]).toMatch(/^2026\.10\./);
    }
    for (const file of ["view.ts", "query.ts", "use-member-view.tsx", "ProfileBlock.tsx"]) {
      const text = readFileSync(join(ROOT, "extensions/member-display/src", file), "utf8");
      expect(text, file).not.toMatch(/from "(~\/|\.\.\/\.\.\/\.\.\/app)/);
    }
  });
});

describe("shopify.app.toml", () => {
  it("declares `$app:membership` on customers as JSON the Customer Account API can read", () => {
    const app = parse(readFileSync(join(ROOT, "shopify.app.toml"), "utf8")) as {
      customer?: { metafields?: { app?: Record<string, { type?: string; name?: string; access?: { customer_account?: string; admin?: string } }> } };
    };
    const definition = app.customer?.metafields?.app?.[MEMBERSHIP_KEY];
    expect(definition).toMatchObject({ type: "json", access: { customer_account: "read" } });
    expect(definition!.name).toBeTruthy();
    // `$app` in our GraphQL is the `app` namespace of the declaration.
    expect(APP_NAMESPACE).toBe("$app");
  });
});
