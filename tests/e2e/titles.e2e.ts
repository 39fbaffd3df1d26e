// One title per page, drawn by the admin from App Bridge's <TitleBar>; its
// actions (breadcrumb, primary) work from the admin; confirmations are App
// Bridge modals drawn over the app.
import { describe, expect, inject, it } from "vitest";
import type { Page } from "playwright-core";
import { app, expectTitleOnce, newPage, screenshot, useBrowser } from "./support/browser";

const sandbox = inject("sandbox");
const browser = useBrowser();

async function open(path: string, shop = sandbox.shops.shopify): Promise<Page> {
  const page = await newPage(browser());
  await page.goto(`${sandbox.frameOrigin}/admin/${shop}${path}`);
  return page;
}

const titleBar = (page: Page) => page.getByTestId("admin-title-bar");

describe("one title per page", () => {
  it("every page's title is seen exactly once, in the admin's title bar", async () => {
    const page = await open("");
    const pages: [string, string, string][] = [
      ["", "Club Tiers", "Members per tier"],
      ["/members", "Members", "Expires"],
      ["/members/new", "Enroll member", "Email or name"],
      ["/tiers", "Tiers", "Annual spend"],
      ["/tiers/new", "New tier", "Annual spend threshold"],
      ["/queue", "Sync queue", "Status"],
      ["/settings", "Settings", "Alert email (permanent sync failures)"],
    ];
    for (const [path, title, content] of pages) {
      await page.goto(`${sandbox.frameOrigin}/admin/${sandbox.shops.shopify}${path}`);
      await app(page).getByText(content, { exact: true }).filter({ visible: true }).first().waitFor();
      await expectTitleOnce(page, title);
    }
    await page.close();
  });

  it("the title bar's primary action and breadcrumb work from the admin", async () => {
    const page = await open("/members");
    await expectTitleOnce(page, "Members");
    await titleBar(page).getByRole("button", { name: "Enroll member" }).click();
    await expectTitleOnce(page, "Enroll member");
    await screenshot(page, "title-bar-breadcrumb");
    await titleBar(page).getByRole("navigation", { name: "Breadcrumb" }).getByRole("button", { name: "Members" }).click();
    await expectTitleOnce(page, "Members");

    await page.goto(`${sandbox.frameOrigin}/admin/${sandbox.shops.shopify}/tiers`);
    await titleBar(page).getByRole("button", { name: "Add tier" }).click();
    await expectTitleOnce(page, "New tier");
    await titleBar(page).getByRole("button", { name: "Tiers" }).click();
    await expectTitleOnce(page, "Tiers");
    // An existing tier's page is titled after it.
    await app(page).getByRole("link", { name: "Gold", exact: true }).click();
    await expectTitleOnce(page, "Edit Gold");
    await page.close();
  });

  it("a member's page is titled with their name; its confirmations are App Bridge modals", async () => {
    const page = await open("/members/new");
    const frame = app(page);
    await frame.getByLabel("Email", { exact: true }).fill("titles.check@example.com");
    await frame.getByLabel("First name").fill("Tess");
    await frame.getByLabel("Last name").fill("Titles");
    const option = frame.getByLabel("Tier").locator("option", { hasText: /^Silver / });
    await frame.getByLabel("Tier").selectOption((await option.getAttribute("value"))!);
    await frame.getByRole("button", { name: "Next" }).click();
    await expectTitleOnce(page, "Review enrollment");
    await frame.getByRole("button", { name: "Enroll" }).click();
    const name = "Tess Titles";
    await expectTitleOnce(page, name);

    await frame.getByRole("button", { name: "Change tier" }).click();
    const dialog = frame.getByRole("dialog", { name: "Change tier" });
    await dialog.getByLabel("New tier").waitFor();
    await expect.poll(() => page.evaluate(() => document.body.classList.contains("modal-open"))).toBe(true);
    await screenshot(page, "app-bridge-modal");
    // The modal's heading is its own, not a second page title.
    await expectTitleOnce(page, name);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect.poll(() => frame.getByRole("dialog").count()).toBe(0);
    await expect.poll(() => page.evaluate(() => document.body.classList.contains("modal-open"))).toBe(false);

    await frame.getByRole("button", { name: "Cancel membership" }).click();
    await frame.getByRole("dialog", { name: "Cancel this membership?" }).getByRole("button", { name: "Keep it" }).click();
    await expect.poll(() => frame.getByRole("dialog").count()).toBe(0);
    await page.close();
  });
});
