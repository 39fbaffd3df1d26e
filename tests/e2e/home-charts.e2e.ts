// The home page's charts in the browser, each with its table. A year of
// history cannot be made by today's flows, so one member's past is written
// from outside, as an operator's tool would: a Gold membership from eight
// months ago that expired two months ago.
import { randomBytes } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { app, newPage, sandboxSql, screenshot, useBrowser } from "./support/browser";

const sandbox = inject("sandbox");
const browser = useBrowser();
const DAY = 86_400_000;

// How each database keeps Prisma's DateTime (UTC): ISO text on SQLite, timestamp(3) on PostgreSQL.
const ts = (d: Date) => (sandbox.databaseUrl.startsWith("file:") ? `'${d.toISOString().replace("Z", "+00:00")}'` : `'${d.toISOString().replace("T", " ").replace("Z", "")}'`);

describe("home charts", () => {
  it("shows members per tier and membership changes as charts, and the same figures as tables", async () => {
    const shop = sandbox.shops.shopify;
    const id = randomBytes(6).toString("hex");
    const now = Date.now();
    const started = new Date(now - 240 * DAY);
    const ended = new Date(now - 60 * DAY);
    await sandboxSql(
      `INSERT INTO "Customer" (id, shop, email, "firstName", "lastName", "searchText", "createdAt", "updatedAt")
       VALUES ('hist-c-${id}', '${shop}', 'history-${id}@example.com', 'Hana', 'History', 'hana history history-${id}@example.com', ${ts(started)}, ${ts(started)})`,
    );
    await sandboxSql(
      `INSERT INTO "Enrollment" (id, shop, "customerId", "tierId", status, "startedAt", "expiresAt", "endedAt", "endReason", "syncState", "idempotencyKey", "createdAt", "updatedAt")
       SELECT 'hist-e-${id}', '${shop}', 'hist-c-${id}', t.id, 'expired', ${ts(started)}, ${ts(ended)}, ${ts(ended)}, 'Expired', 'synced', 'hist-${id}', ${ts(started)}, ${ts(ended)}
       FROM "Tier" t WHERE t.shop = '${shop}' AND t.handle = 'gold'`,
    );

    const page = await newPage(browser());
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(sandbox.url);
    const frame = app(page);
    await frame.getByText("Active members by tier").waitFor();
    // Charts draw in the browser: an SVG for each chart with data.
    await frame.getByTestId("members-by-tier-chart").locator("svg").first().waitFor();
    await frame.getByTestId("movements-chart").locator("svg").first().waitFor();
    await screenshot(page, "home-charts");

    // The table of the same figures: twelve months, Gold counted in the months it was active.
    await frame.getByRole("button", { name: "Show Active members by tier as a table" }).click();
    const table = frame.getByTestId("members-by-tier-table");
    await table.locator("table").waitFor();
    expect(await table.locator("tbody tr").count()).toBe(12);
    const headings = await table.locator("thead th").allTextContents();
    expect(headings[0]).toBe("Month");
    expect(headings).toContain("Gold");
    const gold = headings.indexOf("Gold");
    const goldByMonth = await table.locator(`tbody tr td:nth-child(${gold + 1}), tbody tr th:nth-child(${gold + 1})`).allTextContents();
    expect(goldByMonth.filter((v) => Number(v) > 0).length).toBeGreaterThanOrEqual(5);
    await screenshot(page, "home-charts-table");

    await frame.getByRole("button", { name: "Show Membership changes per month as a table" }).click();
    const changes = frame.getByTestId("movements-table");
    expect(await changes.locator("thead th").allTextContents()).toEqual(["Month", "Joined", "Upgraded", "Renewed", "Expired", "Cancelled"]);
    const expired = (await changes.locator("tbody tr").allTextContents()).length;
    expect(expired).toBe(12);
    // Nothing needs horizontal scrolling at 1,280 px.
    expect(await frame.locator("body").evaluate(() => document.scrollingElement!.scrollWidth <= document.scrollingElement!.clientWidth)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });
});
