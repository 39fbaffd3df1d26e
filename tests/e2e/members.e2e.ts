// Tiers, enrollment and members in the browser, inside the stand-in admin.
import { describe, expect, inject, it } from "vitest";
import type { FrameLocator, Page } from "playwright-core";
import { app, newPage, screenshot, useBrowser } from "./support/browser";

const sandbox = inject("sandbox");
const browser = useBrowser();

async function open(shop: string, path: string): Promise<{ page: Page; frame: FrameLocator }> {
  const page = await newPage(browser());
  await page.goto(`${sandbox.frameOrigin}/admin/${shop}${path}`);
  return { page, frame: app(page) };
}

async function enroll(frame: FrameLocator, email: string, first: string, tier: string) {
  await frame.getByLabel("Email", { exact: true }).fill(email);
  await frame.getByLabel("First name").fill(first);
  await frame.getByLabel("Last name").fill("Tester");
  const option = frame.getByLabel("Tier").locator("option", { hasText: new RegExp(`^${tier} `) });
  await frame.getByLabel("Tier").selectOption((await option.getAttribute("value"))!);
  await frame.getByRole("button", { name: "Review" }).click();
  await frame.getByRole("button", { name: "Enroll" }).click();
  return frame.getByTestId("sync-banner");
}

describe("enrollment", () => {
  it("enrolls on Commerce7 (synced inline), and again with Commerce7 down (queued)", async () => {
    const { page, frame } = await open(sandbox.shops.commerce7, "/members/new");
    await frame.getByLabel("Email or name").fill("ava");
    await frame.getByRole("button", { name: "Search" }).click();
    await frame.getByText("ava.martin@example.com").waitFor();
    await frame.getByRole("link", { name: "Select" }).first().click();
    await expect.poll(() => frame.getByLabel("Email", { exact: true }).inputValue()).toBe("ava.martin@example.com");
    await frame.getByRole("button", { name: "Review" }).click();
    await frame.getByText(/Recorded spend in the last 12 months/).waitFor();
    await screenshot(page, "enroll-review");
    await frame.getByRole("button", { name: "Enroll" }).click();
    await expect.poll(() => frame.getByTestId("sync-banner").textContent()).toBe("Synced to Commerce7");
    await expect.poll(() => frame.getByTestId("toast").textContent()).toBe("Synced to Commerce7");
    await screenshot(page, "member-synced-c7");

    await fetch(`${sandbox.fakes.commerce7}/__fake/faults`, { method: "POST", body: JSON.stringify({ mode: "down" }) });
    await page.goto(`${sandbox.frameOrigin}/admin/${sandbox.shops.commerce7}/members/new`);
    const banner = await enroll(app(page), "new.customer@example.com", "Nia", "Silver");
    await expect.poll(() => banner.textContent()).toBe("Sync queued — retrying automatically");
    await screenshot(page, "member-queued-c7-down");
    await fetch(`${sandbox.fakes.commerce7}/__fake/faults`, { method: "DELETE" });
    await page.close();
  });

  it("enrolls on Shopify (always queued, then synced by the worker), also with Shopify down", async () => {
    const { page, frame } = await open(sandbox.shops.shopify, "/members/new");
    const banner = await enroll(frame, "liam.okafor@example.com", "Liam", "Gold");
    await expect.poll(() => banner.textContent()).toBe("Sync queued — retrying automatically");
    await expect.poll(async () => {
      await page.reload();
      // Count only once the reloaded page is there (count() does not wait).
      await app(page).getByTestId("member-tier").waitFor();
      return app(page).getByText("sync: synced").count();
    }, { timeout: 15_000 }).toBe(1);
    await screenshot(page, "member-synced-shopify");

    await fetch(`${sandbox.fakes.shopify}/__fake/faults`, { method: "POST", body: JSON.stringify({ mode: "down" }) });
    await page.goto(`${sandbox.frameOrigin}/admin/${sandbox.shops.shopify}/members/new`);
    const queued = await enroll(app(page), "down@example.com", "Dee", "Silver");
    await expect.poll(() => queued.textContent()).toBe("Sync queued — retrying automatically");
    await fetch(`${sandbox.fakes.shopify}/__fake/faults`, { method: "DELETE" });
    await page.close();
  });
});

describe("tiers", () => {
  it("creates a tier, shows a validation error beside its field, edits it and deactivates it", async () => {
    const { page, frame } = await open(sandbox.shops.shopify, "/tiers/new");
    await frame.getByLabel("Name").fill("Platinum");
    await frame.getByLabel("Annual spend threshold").fill("1000");
    await frame.getByLabel("Initial purchase").fill("5000");
    await frame.getByLabel("Rank (upgrade order)").fill("9");
    await frame.getByRole("button", { name: "Save tier" }).click();
    await frame.getByText("Can't be more than the annual spend threshold").waitFor();
    await screenshot(page, "tier-validation-error");
    await frame.getByLabel("Initial purchase").fill("");
    await frame.getByRole("button", { name: "Save tier" }).click();
    await frame.getByRole("link", { name: "Platinum", exact: true }).waitFor();
    await screenshot(page, "tiers-list");
    await frame.getByRole("link", { name: "Platinum", exact: true }).click();
    await frame.getByLabel("Member discount").fill("20");
    await frame.getByRole("button", { name: "Save tier" }).click();
    await frame.getByRole("cell", { name: "20%" }).waitFor();
    await frame.getByRole("button", { name: "Deactivate Platinum" }).click();
    await expect.poll(() => frame.getByRole("button", { name: "Activate Platinum" }).count()).toBe(1);
    await page.close();
  });
});

describe("members", () => {
  it("searches, changes a member's tier and cancels the membership", async () => {
    const { page, frame } = await open(sandbox.shops.shopify, "/members");
    await frame.getByLabel("Search").fill("liam");
    await frame.getByRole("button", { name: "Apply" }).click();
    await frame.getByRole("link", { name: "Liam Okafor" }).click();
    await frame.getByRole("button", { name: "Change tier" }).click();
    await frame.getByLabel("New tier").selectOption({ label: "Silver" });
    await frame.getByRole("dialog").getByRole("button", { name: "Change tier" }).click();
    await frame.getByText("Tier changed — sync queued").first().waitFor();
    await frame.getByRole("link", { name: "Open the new membership" }).click();
    await frame.getByRole("button", { name: "Cancel membership" }).click();
    await frame.getByRole("dialog").getByRole("button", { name: "Cancel membership" }).click();
    await frame.getByText("Membership cancelled — sync queued").first().waitFor();
    await screenshot(page, "member-cancelled");
    await page.close();
  });
});
