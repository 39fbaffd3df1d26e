// The members list at 1,280 px, in Chromium, in the stand-in admin: four
// members enrolled through the wizard; a search and the tier filter narrow
// the list as they are chosen, with the state in the URL; three selected
// members cancelled after one confirmation that gives the count queue
// exactly three cancellations, which the list then shows synced without a
// reload; a selected member exports alone and changes tier after its
// confirmation; nothing scrolls sideways.
import { readFile } from "node:fs/promises";
import { describe, expect, inject, it } from "vitest";
import type { FrameLocator } from "playwright-core";
import { app, appFrame, enrollNew, expectNoSidewaysScroll, newPage, sandboxQuery, screenshot, useBrowser } from "./support/browser";

const sandbox = inject("sandbox");
const browser = useBrowser();
const SHOP = sandbox.shops.shopify;
const RUN = Date.now().toString(36);
const emails = ["one", "two", "three", "four"].map((n) => `list.${n}.${RUN}@example.com`);

const rows = (frame: FrameLocator) => frame.locator(".Polaris-IndexTable__TableRow");
const rowOf = (frame: FrameLocator, email: string) => rows(frame).filter({ hasText: email });
const shownEmails = async (frame: FrameLocator) => (await rows(frame).allTextContents()).map((t) => emails.find((e) => t.includes(e))).filter(Boolean).sort();

type Row = { email: string; status: string; cancels: number | string };
const membershipsOf = () =>
  sandboxQuery<Row>(
    `SELECT c.email, e.status, (SELECT COUNT(*) FROM "CrmSyncQueue" q WHERE q."enrollmentId" = e.id AND q."actionType" = 'cancel_membership') AS cancels
     FROM "Enrollment" e JOIN "Customer" c ON c.id = e."customerId"
     WHERE e.shop = '${SHOP}' AND c.email IN (${emails.map((e) => `'${e}'`).join(", ")}) ORDER BY c.email`,
  );

describe("the members list at 1,280 px", () => {
  it("a search and a filter narrow it as chosen; 3 selected members cancelled after one confirmation queue 3 cancellations", { timeout: 180_000 }, async () => {
    const page = await newPage(browser());
    for (const [n, email] of emails.entries()) await enrollNew(page, SHOP, email, `Lia${n + 1}`, { last: "Lister", tier: n === 3 ? "Gold" : "Silver" });

    await page.goto(`${sandbox.frameOrigin}/admin/${SHOP}/members`);
    const frame = app(page);
    await rowOf(frame, emails[0]!).waitFor();
    await expectNoSidewaysScroll(page);
    await screenshot(page, "members-list");

    // The search applies as it is typed; the tier filter as it is chosen (no Apply button).
    await frame.getByRole("button", { name: /Search and filter/ }).click();
    await frame.getByPlaceholder("Search by name or email").fill(`.${RUN}@`);
    await expect.poll(() => shownEmails(frame)).toEqual([...emails].sort());
    await frame.getByRole("button", { name: /^Tier/ }).click();
    await frame.locator(".Polaris-Popover").getByText("Gold", { exact: true }).click();
    await expect.poll(() => shownEmails(frame)).toEqual([emails[3]]);
    const url = new URL((await appFrame(page)).url());
    expect(url.searchParams.get("q")).toBe(`.${RUN}@`);
    expect(url.searchParams.get("tier")).toMatch(/.+/);
    await expectNoSidewaysScroll(page);
    await screenshot(page, "members-list-filtered");
    expect(await frame.getByRole("button", { name: "Apply" }).count()).toBe(0);

    // The state is in the URL: opened again from it, the list is the same.
    await page.goto(`${sandbox.frameOrigin}/admin/${SHOP}/members?${url.searchParams.toString()}`);
    await expect.poll(() => shownEmails(app(page))).toEqual([emails[3]]);

    // Silver ones only, through the URL the filter writes; select three, cancel them, once.
    await page.goto(`${sandbox.frameOrigin}/admin/${SHOP}/members?q=${encodeURIComponent(`.${RUN}@`)}`);
    await expect.poll(() => shownEmails(frame)).toEqual([...emails].sort());
    for (const email of emails.slice(0, 3)) await rowOf(frame, email).locator("td").first().click();
    await expect.poll(() => frame.getByText("3 selected").count()).toBe(1);
    await frame.getByRole("button", { name: "Cancel memberships" }).click();
    const dialog = frame.getByRole("dialog", { name: "Cancel 3 memberships?" });
    await dialog.waitFor();
    await dialog.getByLabel("Reason").fill("Club closed");
    await screenshot(page, "members-bulk-cancel-confirm");
    expect(await membershipsOf().then((r) => r.filter((m) => m.status === "cancelled").length)).toBe(0);
    await dialog.getByRole("button", { name: "Cancel 3" }).click();
    await expect.poll(() => frame.getByTestId("toast").textContent()).toBe("3 memberships cancelled — syncs queued");
    const after = await membershipsOf();
    expect(after.map((r) => [r.email, r.status, Number(r.cancels)])).toEqual(
      [...emails].sort().map((e) => [e, emails.indexOf(e) < 3 ? "cancelled" : "active", emails.indexOf(e) < 3 ? 1 : 0]),
    );
    // The Active tab no longer lists them; the Cancelled tab does.
    await expect.poll(() => shownEmails(frame)).toEqual([emails[3]]);
    await frame.getByRole("tab", { name: "Cancelled" }).click();
    await expect.poll(() => shownEmails(frame)).toEqual(emails.slice(0, 3).sort());
    // The worker sends the three cancellations; the list follows by itself (no reload).
    const doc = await appFrame(page);
    await doc.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    for (const email of emails.slice(0, 3)) await expect.poll(() => rowOf(frame, email).getByTestId("member-sync").getAttribute("data-sync"), { timeout: 30_000 }).toBe("synced");
    expect(await doc.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await expectNoSidewaysScroll(page);
    await screenshot(page, "members-cancelled-tab");
    await page.close();
  });

  it("exports just the selected member, and moves them to another tier after a confirmation", { timeout: 60_000 }, async () => {
    const page = await newPage(browser());
    await page.goto(`${sandbox.frameOrigin}/admin/${SHOP}/members?q=${encodeURIComponent(`.${RUN}@`)}`);
    const frame = app(page);
    await expect.poll(() => shownEmails(frame)).toEqual([emails[3]]);
    await rowOf(frame, emails[3]!).locator("td").first().click();
    await frame.getByRole("button", { name: "Export" }).click();
    const confirmExport = frame.getByRole("dialog", { name: "Export 1 member?" });
    const download = page.waitForEvent("download");
    await confirmExport.getByRole("button", { name: "Export 1" }).click();
    const csv = await readFile((await (await download).path())!, "utf8");
    const lines = csv.trim().split(/\r?\n/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^${emails[3]!.replace(/\./g, "\\.")},Lia4,Lister,Gold,active,`));
    await expect.poll(() => frame.getByTestId("toast").textContent()).toBe("1 member exported");

    await frame.getByRole("button", { name: "Change tier" }).click();
    const confirmMove = frame.getByRole("dialog", { name: "Change the tier of 1 member?" });
    await confirmMove.getByLabel("New tier").selectOption({ label: "Silver" });
    await screenshot(page, "members-bulk-change-tier");
    await confirmMove.getByRole("button", { name: "Move 1 to Silver" }).click();
    await expect.poll(() => frame.getByTestId("toast").textContent()).toBe("1 membership moved — syncs queued");
    const moved = await sandboxQuery<{ status: string; tier: string; items: number | string }>(
      `SELECT e.status, t.name AS tier, (SELECT COUNT(*) FROM "CrmSyncQueue" q WHERE q."enrollmentId" = e.id AND q."actionType" = 'upgrade_membership') AS items
       FROM "Enrollment" e JOIN "Customer" c ON c.id = e."customerId" JOIN "Tier" t ON t.id = e."tierId"
       WHERE e.shop = '${SHOP}' AND c.email = '${emails[3]}' ORDER BY e."createdAt"`,
    );
    expect(moved.map((r) => [r.status, r.tier, Number(r.items)])).toEqual([
      ["moved_down", "Gold", 0],
      ["active", "Silver", 1],
    ]);
    await page.close();
  });
});
