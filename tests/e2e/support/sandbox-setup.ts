// Starts one sandbox (fakes + app + frame page) for the whole browser run, and
// when the run ends checks the app's whole log: no line may carry a session
// token or an HMAC (every one the sandbox issued is known, plus any JWT shape).
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { startSandbox } from "../../../sandbox/run";
import { issuedSecrets, leakedLines } from "../../../sandbox/secrets";

declare module "vitest" {
  export interface ProvidedContext {
    sandbox: { url: string; appUrl: string; frameOrigin: string; databaseUrl: string; shops: { shopify: string; commerce7: string }; fakes: { shopify: string; commerce7: string; smtp: string } };
  }
}

const RESULTS = resolve(import.meta.dirname, "../../../test-results");

export default async function setup(project: TestProject) {
  process.env.SANDBOX_QUIET = "1";
  // Request logging is on at info: the check below must see every request line.
  process.env.LOG_LEVEL = "info";
  const sandbox = await startSandbox({ port: Number(process.env.E2E_SANDBOX_PORT ?? 4200) });
  project.provide("sandbox", {
    url: sandbox.url,
    appUrl: sandbox.appUrl,
    frameOrigin: new URL(sandbox.url).origin,
    databaseUrl: sandbox.env.DATABASE_URL as string,
    shops: sandbox.shops,
    fakes: { shopify: sandbox.fakes.shopify.url, commerce7: sandbox.fakes.commerce7.url, smtp: sandbox.fakes.smtp.controlUrl },
  });
  return async () => {
    await sandbox.stop();
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, "sandbox-app.log"), sandbox.appLog.join("\n"));
    assertNoSecretsLogged(sandbox.appLog);
  };
}

/** Throws (failing the run) if a log line leaks a token, or if the log could not have shown one. */
export function assertNoSecretsLogged(lines: readonly string[]) {
  // The check must be able to fail: the run issued tokens, and the log holds
  // request lines for URLs that carried them (by parameter name only).
  const carried = lines.filter((l) => l.includes('"event":"request"') && l.includes('"id_token"')).length;
  if (issuedSecrets().size === 0 || carried === 0) {
    throw new Error(`log check: expected request lines for URLs carrying id_token (issued ${issuedSecrets().size} tokens, saw ${carried} such lines)`);
  }
  const leaks = leakedLines(lines);
  if (leaks.length) {
    throw new Error(`the app logged secrets on ${leaks.length} line(s) of test-results/sandbox-app.log: ${leaks.slice(0, 5).map((l) => `line ${l.line} (${l.what})`).join(", ")}`);
  }
}
