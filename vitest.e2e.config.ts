// Browser tests: Chromium (Debian's, via playwright-core) against `npm run sandbox`.
import { defineConfig } from "vitest/config";
import tsconfigPaths from "vite-tsconfig-paths";

export default defineConfig({
  plugins: [tsconfigPaths()],
  test: {
    include: ["tests/e2e/**/*.e2e.ts"],
    environment: "node",
    globalSetup: ["tests/e2e/support/sandbox-setup.ts"],
    testTimeout: 60_000,
    // A page that navigates (submit, redirect, loader) can take seconds on a
    // busy machine; expect.poll's 1 s default made the browser run flaky.
    expect: { poll: { timeout: 10_000 } },
    hookTimeout: 120_000,
    // One sandbox, one browser: files run one after another.
    fileParallelism: false,
  },
});
