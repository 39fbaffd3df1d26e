#!/usr/bin/env node
// Database tooling for both providers from one model file.
//
//   node scripts/db.mjs render       write prisma/{sqlite,postgresql}/schema.prisma from prisma/models.prisma
//   node scripts/db.mjs generate     render + `prisma generate` for the provider DATABASE_URL names (cached)
//   node scripts/db.mjs setup        generate + `prisma migrate deploy` on the configured database
//   node scripts/db.mjs check-drift  fail if the rendered schemas or either provider's migrations drift
//
// Invariant: prisma/models.prisma is the only file a person edits; the per-provider
// schema files are derived and checked, never hand-edited.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_SQLITE_URL, providerFor } from "../prisma/provider.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PROVIDERS = /** @type {const} */ (["sqlite", "postgresql"]);

export function renderSchema(provider) {
  const models = readFileSync(join(root, "prisma/models.prisma"), "utf8");
  return `// GENERATED from prisma/models.prisma by \`node scripts/db.mjs render\`. Do not edit.

generator client {
  provider   = "prisma-client-js"
  engineType = "client"
  // One client per provider, side by side (imported as #prisma/${provider}).
  output     = "../../generated/prisma-${provider}"
}

datasource db {
  provider = "${provider}"
  // Unused at run time: the app and the CLI connect through driver adapters.
  url      = env("DATABASE_URL")
}

${models}`;
}

function schemaPath(provider) {
  return join(root, "prisma", provider, "schema.prisma");
}

function render() {
  for (const provider of PROVIDERS) {
    mkdirSync(dirname(schemaPath(provider)), { recursive: true });
    const next = renderSchema(provider);
    if (!existsSync(schemaPath(provider)) || readFileSync(schemaPath(provider), "utf8") !== next) {
      writeFileSync(schemaPath(provider), next);
    }
  }
}

// The CLI reads the schema's env("DATABASE_URL") even though it connects through
// the adapter in prisma.config.ts, so it always gets the resolved URL.
// prisma/cli-prompt-exit.cjs lets the CLI exit when done (see that file).
function prismaEnv(url = process.env.DATABASE_URL || DEFAULT_SQLITE_URL) {
  const preload = `--require ${join(root, "prisma/cli-prompt-exit.cjs")}`;
  return {
    ...process.env,
    DATABASE_URL: url,
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    CHECKPOINT_DISABLE: "1",
    NODE_OPTIONS: [process.env.NODE_OPTIONS, preload].filter(Boolean).join(" "),
  };
}

/** Runs the Prisma CLI against `url` (default: DATABASE_URL); `quiet` captures output for errors only. */
export function runPrisma(args, url, { quiet = false } = {}) {
  execFileSync(join(root, "node_modules/.bin/prisma"), args, {
    cwd: root,
    stdio: quiet ? ["ignore", "pipe", "pipe"] : ["ignore", "inherit", "inherit"],
    env: prismaEnv(url),
  });
}

const prisma = (args, url) => runPrisma(args, url);

function currentProvider() {
  return providerFor(process.env.DATABASE_URL || DEFAULT_SQLITE_URL);
}

// Both providers' clients are always generated (each into its own folder), so
// one process can use either database and switching DATABASE_URL needs no
// regeneration. Regenerate only when the schema changed, so `npm test` stays fast.
function generate() {
  render();
  for (const provider of PROVIDERS) {
    const out = join(root, "generated", `prisma-${provider}`);
    const stamp = join(out, ".club-tiers-stamp");
    const want = createHash("sha256").update(renderSchema(provider)).digest("hex");
    if (existsSync(stamp) && readFileSync(stamp, "utf8") === want) continue;
    runPrisma(["generate", "--no-hints", "--schema", `prisma/${provider}/schema.prisma`], exampleUrl(provider), { quiet: true });
    writeFileSync(stamp, want);
    console.log(`generated the ${provider} Prisma client`);
  }
}

// `generate` never connects; it only needs a URL of the right scheme.
function exampleUrl(provider) {
  return provider === "sqlite" ? DEFAULT_SQLITE_URL : "postgresql://localhost/unused";
}

function setup() {
  generate();
  if (currentProvider() === "sqlite") {
    const url = process.env.DATABASE_URL || DEFAULT_SQLITE_URL;
    mkdirSync(dirname(resolve(root, url.slice("file:".length))), { recursive: true });
  }
  prisma(["migrate", "deploy"]);
}

function checkDrift() {
  let failed = false;
  for (const provider of PROVIDERS) {
    if (readFileSync(schemaPath(provider), "utf8") !== renderSchema(provider)) {
      console.error(`drift: prisma/${provider}/schema.prisma differs from prisma/models.prisma (run: node scripts/db.mjs render)`);
      failed = true;
    }
  }
  if (failed) process.exit(1);
  // Migrations vs schema, and SQLite vs PostgreSQL, are compared on real
  // databases by the test suite (tests/foundation/schema.test.ts).
  execFileSync(join(root, "node_modules/.bin/vitest"), ["run", "tests/foundation/schema.test.ts"], {
    cwd: root,
    stdio: "inherit",
  });
}

const command = process.argv[2];
if (import.meta.url === `file://${process.argv[1]}`) {
  const commands = { render, generate, setup, "check-drift": checkDrift };
  if (!(command in commands)) {
    console.error(`usage: node scripts/db.mjs ${Object.keys(commands).join("|")}`);
    process.exit(2);
  }
  commands[command]();
}
