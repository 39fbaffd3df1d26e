// Order history backfill -> recalculation preview -> apply, in the browser
// (ADR 0023): a Silver member's year of orders sits in the fake Shopify; Settings
// reads it through a real bulk query (and the sandbox's bulk_operations/finish
// webhook), the preview says she would move to Gold and changes nothing, Apply
// moves her, and a second preview has nothing left to do for her.
import { describe, expect, inject, it } from "vitest";
import { app, newPage, screenshot, useBrowser } from "./support/browser";

const sandbox = inject("sandbox");
const browser = useBrowser();
const SHOP = sandbox.shops.shopify;

describe("order history backfill and recalculation", () => {
  it("backfill -> preview (nothing changes) -> apply -> the member is in Gold; a second preview finds nothing for her", async () => {
    const page = await newPage(browser());
    const frame = app(page);
    await page.goto(`${sandbox.frameOrigin}/admin/${SHOP}/members/new`);
    await frame.getByLabel("Email", { exact: true }).fill("hana.history@example.com");
    await frame.getByLabel("First name").fill("Hana");
    await frame.getByLabel("Last name").fill("History");
    const silver = frame.getByLabel("Tier").locator("option", { hasText: /^Silver / });
    await frame.getByLabel("Tier").selectOption((await silver.getAttribute("value"))!);
    await frame.getByRole("button", { name: "Next" }).click();
    await frame.getByRole("button", { name: "Enroll" }).click();
    await expect.poll(() => frame.getByTestId("member-tier").textContent()).toBe("Silver");
    const memberUrl = page.url();

    // Her past orders in Shopify: 1,400.00 paid over the year, and one still pending.
    const seeded = await fetch(`${sandbox.fakes.shopify}/__fake/orders`, {
      method: "POST",
      body: JSON.stringify({
        shop: SHOP,
        orders: [
          { email: "hana.history@example.com", subtotal: "800.00", daysAgo: 200 },
          { email: "hana.history@example.com", subtotal: "600.00", daysAgo: 40 },
          { email: "hana.history@example.com", subtotal: "999.00", daysAgo: 10, financialStatus: "PENDING" },
        ],
      }),
    });
    expect(seeded.status).toBe(200);

    await page.goto(`${sandbox.frameOrigin}/admin/${SHOP}/settings`);
    await frame.getByRole("button", { name: /Read order history/ }).click();
    await expect.poll(() => frame.getByTestId("backfill-status").textContent(), { timeout: 60_000 }).toMatch(/done$/);
    await expect.poll(() => frame.getByTestId("backfill-result").textContent()).toMatch(/^\d+ orders recorded, \d+ already known/);
    await screenshot(page, "backfill-done");
    // Reading history moved nobody.
    await page.goto(memberUrl);
    await expect.poll(() => frame.getByTestId("member-tier").textContent()).toBe("Silver");

    await page.goto(`${sandbox.frameOrigin}/admin/${SHOP}/settings`);
    await frame.getByRole("link", { name: "Preview what the tier rules would do" }).click();
    await frame.getByRole("button", { name: /Preview (changes|again)/ }).click();
    await expect.poll(() => frame.getByTestId("sample-upgrades").textContent()).toContain("Hana History (Silver → Gold)");
    await expect.poll(() => frame.getByTestId("recalc-status").textContent()).toMatch(/preview$/);
    await screenshot(page, "recalculation-preview");
    const upgrades = Number((await frame.getByTestId("recalc-upgrades").textContent())!.split(" ")[0]);
    expect(upgrades).toBeGreaterThanOrEqual(1);
    // The preview changed nobody either.
    await page.goto(memberUrl);
    await expect.poll(() => frame.getByTestId("member-tier").textContent()).toBe("Silver");

    await page.goto(`${sandbox.frameOrigin}/admin/${SHOP}/recalculate`);
    await frame.getByRole("button", { name: /^Apply to/ }).click();
    await expect.poll(() => frame.getByTestId("recalc-status").textContent(), { timeout: 60_000 }).toMatch(/done$/);
    // Apply did what the preview said.
    await expect.poll(() => frame.getByTestId("recalc-progress").textContent()).toMatch(new RegExp(`: ${upgrades} upgraded, \\d+ renewed$`));
    await screenshot(page, "recalculation-applied");
    await page.goto(memberUrl);
    await expect.poll(() => frame.getByTestId("member-tier").textContent()).toBe("Gold");
    await frame.getByText("Upgraded to Gold by spend").waitFor();

    // Nothing left to do for her.
    await page.goto(`${sandbox.frameOrigin}/admin/${SHOP}/recalculate`);
    await frame.getByRole("button", { name: "Preview again" }).click();
    await expect.poll(() => frame.getByTestId("recalc-status").textContent()).toMatch(/preview$/);
    expect((await frame.getByTestId("sample-upgrades").count()) === 0 || !(await frame.getByTestId("sample-upgrades").textContent())!.includes("Hana")).toBe(true);
    await page.close();
  }, 300_000);
});
