// The production server as the README starts it: `npm start` on the build (the
// browser run's global setup builds it), configured with .env.example's values,
// on a fresh migrated SQLite file. The health route answers over HTTP with a
// real database check, the worker and the expiry job start, and SIGTERM stops
// it cleanly and quickly.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "./support/ports";
import { runPrisma } from "../../scripts/db.mjs";
import { parseExposition, seriesBy } from "../support/prometheus-text";

const ROOT = resolve(import.meta.dirname, "../..");

function envExample(): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, ".env.example"), "utf8").split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) values[m[1]!] = m[2]!;
  }
  return values;
}

describe("npm start", () => {
  it("serves the health route with a passing database check, and stops on SIGTERM", async () => {
    const example = envExample();
    expect(example.DATABASE_URL).toBe("file:./prisma/dev.sqlite");
    // The example's values, but a database file of this run's own and a free port.
    mkdirSync(join(ROOT, "tmp"), { recursive: true });
    const file = join(ROOT, "tmp", `start-${process.pid}.sqlite`);
    rmSync(file, { force: true });
    const databaseUrl = `file:${file}`;
    runPrisma(["migrate", "deploy"], databaseUrl, { quiet: true });
    const port = await freePort();
    // Nothing inherited but what finds programs: the sandbox's settings must not leak in.
    const metricsToken = "production-test-metrics-token-0123456789";
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_ENV: "production", ...example, DATABASE_URL: databaseUrl, PORT: String(port), HOST: "127.0.0.1", METRICS_TOKEN: metricsToken };

    const server = spawn("npm", ["start"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    server.stdout.on("data", (c: Buffer) => (output += c.toString()));
    server.stderr.on("data", (c: Buffer) => (output += c.toString()));
    try {
      let health: { status: number; body: unknown } | null = null;
      for (let i = 0; i < 150 && !health; i++) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/health`);
          health = { status: res.status, body: await res.json() };
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      expect(health, output).toMatchObject({ status: 200, body: { status: "ok", db: "ok" } });
      expect(output).toContain('"event":"worker_started"');
      expect(output).toContain('"event":"membership_expiry_done"');
      // A request whose URL carries a session token and an HMAC is logged by
      // path and parameter names only.
      const secret = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw";
      await fetch(`http://127.0.0.1:${port}/health?id_token=${secret}&hmac=abcdef0123456789&shop=x.myshopify.com`);
      await expect.poll(() => output).toContain('"path":"/health","query":["id_token","hmac","shop"]');
      expect(output).not.toContain(secret.split(".")[2]);
      expect(output).not.toContain("abcdef0123456789");

      // /metrics on the production server: refused without the token; with it,
      // the two /health requests above are in the HTTP duration histogram
      // (server/index.mjs → the build's entry module → app/metrics.server.ts).
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
      const scrape = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
      expect(scrape.status).toBe(200);
      const metrics = parseExposition(await scrape.text());
      const requests = seriesBy(metrics.get("clubtiers_http_request_duration_seconds"), "clubtiers_http_request_duration_seconds_count", ["method", "route", "status"]);
      expect(requests.get("GET|/health|200")).toBe(2);
      expect(requests.get("GET|/metrics|401")).toBe(1);
      expect(seriesBy(metrics.get("clubtiers_sync_queue_oldest_due_age_seconds"), "clubtiers_sync_queue_oldest_due_age_seconds", []).get("")).toBe(0);

      // SIGTERM to npm and the server (one process group), as a supervisor sends it.
      // npm re-raises the signal once the server has exited; the server itself
      // finishes its worker and exits 0 well inside the 10 s drain deadline.
      const exited = new Promise<{ code: number | null; signal: string | null }>((r) => server.once("exit", (code, signal) => r({ code, signal })));
      const t = Date.now();
      process.kill(-server.pid!, "SIGTERM");
      const { code, signal } = await exited;
      expect(code === 0 || signal === "SIGTERM", `${code} ${signal}`).toBe(true);
      const alive = () => {
        try {
          process.kill(-server.pid!, 0);
          return true;
        } catch {
          return false;
        }
      };
      while (alive() && Date.now() - t < 15_000) await new Promise((r) => setTimeout(r, 50));
      expect(alive()).toBe(false); // the server is gone too…
      expect(Date.now() - t).toBeLessThan(10_000); // …well inside its drain deadline
      expect(output).toContain('"event":"worker_stopping"');
      expect(output).not.toMatch(/"level":"error"/);
    } finally {
      try {
        process.kill(-server.pid!, "SIGKILL"); // only if the test failed half-way
      } catch {
        /* already gone */
      }
      rmSync(file, { force: true });
    }
  });
});
