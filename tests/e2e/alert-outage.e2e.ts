// A mail-server outage set from outside, over HTTP, as anyone trying the
// sandbox can: a sync that fails for good raises an alert email, which waits
// (the queue retries it with backoff) while the SMTP server is down, and
// arrives once it is back.
import { describe, expect, inject, it } from "vitest";
import { app, newPage, screenshot, useBrowser } from "./support/browser";

const sandbox = inject("sandbox");
const SHOP = sandbox.shops.shopify;
const browser = useBrowser();

const post = (url: string, body: unknown) => fetch(`${url}/__fake/faults`, { method: "POST", body: JSON.stringify(body) });
const alertSubjects = async () =>
  ((await (await fetch(`${sandbox.fakes.smtp}/__fake/messages`)).json()) as { messages: { subject: string; to: string[] }[] }).messages
    .filter((m) => m.to.includes(`owner@${SHOP.replace(".myshopify.com", "")}.example`) || m.subject.includes(SHOP))
    .map((m) => m.subject);

describe("alert email through an SMTP outage", () => {
  it("is delayed while the mail server is down, and arrives after it recovers", async () => {
    const before = (await alertSubjects()).length;
    // Shopify refuses our token (a permanent failure) and the mail server is down.
    expect((await post(sandbox.fakes.shopify, { mode: "401" })).status).toBe(200);
    expect((await post(sandbox.fakes.smtp, { mode: "down" })).status).toBe(200);

    const page = await newPage(browser());
    await page.goto(`${sandbox.frameOrigin}/admin/${SHOP}/members/new`);
    const frame = app(page);
    await frame.getByLabel("Email", { exact: true }).fill("smtp.outage@example.com");
    await frame.getByLabel("First name").fill("Otto");
    await frame.getByLabel("Last name").fill("Outage");
    const option = frame.getByLabel("Tier").locator("option", { hasText: /^Silver / });
    await frame.getByLabel("Tier").selectOption((await option.getAttribute("value"))!);
    await frame.getByRole("button", { name: "Next" }).click();
    await frame.getByRole("button", { name: "Enroll" }).click();
    // The member page says why, from the member's state, as soon as the worker has tried.
    await expect.poll(() => frame.getByTestId("sync-banner").textContent(), { timeout: 30_000 }).toBe("Shopify refused the app's access: open the app in Shopify admin to reconnect, then retry.");

    // The sync fails for good within a second or two; its alert cannot go out.
    await expect.poll(async () => {
      await page.reload();
      return frame.getByText("sync: failed").count();
    }, { timeout: 15_000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 4_000));
    expect((await alertSubjects()).length).toBe(before);

    // The mail server is back: the alert arrives on the queue's next try.
    expect((await fetch(`${sandbox.fakes.smtp}/__fake/faults`, { method: "DELETE" })).status).toBe(200);
    await expect.poll(async () => (await alertSubjects()).length, { timeout: 20_000 }).toBe(before + 1);
    const mail = await newPage(browser());
    await mail.goto(`${sandbox.frameOrigin}/sandbox/mail`);
    await mail.getByText("smtp.outage@example.com").first().waitFor();
    await screenshot(mail, "alert-after-smtp-outage");
    await fetch(`${sandbox.fakes.shopify}/__fake/faults`, { method: "DELETE" });
    await page.close();
    await mail.close();
  });
});
