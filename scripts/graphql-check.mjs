// Fails when the committed GraphQL types (app/types) are not what
// `npm run graphql:codegen` makes of the documents today: regenerates them into
// a temporary folder (offline, see .graphqlrc.ts) and compares file by file.
// `--against <dir>` compares with another folder instead (its test).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

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
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
