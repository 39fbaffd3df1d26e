// The app home inside the stand-in Shopify Admin: title, navigation, a real page.
import { describe, expect, inject, it } from "vitest";
import { app, expectTitleOnce, newPage, screenshot, useBrowser } from "./support/browser";

const sandbox = inject("sandbox");
const browser = useBrowser();

describe("embedded admin", () => {
  it("opens the app home in the frame page, with its title and navigation", async () => {
    const page = await newPage(browser());
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(sandbox.url);
    const frame = app(page);
    await frame.getByText("Members per tier").waitFor();
    // The seed has 3 tiers; other browser tests may have added one.
    const tiers = await frame.getByTestId("tier-count").textContent();
    expect(Number(/(\d+) active tiers on club-tiers-demo\.myshopify\.com/.exec(tiers ?? "")?.[1])).toBeGreaterThanOrEqual(3);
    await frame.getByText("Members per tier").waitFor();

    // App Bridge's part, played by the sandbox stub: nav and title reach the admin frame.
    const nav = page.locator("#app-nav a");
    await expect.poll(() => nav.allTextContents()).toEqual(["Home", "Members", "Tiers", "Sync queue", "Settings"]);
    await expectTitleOnce(page, "Club Tiers");
    await screenshot(page, "home");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("navigates through the admin's navigation with session tokens on every request", async () => {
    const page = await newPage(browser());
    await page.goto(sandbox.url);
    await app(page).getByText("Members per tier").waitFor();
    await page.locator("#app-nav a", { hasText: "Settings" }).click();
    await app(page).getByLabel("Membership platform (CRM)").waitFor();
    await expectTitleOnce(page, "Settings");
    await screenshot(page, "settings");
    await page.close();
  });

  it("migrated the seeded non-expiring Shopify tokens when the app booted (through the fake's token endpoint)", async () => {
    type Logged = { path: string; status: number; operationName?: string; fault?: string };
    const log = async () => ((await (await fetch(`${sandbox.fakes.shopify}/__fake/requests`)).json()) as { requests: Logged[] }).requests;
    const migrated = async () =>
      new Set((await log()).filter((r) => r.operationName === "oauth:urn:ietf:params:oauth:grant-type:token-exchange" && r.status === 200).map((r) => r.path.split("/")[2]));
    await expect.poll(migrated, { timeout: 15_000 }).toEqual(new Set([sandbox.shops.shopify, sandbox.shops.commerce7]));
    const requests = await log();
    // Admin calls since then carry expiring tokens only: the fake refused none of them (a 401 that another
    // browser test injected as a fault is not a refusal).
    expect(requests.filter((r) => r.path.endsWith("/graphql.json") && r.status === 401 && !r.fault)).toEqual([]);
  });
});
