// shopify.web.toml tells `shopify app dev` which web process to start. Its
// shape follows Shopify's Remix template: one process with both roles, a
// predev step and a dev command. Checked here against what the CLI accepts and
// against this repository (scripts, files and routes it names must exist).
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const web = parse(readFileSync(resolve(ROOT, "shopify.web.toml"), "utf8")) as Record<string, unknown>;
const scripts = (JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

// The keys the CLI's web configuration knows (@shopify/cli's schema for shopify.web.toml).
const TOP_LEVEL = ["name", "roles", "type", "webhooks_path", "auth_callback_path", "port", "commands", "hmr_server"];
const COMMANDS = ["build", "predev", "dev"];

/** Every `npm run X`, `node FILE` and `npm exec BIN` in a shell command line, checked against the repository. */
function missingParts(command: string): string[] {
  const missing: string[] = [];
  for (const [, script] of command.matchAll(/npm run ([\w:-]+)/g)) if (!(script! in scripts)) missing.push(`npm script ${script}`);
  for (const [, file] of command.matchAll(/\bnode (?:--[\w-]+(?:=\S+)? )*(\S+)/g)) if (!existsSync(resolve(ROOT, file!))) missing.push(`file ${file}`);
  for (const [, bin] of command.matchAll(/npm exec (\S+)/g)) if (!existsSync(resolve(ROOT, "node_modules/.bin", bin!))) missing.push(`bin ${bin}`);
  return missing;
}

describe("shopify.web.toml", () => {
  it("has the template's shape: one process, frontend and backend, predev and dev commands", () => {
    expect(Object.keys(web).filter((k) => !TOP_LEVEL.includes(k))).toEqual([]);
    expect(web.name).toEqual(expect.any(String));
    expect(web.roles).toEqual(["frontend", "backend"]);
    const commands = web.commands as Record<string, unknown>;
    expect(Object.keys(commands).filter((k) => !COMMANDS.includes(k))).toEqual([]);
    expect(commands.dev).toEqual(expect.any(String));
    expect(commands.predev).toEqual(expect.any(String));
  });

  it("predev generates the Prisma clients; dev applies migrations and runs the Remix dev server", () => {
    const { predev, dev } = web.commands as { predev: string; dev: string };
    expect(predev).toBe("npm run db:generate");
    expect(scripts["db:generate"]).toBe("node scripts/db.mjs generate");
    expect(dev).toMatch(/scripts\/db\.mjs setup && .*@remix-run\/dev\/dist\/cli\.js vite:dev$/);
    expect([...missingParts(predev), ...missingParts(dev)]).toEqual([]);
  });

  it("sends the CLI's app/uninstalled delivery to the route that handles it", () => {
    expect(web.webhooks_path).toBe("/webhooks/app/uninstalled");
    expect(existsSync(resolve(ROOT, "app/routes/webhooks.app.uninstalled.tsx"))).toBe(true);
    const app = readFileSync(resolve(ROOT, "shopify.app.toml"), "utf8");
    expect(app).toContain(`uri = "${web.webhooks_path}"`);
  });

  it("the checks above catch a command that names a missing script or file", () => {
    expect(missingParts("npm run db:nope && node scripts/nope.mjs && npm exec nope-bin")).toEqual(["npm script db:nope", "file scripts/nope.mjs", "bin nope-bin"]);
  });
});
