// Shared by the benchmarks: arguments, percentiles, scratch databases.
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import pg from "pg";
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
