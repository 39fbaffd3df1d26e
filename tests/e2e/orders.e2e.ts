// Orders and alerts end to end, in the browser: a checkout simulated from the
// stand-in admin reaches the running app as a signed orders/create webhook over
// real HTTP, upgrades the member, and the worker mirrors it to Commerce7; a
// permanent failure then sends an alert email through the sandbox's SMTP server.
import { describe, expect, inject, it } from "vitest";
import { app, expectSynced, newPage, screenshot, useBrowser } from "./support/browser";

const sandbox = inject("sandbox");
const C7 = sandbox.shops.commerce7;
const browser = useBrowser();

describe("orders", () => {
  it("a checkout that reaches Gold's threshold upgrades the member, and Commerce7 follows; a failed sync emails the alert address", async () => {
    const page = await newPage(browser());
    await page.goto(`${sandbox.frameOrigin}/admin/${C7}/members/new`);
    const frame = app(page);
    await frame.getByLabel("Email or name").fill("noah");
    await frame.getByRole("button", { name: "Search" }).click();
    await frame.getByText("noah.garcia@example.com").waitFor();
    await frame.getByRole("link", { name: "Select" }).first().click();
    await expect.poll(() => frame.getByLabel("Email", { exact: true }).inputValue()).toBe("noah.garcia@example.com");
    await frame.getByRole("button", { name: "Next" }).click();
    // Commerce7: the delivery step (Noah has an address there already).
    await frame.getByText("The membership uses the customer's default address in Commerce7.").waitFor();
    await frame.getByRole("button", { name: "Next" }).click();
    await frame.getByText(/Tier Silver/).waitFor();
    await frame.getByRole("button", { name: "Enroll" }).click();
    await expect.poll(() => frame.getByTestId("sync-banner").textContent()).toBe("Synced to Commerce7");

    // The stand-in admin's sandbox panel plays Shopify's checkout.
    await page.getByLabel("Customer email").fill("noah.garcia@example.com");
    await page.getByLabel("Subtotal (USD)").fill("1300.00");
    await page.getByRole("button", { name: "Send orders/create" }).click();
    await expect.poll(() => page.getByTestId("order-result").textContent()).toBe("Recorded $1300.00 (12-month spend $1300.00); membership: upgraded");

    // The page is the member's: reloaded, it shows the Gold membership, with Silver as history.
    const memberPath = new URL(page.url()).pathname;
    await page.reload();
    await frame.getByText("Upgraded to Gold by spend").waitFor();
    await expect.poll(() => frame.getByTestId("member-tier").textContent()).toBe("Gold");
    await frame.getByText("Recorded spend (12 months): $1,300.00").waitFor();
    expect(new URL(page.url()).pathname).toBe(memberPath);
    await expectSynced(page);
    await expect.poll(() => frame.getByTestId("member-tier").textContent()).toBe("Gold");
    await screenshot(page, "member-upgraded-by-order");

    // Commerce7 now refuses our credentials: the cancellation fails for good and is emailed.
    await fetch(`${sandbox.fakes.commerce7}/__fake/faults`, { method: "POST", body: JSON.stringify({ mode: "401" }) });
    await frame.getByRole("button", { name: "Cancel membership" }).click();
    await frame.getByRole("dialog").getByRole("button", { name: "Cancel membership" }).click();
    await frame.getByText("Membership cancelled — sync queued").first().waitFor();
    const mail = await newPage(browser());
    // The mail page lists every email the sandbox has sent, also earlier
    // files' alerts for this shop: wait for the one that lists Noah's cancellation.
    const noahs = mail.locator("article", { hasText: "- Cancel membership for noah.garcia@example.com" });
    await expect.poll(async () => {
      await mail.goto(`${sandbox.frameOrigin}/sandbox/mail`);
      return noahs.getByRole("heading", { level: 2 }).allTextContents();
    }, { timeout: 15_000 }).toEqual([`Club Tiers: 1 membership change could not reach Commerce7 (${C7})`]);
    await screenshot(mail, "alert-email");
    await fetch(`${sandbox.fakes.commerce7}/__fake/faults`, { method: "DELETE" });
    await page.close();
    await mail.close();
  });
});
