// Shared by prisma.config.ts, scripts/db.mjs and app/env.server.ts so the CLI,
// the app and the tests always agree on which database DATABASE_URL names.

export const DEFAULT_SQLITE_URL = "file:./prisma/dev.sqlite";

/** @param {string | undefined} url @returns {"sqlite" | "postgresql"} */
export function providerFor(url) {
  if (!url || url.startsWith("file:")) return "sqlite";
  if (/^postgres(ql)?:\/\//.test(url)) return "postgresql";
  throw new Error(
    `DATABASE_URL must start with file:, postgres:// or postgresql:// (got "${url.split(":")[0]}:…")`,
  );
}
