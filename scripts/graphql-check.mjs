// Fails when the committed GraphQL types (app/types) are not what
// `npm run graphql:codegen` makes of the documents today: regenerates them into
// a temporary folder (offline, see .graphqlrc.ts) and compares file by file.
// `--against <dir>` compares with another folder instead (its test).
// Then validates the customer-account extensions' query against the real
// Customer Account API schema of their version (customerAccountQueryErrors).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { buildClientSchema, parse, validate } from "graphql";

const root = resolve(import.meta.dirname, "..");
const at = process.argv.indexOf("--against");
const committed = resolve(root, at > 0 ? process.argv[at + 1] : "app/types");
const fresh = mkdtempSync(join(tmpdir(), "club-tiers-graphql-"));

try {
  try {
    execFileSync(join(root, "node_modules/.bin/graphql-codegen"), [], {
      cwd: root,
      env: { ...process.env, GRAPHQL_TYPES_DIR: fresh },
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    console.error(String(error.stdout ?? ""), String(error.stderr ?? ""));
    console.error("graphql:check: codegen failed (a document the Admin schema rejects?)");
    process.exit(1);
  }
  const names = [...new Set([...readdirSync(fresh), ...(existsSync(committed) ? readdirSync(committed) : [])])].sort();
  const stale = names.filter((name) => {
    const a = join(fresh, name);
    const b = join(committed, name);
    return !existsSync(a) || !existsSync(b) || !readFileSync(a).equals(readFileSync(b));
  });
  if (stale.length) {
    console.error(`graphql:check: stale GraphQL types in ${committed}: ${stale.join(", ")}. Run \`npm run graphql:codegen\` and commit the result.`);
    process.exit(1);
  }
  console.log(`graphql:check: ${names.join(", ")} up to date`);
  const errors = customerAccountQueryErrors(root);
  if (errors.length) {
    console.error(`graphql:check: the customer-account query does not validate: ${errors.join("; ")}`);
    process.exit(1);
  }
  console.log("graphql:check: the customer-account query validates against the Customer Account API");
} finally {
  rmSync(fresh, { recursive: true, force: true });
}

/**
 * The Customer Account API query of extensions/member-display/src/query.ts
 * (the one template literal it exports) against that API's schema of the extensions' version
 * introspection in @shopify/dev-mcp. Returns GraphQL's messages, or [] when valid.
 */
function customerAccountQueryErrors(dir, file = join(dir, "extensions/member-display/src/query.ts")) {
  const source = readFileSync(file, "utf8");
  const documents = [...source.matchAll(/=\s*`([^`]*)`/g)].map((m) => m[1]);
  if (documents.length === 0) return [`no query found in ${file}`];
  const json = JSON.parse(gunzipSync(readFileSync(join(dir, "node_modules/@shopify/dev-mcp/dist/data/customer_2026-10.json.gz"))).toString("utf8"));
  const schema = buildClientSchema(json.data ?? json);
  return documents.flatMap((doc) => {
    try {
      return validate(schema, parse(doc)).map((e) => e.message);
    } catch (error) {
      return [String(error.message ?? error)];
    }
  });
}
