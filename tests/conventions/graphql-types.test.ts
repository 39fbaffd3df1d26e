// Typed Admin GraphQL (.graphqlrc.ts, app/integrations/shopify/admin-operations.ts):
// TypeScript refuses a document the generated types don't have, the result is
// typed from what the document selects, `graphql:check` fails on stale types,
// and every place that names the Admin API version agrees with the one constant.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "smol-toml";
import { afterAll, describe, expect, it } from "vitest";
import { ADMIN_API_VERSION } from "~/integrations/shopify/api-version";
import { SHOP_QUERY } from "~/integrations/shopify/operations";
import { API_VERSION } from "~/shopify.server";

const ROOT = resolve(import.meta.dirname, "../..");
mkdirSync(join(ROOT, "tmp"), { recursive: true });
// Inside the repository (git-ignored tmp/), so the fixtures resolve `~/` and node_modules as app code does.
const dir = mkdtempSync(join(ROOT, "tmp/graphql-types-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs tsc on `files` (plus the generated types) with the project's settings; returns each error as "file(line): TScode". */
function typecheck(files: Record<string, string>): { errors: string[]; output: string } {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(
    join(dir, "tsconfig.json"),
    // `exclude: []`: the project's own config leaves tmp/ out.
    JSON.stringify({ extends: "../../tsconfig.json", include: [...Object.keys(files), "../../env.d.ts", "../../app/types/*.d.ts"], exclude: [] }),
  );
  const run = spawnSync(join(ROOT, "node_modules/.bin/tsc"), ["-p", join(dir, "tsconfig.json"), "--noEmit", "--pretty", "false"], { cwd: ROOT, encoding: "utf8" });
  const output = run.stdout + run.stderr;
  const errors = [...output.matchAll(/^(?:.*\/)?([^/\s(]+)\((\d+),\d+\): error (TS\d+)/gm)].map(([, file, line, code]) => `${file}(${line}): ${code}`);
  return { errors, output };
}

const header = `import type { ShopifyAdmin } from "~/integrations/shopify/admin.server";\ndeclare const admin: ShopifyAdmin;\n`;

describe("typed Admin GraphQL", () => {
  it("typecheck refuses a document that selects a field the generated types don't have, and types results from the selection", () => {
    // The app's shop query with one more field, as if edited without running codegen.
    const stale = SHOP_QUERY.replace("ianaTimezone", "ianaTimezone email");
    expect(stale).not.toBe(SHOP_QUERY);
    const { errors, output } = typecheck({
      "stale.ts": `${header}const STALE = ${JSON.stringify(stale)};\nexport const run = () => admin.request(STALE);\n`,
      "fresh.ts":
        `${header}const SHOP = ${JSON.stringify(SHOP_QUERY)};\n` +
        `export async function run() {\n` +
        `  const data = await admin.request(SHOP);\n` +
        `  const zone: string = data.shop.ianaTimezone;\n` +
        `  return [zone, data.shop.email];\n` + // not selected: not in the result type
        `}\n`,
      "variables.ts":
        `import { MEMBER_STATE_QUERY } from "~/integrations/shopify/operations";\n${header}` +
        `export const run = () => admin.request(MEMBER_STATE_QUERY, { customerId: "gid://shopify/Customer/1" });\n`,
    });
    expect(errors, output).toEqual([
      "fresh.ts(7): TS2339", // Property 'email' does not exist on the selected shop
      "stale.ts(4): TS2345", // the edited document is not a generated one
      "variables.ts(4): TS2353", // MEMBER_STATE_QUERY takes `id`, not `customerId`
    ].sort());
  }, 120_000);

  it("graphql:check fails when the committed types are stale, naming the file", () => {
    const copy = join(dir, "types");
    cpSync(join(ROOT, "app/types"), copy, { recursive: true });
    const generated = join(copy, "admin.generated.d.ts");
    writeFileSync(generated, readFileSync(generated, "utf8").replace("ianaTimezone", "ianaTimezone' | 'email"));
    const run = spawnSync(process.execPath, [join(ROOT, "scripts/graphql-check.mjs"), "--against", copy], { cwd: ROOT, encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/stale GraphQL types in .*: admin\.generated\.d\.ts\. Run `npm run graphql:codegen`/);
  }, 120_000);

  it("one Admin API version: the library config, the app's webhooks and the codegen all use ADMIN_API_VERSION", () => {
    expect(API_VERSION).toBe(ADMIN_API_VERSION);
    const app = parse(readFileSync(join(ROOT, "shopify.app.toml"), "utf8")) as { webhooks: { api_version: string } };
    expect(app.webhooks.api_version).toBe(ADMIN_API_VERSION);
    expect(readFileSync(join(ROOT, ".graphqlrc.ts"), "utf8")).toMatch(/apiVersion: ADMIN_API_VERSION/);
    // No other code spells the version out (comments may; the Discount Function API and the Customer Account API have their own versions).
    const lines = execFileSync("git", ["grep", "-n", "--untracked", "-E", `${ADMIN_API_VERSION}|October26`, "--", "app", "sandbox", "tests", "scripts", "bench", ".graphqlrc.ts"], { cwd: ROOT, encoding: "utf8" })
      .split("\n")
      .filter(Boolean);
    const spelled = lines.filter((l) => {
      const [file, , ...rest] = l.split(":");
      const code = rest.join(":");
      return !["app/integrations/shopify/api-version.ts", "tests/conventions/graphql-types.test.ts", "tests/conventions/customer-account.test.ts"].includes(file!) && !file!.startsWith("app/types/") && !/^\s*\/\//.test(code) && !/functions_discount_|customer_2026-10/.test(code);
    });
    expect(spelled).toEqual([]);
  });
});
