// Settings in the browser: Commerce7 "Test connection", succeeding and failing
// clearly; Commerce7's parts only while it is the platform; choosing the other
// platform says what a switch will do, before saving.
import { describe, expect, inject, it } from "vitest";
import { app, newPage, screenshot, useBrowser } from "./support/browser";

const sandbox = inject("sandbox");
const browser = useBrowser();

async function openSettings() {
  const page = await newPage(browser());
  await page.goto(`${sandbox.frameOrigin}/admin/${sandbox.shops.commerce7}/settings`);
  const frame = app(page);
  await frame.getByLabel("Tenant").waitFor();
  return { page, frame };
}

describe("settings (Commerce7 shop)", () => {
  it("tests the stored connection and lists the clubs to map tiers to", async () => {
    const { page, frame } = await openSettings();
    expect(await frame.getByLabel("Tenant").inputValue()).toBe("napa-cellars");
    expect(await frame.getByLabel("App secret").inputValue()).toBe(""); // never sent back
    expect(await frame.getByLabel("Alert email (permanent sync failures)").inputValue()).toBe("owner@napa-cellars.example");
    await frame.getByText("One email lists every sync that failed for good").waitFor(); // the sandbox has a mail server
    await frame.getByRole("button", { name: "Send a test email" }).click();
    await expect.poll(() => frame.getByTestId("email-result").textContent()).toBe("Sent to owner@napa-cellars.example.");
    await frame.getByRole("button", { name: "Test connection" }).click();
    await expect.poll(() => frame.getByTestId("connection-result").textContent()).toBe("Found 3 club(s).");
    await expect.poll(() => frame.getByLabel("Silver").locator("option").allTextContents()).toContain("Silver Club");
    await screenshot(page, "settings-c7-connected");
    await page.close();
  });

  it("shows a clear message when Commerce7 refuses the credentials or is down", async () => {
    const { page, frame } = await openSettings();
    await fetch(`${sandbox.fakes.commerce7}/__fake/faults`, { method: "POST", body: JSON.stringify({ mode: "401", times: 1 }) });
    await frame.getByRole("button", { name: "Test connection" }).click();
    await expect
      .poll(() => frame.getByTestId("connection-result").textContent())
      .toBe("Commerce7 refused these credentials: check the tenant, app id and app secret.");
    await screenshot(page, "settings-c7-refused");

    await fetch(`${sandbox.fakes.commerce7}/__fake/faults`, { method: "POST", body: JSON.stringify({ mode: "down", times: 1 }) });
    await frame.getByRole("button", { name: "Test connection" }).click();
    await expect.poll(() => frame.getByTestId("connection-result").textContent()).toMatch(/^Commerce7 could not be reached/);
    await page.close();
  });

  it("keeps the secret when saving without retyping it, rejects a bad alert email beside its field, and shows the shop's zone and currency from Shopify, read-only", async () => {
    const { page, frame } = await openSettings();
    await expect.poll(() => frame.getByTestId("shop-context").textContent()).toBe("Time zone: America/Los_Angeles · Currency: USD");
    expect(await frame.getByLabel("Time zone").count()).toBe(0);
    const alertEmail = frame.getByLabel("Alert email (permanent sync failures)");
    const saved = await alertEmail.inputValue();
    // The browser takes it (type="email" needs no dot); the app refuses an address with no domain suffix.
    await alertEmail.fill("owner@cellar");
    await frame.getByRole("button", { name: "Save", exact: true }).click();
    await frame.getByText("Alert email must be an email address, like name@example.com").waitFor();
    await alertEmail.fill(saved);
    await frame.getByRole("button", { name: "Save", exact: true }).click();
    await frame.getByText("Settings saved.").waitFor();
    await frame.getByRole("button", { name: "Test connection" }).click();
    await expect.poll(() => frame.getByTestId("connection-result").textContent()).toBe("Found 3 club(s).");
    await page.close();
  });
});

describe("settings (Shopify shop)", () => {
  it("shows Commerce7's fields, test, club mapping and order webhook only while Commerce7 is the platform chosen", async () => {
    const page = await newPage(browser());
    await page.goto(`${sandbox.frameOrigin}/admin/${sandbox.shops.shopify}/settings`);
    const frame = app(page);
    await frame.getByLabel("Alert email (permanent sync failures)").waitFor();
    const commerce7Parts = async () => ({
      fields: await frame.getByLabel(/^(Tenant|App id|App secret|Commerce7 requests per minute)$/).count(),
      test: await frame.getByRole("button", { name: "Test connection" }).count(),
      mapping: await frame.getByText("Tier → Commerce7 club").count(),
      webhook: await frame.getByText("Commerce7 orders (spend)").count(),
    });
    expect(await commerce7Parts()).toEqual({ fields: 0, test: 0, mapping: 0, webhook: 0 });
    // What every platform has stays.
    expect(await frame.getByLabel("Count orders toward tiers").count()).toBe(1);
    expect(await frame.getByRole("button", { name: "Send a test email" }).count()).toBe(1);
    await screenshot(page, "settings-shopify");
    await frame.getByLabel("Membership platform (CRM)").selectOption("commerce7");
    await expect.poll(commerce7Parts).toEqual({ fields: 4, test: 1, mapping: 1, webhook: 1 });
    await frame.getByLabel("Membership platform (CRM)").selectOption("shopify");
    await expect.poll(commerce7Parts).toEqual({ fields: 0, test: 0, mapping: 0, webhook: 0 });
    // Saved on Shopify without them: the settings save, and the Commerce7 shop's page still has its own.
    await frame.getByRole("button", { name: "Save", exact: true }).click();
    await frame.getByText("Settings saved.").waitFor();
    await page.goto(`${sandbox.frameOrigin}/admin/${sandbox.shops.commerce7}/settings`);
    await expect.poll(() => app(page).getByLabel(/^(Tenant|App id|App secret|Commerce7 requests per minute)$/).count()).toBe(4);
    // The same rule on the tier pages: a Shopify shop's tiers have no Commerce7 club, a Commerce7 shop's do.
    for (const [shop, commerce7] of [[sandbox.shops.shopify, false], [sandbox.shops.commerce7, true]] as const) {
      await page.goto(`${sandbox.frameOrigin}/admin/${shop}/tiers`);
      await app(page).getByText("Annual spend", { exact: true }).filter({ visible: true }).first().waitFor();
      expect((await app(page).getByText("Commerce7 club", { exact: true }).filter({ visible: true }).count()) > 0).toBe(commerce7);
      await page.goto(`${sandbox.frameOrigin}/admin/${shop}/tiers/new`);
      await app(page).getByLabel("Annual spend threshold").waitFor();
      expect(await app(page).getByLabel("Commerce7 club").count()).toBe(commerce7 ? 1 : 0);
    }
    await page.close();
  });

  it("choosing Commerce7 says what the switch will do before anything is saved; choosing Shopify again takes it back", async () => {
    const page = await newPage(browser());
    await page.goto(`${sandbox.frameOrigin}/admin/${sandbox.shops.shopify}/settings`);
    const frame = app(page);
    await frame.getByLabel("Membership platform (CRM)").selectOption("commerce7");
    await frame.getByText("Switching from Shopify to Commerce7").waitFor();
    expect(await frame.getByTestId("switch-preview").textContent()).toMatch(/^(No active members: nothing moves\.|\d+ active members?: their benefits move\. For each one, their Club Tiers tags and metafield are removed from Shopify, and a club membership is added in Commerce7)/);
    expect(await frame.getByRole("button", { name: "Save and switch to Commerce7" }).count()).toBe(1);
    await screenshot(page, "settings-switch-preview");
    await frame.getByLabel("Membership platform (CRM)").selectOption("shopify");
    await expect.poll(() => frame.getByTestId("switch-preview").count()).toBe(0);
    expect(await frame.getByRole("button", { name: "Save", exact: true }).count()).toBe(1);
    await page.close();
  });
});
