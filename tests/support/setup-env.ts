// Runs before each test file, before it imports app code: the app's env is
// validated at import (app/env.server.ts), so it must be complete by then.
// Each file gets its own fresh migrated database.
import { inject } from "vitest";
import { TEST_ENV } from "./constants";
import { baseUrl, freshDatabase } from "./databases";

process.env.CLUB_TIERS_BASE_DATABASE_URL ??= baseUrl();
process.env.CLUB_TIERS_TEST_RUN = inject("dbRunPrefix");
for (const [key, value] of Object.entries(TEST_ENV)) process.env[key] = value;
process.env.DATABASE_URL = await freshDatabase(inject("dbTemplate"));
