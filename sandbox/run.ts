// `npm run sandbox`: the whole app offline, in one command.
//
// Starts the fake Shopify Admin and Commerce7, prepares a fresh SQLite database
// with two seeded shops, builds and starts the app against the fakes, and serves
// a local stand-in for the Shopify Admin that frames the app with a valid
// session token. Ctrl-C stops everything.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import pg from "pg";
import { providerFor } from "../prisma/provider.mjs";
import { runPrisma } from "../scripts/db.mjs";
import { createFakeCommerce7 } from "./fakes/commerce7";
import { createFakeShopifyAdmin } from "./fakes/shopify-admin";
import { createFakeSmtp } from "./fakes/smtp";
import { startFrameServer } from "./frame";
import { sendOrderWebhook, sendWebhook } from "./orders";
import { C7_SHOP, C7_TENANT, SHOPIFY_SHOP } from "./shops";

const ROOT = resolve(import.meta.dirname, "..");
const API_KEY = "sandbox-api-key";
const API_SECRET = "sandbox-api-secret";
const SCOPES = "read_customers,write_customers,read_orders,read_all_orders,read_discounts,write_discounts";

export type Sandbox = {
  url: string;
  /** Every line the app process wrote (stdout and stderr), in order. */
  appLog: string[];
  appUrl: string;
  shops: { shopify: string; commerce7: string };
  fakes: {
    shopify: Awaited<ReturnType<typeof createFakeShopifyAdmin>>;
    commerce7: Awaited<ReturnType<typeof createFakeCommerce7>>;
    smtp: Awaited<ReturnType<typeof createFakeSmtp>>;
  };
  env: Record<string, string>;
  stop: () => Promise<void>;
};

function log(message: string) {
  if (process.env.SANDBOX_QUIET !== "1") console.log(`[sandbox] ${message}`);
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the app exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the app did not become healthy within ${timeoutMs} ms`);
}

/**
 * The sandbox's own fresh database. By default an SQLite file, tmp/sandbox.sqlite.
 * With a PostgreSQL DATABASE_URL, a database of its own on that server,
 * `club_tiers_sandbox_<port>`, dropped and created at each start: the
 * database the URL names is never written to.
 */
async function freshDatabase(framePort: number): Promise<{ url: string; label: string }> {
  const given = process.env.DATABASE_URL;
  if (given && providerFor(given) === "postgresql") {
    const name = `club_tiers_sandbox_${framePort}`;
    const client = new pg.Client({ connectionString: given });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.query(`CREATE DATABASE "${name}"`);
    } finally {
      await client.end();
    }
    const url = new URL(given);
    url.pathname = `/${name}`;
    return { url: url.toString(), label: `PostgreSQL database ${name} on ${url.host}` };
  }
  mkdirSync(join(ROOT, "tmp"), { recursive: true });
  const dbFile = join(ROOT, "tmp", "sandbox.sqlite");
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`, `${dbFile}-journal`]) rmSync(f, { force: true });
  return { url: `file:${dbFile}`, label: "tmp/sandbox.sqlite" };
}

export async function startSandbox(opts: { port?: number; build?: boolean; workerPollMs?: number } = {}): Promise<Sandbox> {
  // Fixed ports from SANDBOX_PORT, so a newcomer's curl commands and bookmarks
  // keep working across restarts: the admin page, the app, then the fakes.
  const framePort = opts.port ?? Number(process.env.SANDBOX_PORT ?? 4100);
  const appPort = framePort + 1;
  const appUrl = `http://127.0.0.1:${appPort}`;

  const shopify = await createFakeShopifyAdmin({
    port: framePort + 2,
    shops: [
      { domain: SHOPIFY_SHOP.domain, accessToken: SHOPIFY_SHOP.token, name: "Club Tiers Demo" },
      { domain: C7_SHOP.domain, accessToken: C7_SHOP.token, name: "Napa Cellars" },
    ],
    // The seeded sessions hold non-expiring tokens (as apps installed before
    // 2027 have); the app migrates them at boot through the fake's token
    // endpoint, then renews the expiring ones as they near their end.
    oauth: { apiKey: API_KEY, apiSecret: API_SECRET, tokenLifetimeMs: Number(process.env.SANDBOX_TOKEN_LIFETIME_MS ?? 3_600_000) },
    // Shopify's bulk_operations/finish, signed, to the running app (the order backfill).
    onBulkFinish: (shop, payload) => void sendWebhook(appUrl, API_SECRET, shop, "bulk_operations/finish", payload).catch(() => undefined),
  });
  const commerce7 = await createFakeCommerce7({ port: framePort + 3, tenants: [C7_TENANT] });
  const smtp = await createFakeSmtp({ port: framePort + 4, controlPort: framePort + 5 });
  log(`fake Shopify Admin on ${shopify.url}, fake Commerce7 on ${commerce7.url}/v1, SMTP on ${smtp.url} (faults: ${smtp.controlUrl})`);

  const { url: databaseUrl, label: databaseLabel } = await freshDatabase(framePort);

  const env: Record<string, string> = {
    NODE_ENV: "production",
    SHOPIFY_API_KEY: API_KEY,
    SHOPIFY_API_SECRET: API_SECRET,
    SHOPIFY_APP_URL: appUrl,
    SCOPES,
    DATABASE_URL: databaseUrl,
    ENCRYPTION_KEY: process.env.SANDBOX_ENCRYPTION_KEY ?? randomBytes(32).toString("base64"),
    SHOPIFY_ADMIN_ORIGIN: `${shopify.url}/shops/{shop}`,
    COMMERCE7_API_URL: `${commerce7.url}/v1`,
    APP_BRIDGE_URL: `http://127.0.0.1:${framePort}/app-bridge.js`,
    SANDBOX_FRAME_ORIGIN: `http://127.0.0.1:${framePort}`,
    SMTP_URL: smtp.url,
    ALERT_FROM: "Club Tiers <alerts@sandbox.invalid>",
    QUEUE_WORKER_ENABLED: "true",
    QUEUE_POLL_INTERVAL_MS: String(opts.workerPollMs ?? 1000),
    QUEUE_BACKOFF_BASE_MS: "2000",
    QUEUE_BACKOFF_CAP_MS: "60000",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    PORT: String(appPort),
    HOST: "127.0.0.1",
  };
  // The queue's settings above are the sandbox's defaults (quick retries to
  // watch); any QUEUE_* in the environment wins, e.g. QUEUE_BACKOFF_BASE_MS=30000.
  for (const [key, value] of Object.entries(process.env)) if (key.startsWith("QUEUE_") && value) env[key] = value;

  runPrisma(["migrate", "deploy"], databaseUrl, { quiet: true });
  Object.assign(process.env, env);
  const { seedSandbox } = await import("./seed");
  await seedSandbox(databaseUrl, { shopify, commerce7 }, SCOPES);
  log(`database migrated and seeded (${databaseLabel})`);

  const bin = (name: string) => join(ROOT, "node_modules/.bin", name);
  if (opts.build ?? !(process.env.SANDBOX_SKIP_BUILD === "1" && existsSync(join(ROOT, "build/server/index.js")))) {
    log("building the app…");
    await new Promise<void>((res, rej) => {
      const b = spawn(bin("remix"), ["vite:build"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, NODE_ENV: "production" } });
      b.on("exit", (code) => (code === 0 ? res() : rej(new Error(`build failed (${code})`))));
    });
  }
  // The production server, as `npm start` runs it. Its output is kept line by
  // line (the browser run checks that no line leaks a token) and shown unless quiet.
  const app = spawn(process.execPath, [join(ROOT, "server/index.mjs"), join(ROOT, "build/server/index.js")], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const appLog: string[] = [];
  for (const [stream, out] of [
    [app.stdout, process.stdout],
    [app.stderr, process.stderr],
  ] as const) {
    let rest = "";
    stream.on("data", (chunk: Buffer) => {
      if (process.env.SANDBOX_QUIET !== "1" || out === process.stderr) out.write(chunk);
      const lines = (rest + chunk.toString("utf8")).split("\n");
      rest = lines.pop() ?? "";
      appLog.push(...lines);
    });
    stream.on("end", () => rest && appLog.push(rest));
  }
  await waitForHealth(appUrl, app, 30_000);
  const frame = await startFrameServer({
    port: framePort,
    appUrl,
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    shops: [SHOPIFY_SHOP, C7_SHOP].map((s) => ({ domain: s.domain, label: s.label })),
    // A checkout on the shop's storefront (Shopify, for both shops): the buyer
    // is a Shopify customer, created in the fake on first purchase.
    sendOrder: (shop, email, subtotal) => {
      const known = [...shopify.shop(shop).customers.values()].find((c) => c.email === email.toLowerCase());
      const customer = known ?? shopify.addCustomer(shop, { email, firstName: "Sandbox", lastName: "Buyer" });
      return sendOrderWebhook(appUrl, API_SECRET, {
        shop,
        customer: { gid: customer.id, email: customer.email, firstName: customer.firstName, lastName: customer.lastName },
        subtotal,
      });
    },
    mail: () => smtp.messages,
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (app.exitCode === null) {
      app.kill("SIGTERM");
      await new Promise((r) => {
        const t = setTimeout(() => {
          app.kill("SIGKILL");
          r(null);
        }, 5000);
        app.once("exit", () => {
          clearTimeout(t);
          r(null);
        });
      });
    }
    await Promise.all([frame.close(), shopify.close(), commerce7.close(), smtp.close()]);
  };
  return {
    url: `${frame.url}/admin/${SHOPIFY_SHOP.domain}`,
    appLog,
    appUrl,
    shops: { shopify: SHOPIFY_SHOP.domain, commerce7: C7_SHOP.domain },
    fakes: { shopify, commerce7, smtp },
    env,
    stop,
  };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const started = Date.now();
  const sandbox = await startSandbox();
  const base = new URL(sandbox.url).origin;
  const c7Buyer = [...sandbox.fakes.commerce7.tenant(C7_TENANT.tenantId).customers.values()][0];
  console.log(`
Club Tiers sandbox is ready (${((Date.now() - started) / 1000).toFixed(1)} s), fully offline:

  ${sandbox.url}
  ${base}/admin/${sandbox.shops.commerce7}

App: ${sandbox.appUrl}   Fake Shopify Admin: ${sandbox.fakes.shopify.url}   Fake Commerce7: ${sandbox.fakes.commerce7.url}/v1
SMTP: ${sandbox.fakes.smtp.url} (faults and messages over HTTP: ${sandbox.fakes.smtp.controlUrl})
Inject faults (a POST replaces the fault in force; "add": true appends; DELETE clears):
  curl -X POST ${sandbox.fakes.commerce7.url}/__fake/faults -d '{"mode":"down"}'
  curl -X POST ${sandbox.fakes.shopify.url}/__fake/faults -d '{"mode":"ghost","match":"ClubCustomerSet","times":1}'
  curl -X POST ${sandbox.fakes.smtp.controlUrl}/__fake/faults -d '{"mode":"down"}'
Simulate checkouts with the "Sandbox" panel beside the app; alert emails: ${base}/sandbox/mail
A Commerce7 sale of 1,300.00 (cents in Commerce7) by ${c7Buyer?.emails[0]?.email ?? "a customer"}: its Order webhook reaches the Commerce7 shop:
  curl -X POST ${sandbox.fakes.commerce7.url}/__fake/emit -d '{"tenantId":"${C7_TENANT.tenantId}","object":"Order","action":"Create","payload":{"id":"demo-order-1","orderPaidDate":"${new Date().toISOString()}","subTotal":130000,"total":130000,"customerId":"${c7Buyer?.id ?? ""}"}}'
Press Ctrl-C to stop.`);
  const shutdown = async () => {
    await sandbox.stop();
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}
