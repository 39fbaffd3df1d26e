// The production server on its SQLite file while other processes use the same
// file, as anyone looking at it or any backup tool would: a `sqlite3` shell
// holds a read transaction, and another `sqlite3` keeps taking the write lock,
// for 5 s. Meanwhile every request answers 200 or 503 (never a 500); after it
// every request succeeds within 1 s, no rollback journal is left behind, the
// worker idles (under 5 % CPU, no log flood), and SIGTERM stops the server.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "./support/ports";
import { ADMIN_API_VERSION } from "../../app/integrations/shopify/api-version";
import { runPrisma } from "../../scripts/db.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const SHOP = "contention.myshopify.com";
const SECRET = "contention-secret";

function cpuTicks(pid: number): number {
  // /proc/<pid>/stat fields 14 and 15: user and system time, in clock ticks.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
}
const TICKS_PER_SECOND = Number(spawnSync("getconf", ["CLK_TCK"]).stdout.toString().trim() || 100);

async function timed(run: () => Promise<Response>): Promise<{ status: number; ms: number }> {
  const t = Date.now();
  try {
    const res = await run();
    await res.arrayBuffer();
    return { status: res.status, ms: Date.now() - t };
  } catch {
    return { status: -1, ms: Date.now() - t };
  }
}

describe("SQLite shared with other processes", () => {
  it("a reader and a writer in other processes for 5 s: 200 or 503 meanwhile, then every request within 1 s, no journal, an idle worker, a clean SIGTERM", async () => {
    mkdirSync(join(ROOT, "tmp"), { recursive: true });
    const file = join(ROOT, "tmp", `contention-${process.pid}.sqlite`);
    const clean = () => ["", "-wal", "-shm", "-journal"].forEach((s) => rmSync(file + s, { force: true }));
    clean();
    const databaseUrl = `file:${file}`;
    runPrisma(["migrate", "deploy"], databaseUrl, { quiet: true });
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      NODE_ENV: "production",
      SHOPIFY_API_KEY: "contention-key",
      SHOPIFY_API_SECRET: SECRET,
      SHOPIFY_APP_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: databaseUrl,
      ENCRYPTION_KEY: Buffer.alloc(32, 3).toString("base64"),
      QUEUE_WORKER_ENABLED: "true",
      QUEUE_POLL_INTERVAL_MS: "250",
      LOG_LEVEL: "info",
      PORT: String(port),
      HOST: "127.0.0.1",
    };
    const seeded = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "tests/e2e/fixtures/seed-installed-shop.ts")], {
      cwd: ROOT,
      env: { ...env, SEED_SHOP: SHOP, QUEUE_WORKER_ENABLED: "false" },
      encoding: "utf8",
    });
    expect(seeded.status, seeded.stderr).toBe(0);

    const server = spawn(process.execPath, [join(ROOT, "node_modules/@remix-run/serve/dist/cli.js"), join(ROOT, "build/server/index.js")], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    server.stdout!.on("data", (c: Buffer) => (output += c.toString()));
    server.stderr!.on("data", (c: Buffer) => (output += c.toString()));
    const others: ChildProcess[] = [];
    const base = `http://127.0.0.1:${port}`;
    let order = 0;
    const health = () => fetch(`${base}/health`);
    const webhook = () => {
      const raw = JSON.stringify({
        id: 50_000 + ++order,
        created_at: new Date().toISOString(),
        financial_status: "paid",
        current_subtotal_price_set: { shop_money: { amount: "12.00", currency_code: "USD" } },
        customer: { id: 77, email: "busy@example.com" },
      });
      return fetch(`${base}/webhooks/orders/create`, {
        method: "POST",
        body: raw,
        headers: {
          "Content-Type": "application/json",
          "X-Shopify-Topic": "orders/create",
          "X-Shopify-Hmac-Sha256": createHmac("sha256", SECRET).update(raw).digest("base64"),
          "X-Shopify-Shop-Domain": SHOP,
          "X-Shopify-API-Version": ADMIN_API_VERSION,
          "X-Shopify-Webhook-Id": randomUUID(),
          "X-Shopify-Event-Id": randomUUID(),
          "X-Shopify-Triggered-At": new Date().toISOString(),
        },
      });
    };
    try {
      for (let i = 0; i < 150; i++) {
        if ((await timed(health)).status === 200) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect((await timed(webhook)).status, output).toBe(200);

      // The reader: one open read transaction for the whole time.
      const reader = spawn("sqlite3", [file], { stdio: ["pipe", "ignore", "inherit"] });
      others.push(reader);
      reader.stdin!.write("BEGIN; SELECT count(*) FROM Purchase;\n");
      // The writer: takes the write lock for 0.4 s at a time, for 5 s.
      const writer = spawn("sqlite3", [file], { stdio: ["pipe", "ignore", "inherit"] });
      others.push(writer);
      writer.stdin!.end(
        ".timeout 10000\n" +
          Array.from({ length: 10 }, () => "BEGIN IMMEDIATE;\nUPDATE Shop SET updatedAt = updatedAt;\n.shell sleep 0.4\nCOMMIT;\n.shell sleep 0.1\n").join("") +
          ".quit\n",
      );
      const writerDone = new Promise((r) => writer.once("exit", r));
      const linesBefore = output.split("\n").length;
      const during: number[] = [];
      const until = Date.now() + 5_000;
      while (Date.now() < until) {
        const results = await Promise.all([timed(health), timed(webhook)]);
        during.push(...results.map((r) => r.status));
      }
      await writerDone;
      reader.stdin!.end("COMMIT;\n.quit\n");
      await new Promise((r) => reader.once("exit", r));

      expect(during.length).toBeGreaterThan(4);
      expect(during.filter((s) => s !== 200 && s !== 503), output.slice(-2000)).toEqual([]);

      // Afterwards: everything works at once, again and again.
      const after: { status: number; ms: number }[] = [];
      for (let i = 0; i < 10; i++) after.push(await timed(health), await timed(webhook));
      expect(after.filter((r) => r.status !== 200 || r.ms >= 1_000), output.split("\n").filter((l) => /warn|error/.test(l)).slice(-20).join("\n")).toEqual([]);
      expect(existsSync(`${file}-journal`)).toBe(false);

      // The worker idles: a few polls, no busy loop, no flood of log lines.
      const t0 = cpuTicks(server.pid!);
      await new Promise((r) => setTimeout(r, 2_000));
      const cpu = (cpuTicks(server.pid!) - t0) / TICKS_PER_SECOND / 2;
      expect(cpu).toBeLessThan(0.05);
      expect(output.split("\n").length - linesBefore).toBeLessThan(500);

      const exited = new Promise<number | null>((r) => server.once("exit", (code) => r(code)));
      const t = Date.now();
      server.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(Date.now() - t).toBeLessThan(10_000);
    } finally {
      for (const p of [server, ...others]) if (p.exitCode === null) p.kill("SIGKILL");
      clean();
    }
  }, 90_000);
});
