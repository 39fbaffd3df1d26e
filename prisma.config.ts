// Prisma CLI configuration. Prisma 6.19's JS schema engine runs through the same
// driver adapters as the app, so no engine binary is ever downloaded
// (docs/decisions/0002-prisma-js-engine-and-adapters.md).
//
// The provider follows DATABASE_URL exactly as app/db.server.ts does:
// unset or `file:` → SQLite (libsql), `postgres://` / `postgresql://` → PostgreSQL.
import { defineConfig } from "prisma/config";
import { CliPrismaPg } from "./prisma/pg-cli-adapter";
import { DEFAULT_SQLITE_URL, providerFor } from "./prisma/provider.mjs";
import { sqliteAdapter } from "./prisma/sqlite-adapter";

const url = process.env.DATABASE_URL || DEFAULT_SQLITE_URL;
const provider = providerFor(url);

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: `prisma/${provider}/schema.prisma`,
  migrations: { path: `prisma/${provider}/migrations` },
  async adapter() {
    return provider === "postgresql"
      ? // A short idle timeout lets the CLI exit as soon as it is done instead of
      // waiting out pg.Pool's default 10 s.
      new CliPrismaPg({ connectionString: url, idleTimeoutMillis: 50 })
      : sqliteAdapter(url);
  },
});
