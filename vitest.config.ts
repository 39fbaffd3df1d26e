// Tests run in Node against real databases, real HTTP fakes and real signed
// requests; nothing of ours is mocked. The Remix plugin is left out: tests call
// route modules directly.
import { defineConfig } from "vitest/config";
import tsconfigPaths from "vite-tsconfig-paths";

// `*.pg.test.ts` files test what only PostgreSQL has (several instances, a
// server that goes away and comes back): they run when DATABASE_URL is
// PostgreSQL and are not collected on SQLite, rather than reported as skipped.
const onPostgres = /^postgres(ql)?:/.test(process.env.DATABASE_URL ?? "");

export default defineConfig({
  plugins: [tsconfigPaths()],
  test: {
    include: ["app/**/*.test.ts", "tests/**/*.test.ts", "extensions/**/*.test.ts", "scripts/**/*.test.ts"],
    exclude: ["tests/e2e/**", "node_modules/**", ...(onPostgres ? [] : ["**/*.pg.test.ts"])],
    environment: "node",
    globalSetup: ["tests/support/global-setup.ts"],
    setupFiles: ["tests/support/setup-env.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each test file gets its own database (tests/support/db.ts), so files can
    // run in parallel without seeing each other's rows.
    pool: "forks",
  },
});
