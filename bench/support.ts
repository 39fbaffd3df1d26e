// Shared by the benchmarks: arguments, percentiles, scratch databases.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import pg from "pg";
import type { Db } from "../app/db.server";
import { runPrisma } from "../scripts/db.mjs";

export const ROOT = resolve(import.meta.dirname, "..");
export const PG_URL = process.env.BENCH_PG_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

const argv = process.argv.slice(2);
export function arg(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
}

export function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** A fresh, migrated database of the given provider, and a way to drop it. */
export async function scratchDatabase(provider: "sqlite" | "pg", label: string): Promise<{ url: string; drop: () => Promise<void> }> {
  let url: string;
  let drop: () => Promise<void>;
  if (provider === "sqlite") {
    mkdirSync(join(ROOT, "tmp/bench"), { recursive: true });
    const file = join(ROOT, "tmp/bench", `${label}-${Date.now()}.sqlite`);
    url = `file:${file}`;
    drop = async () => rmSync(file, { force: true });
  } else {
    const name = `clubtiers_bench_${label}_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const u = new URL(PG_URL);
    u.pathname = `/${name}`;
    url = u.toString();
    drop = async () => {
      const a = new pg.Client({ connectionString: PG_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    };
  }
  runPrisma(["migrate", "deploy"], url, { quiet: true });
  return { url, drop };
}


/**
 * `count` members of `shop` in `tierId`, in batches of 5,000: customer `mc-<i>`
 * (email m<i>@example.com), active enrollment `me-<i>`. Every tenth is marked
 * sync-failed; expiries spread over the coming months.
 */
export async function seedMembers(db: Db, shop: string, tierId: string, count: number, now = Date.now()) {
  for (let i = 0; i < count; i += 5000) {
    const n = Math.min(5000, count - i);
    await db.customer.createMany({
      data: Array.from({ length: n }, (_, k) => ({
        id: `mc-${i + k}`,
        shop,
        email: `m${i + k}@example.com`,
        firstName: `First${i + k}`,
        lastName: `Last${i + k}`,
        searchText: `first${i + k} last${i + k} m${i + k}@example.com`,
      })),
    });
    await db.enrollment.createMany({
      data: Array.from({ length: n }, (_, k) => ({
        id: `me-${i + k}`,
        shop,
        customerId: `mc-${i + k}`,
        tierId,
        startedAt: new Date(now - (i + k) * 1000),
        expiresAt: new Date(now + (i + k) * 60_000),
        createdAt: new Date(now - (i + k) * 1000),
        syncState: (i + k) % 10 === 0 ? "failed" : "synced",
      })),
    });
  }
}

/**
 * Points the app's environment at `databaseUrl` with the Shopify test helpers'
 * key and secret (so requests can be signed), before any app module is
 * imported: the app reads its environment once.
 */
export async function benchEnv(databaseUrl: string, extra: Record<string, string> = {}) {
  const { API_KEY, API_SECRET_KEY } = await import("@shopify/shopify-api/test-helpers");
  Object.assign(process.env, {
    NODE_ENV: "production",
    DATABASE_URL: databaseUrl,
    SHOPIFY_API_KEY: API_KEY,
    SHOPIFY_API_SECRET: API_SECRET_KEY,
    SHOPIFY_APP_URL: "https://bench.example",
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    QUEUE_WORKER_ENABLED: "false",
    LOG_LEVEL: "silent",
    ...extra,
  });
}

/**
 * Runs `script` again in a child process with BENCH_CHILD=`kind` (the app binds
 * its database at import, so each database gets its own process) and returns
 * the JSON line the child printed, or null (after printing its output) if none.
 */
export function runBenchChild<T = Record<string, unknown>>(script: string, kind: string): T | null {
  const out = spawnSync(process.execPath, ["--import", "tsx", script, ...process.argv.slice(2)], {
    cwd: ROOT,
    env: { ...process.env, BENCH_CHILD: kind },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = out.stdout.split("\n").find((l) => l.startsWith("{"));
  if (!line) {
    console.error(out.stdout, out.stderr);
    process.exitCode = 1;
    return null;
  }
  return JSON.parse(line) as T;
}
