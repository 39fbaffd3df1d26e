// The sync queue screen at 1,280 px, in Chromium, in the stand-in admin,
// against items that really failed: four Shopify enrollments whose sync meets
// a Shopify answering 500 until each has used its 5 attempts. The tab counts
// are the database's; the Failed tab plus a search narrows the list; three
// selected items retried are pending; an item's page lists its 5 attempts;
// the list follows the worker without a reload; nothing scrolls sideways.
import { describe, expect, inject, it } from "vitest";
import type { FrameLocator, Page } from "playwright-core";
import { app, appFrame, enrollNew as enrollIn, expectNoSidewaysScroll, newPage, sandboxQuery, screenshot, useBrowser } from "./support/browser";

const sandbox = inject("sandbox");
const browser = useBrowser();
const SHOP = sandbox.shops.shopify;
const faults = `${sandbox.fakes.shopify}/__fake/faults`;
const setFault = (body: unknown) => fetch(faults, { method: "POST", body: JSON.stringify(body) });
const clearFaults = () => fetch(faults, { method: "DELETE" });
const RUN = Date.now().toString(36);
const emails = ["one", "two", "three", "four"].map((n) => `queue.${n}.${RUN}@example.com`);
const enrollNew = (page: Page, email: string, first: string) => enrollIn(page, SHOP, email, first);

type ItemRow = { id: string; status: string; attempts: number | string; email: string };
const itemsOf = (list: string[]) =>
  sandboxQuery<ItemRow>(
    `SELECT q.id, q.status, q.attempts, c.email FROM "CrmSyncQueue" q JOIN "Customer" c ON c.id = q."customerId"
     WHERE q.shop = '${SHOP}' AND q."actionType" = 'add_membership' AND c.email IN (${list.map((e) => `'${e}'`).join(", ")}) ORDER BY c.email`,
  );

const tab = (frame: FrameLocator, label: string) => frame.getByRole("tab", { name: new RegExp(`^${label} \\(\\d+\\)$`) });
async function tabCount(frame: FrameLocator, label: string) {
  const name = await tab(frame, label).getAttribute("aria-label");
  return Number(name!.match(/\((\d+)\)$/)![1]);
}
const rows = (frame: FrameLocator) => frame.locator(".Polaris-IndexTable__TableRow");
// A member's membership item: each enrollment also queues its Shopify Flow trigger (ADR 0028), a row of its own.
const rowOf = (frame: FrameLocator, email: string) => rows(frame).filter({ hasText: email }).filter({ hasNotText: "Shopify Flow" });

describe("the sync queue screen at 1,280 px", () => {
  let page: Page;

  it("four syncs fail for good; the tab counts are the database's; Failed plus a search narrows the list; nothing scrolls sideways", { timeout: 180_000 }, async () => {
    page = await newPage(browser());
    await setFault({ mode: "500" });
    try {
      for (const [n, email] of emails.entries()) await enrollNew(page, email, `Quinn${n + 1}`);
      // Each uses its 5 attempts (backoff 2 s doubling in the sandbox).
      await expect.poll(async () => (await itemsOf(emails)).map((r) => `${r.status}/${r.attempts}`), { timeout: 120_000, interval: 1000 }).toEqual(emails.map(() => "failed/5"));
    } finally {
      await clearFaults();
    }

    await page.goto(`${sandbox.frameOrigin}/admin/${SHOP}/queue`);
    const frame = app(page);
    await tab(frame, "All").waitFor();
    // Every tab's count is the database's (read once the list is quiet: polled until both agree).
    const labels = { All: null, Pending: "pending", Running: "processing", Failed: "failed", Completed: "completed", Discarded: "cancelled" } as const;
    await expect
      .poll(async () => {
        const db = await sandboxQuery<{ status: string; n: number | string }>(`SELECT status, COUNT(*) AS n FROM "CrmSyncQueue" WHERE shop = '${SHOP}' GROUP BY status`);
        const byStatus = Object.fromEntries(db.map((r) => [r.status, Number(r.n)]));
        const total = db.reduce((s, r) => s + Number(r.n), 0);
        const shown: Record<string, number> = {};
        const want: Record<string, number> = {};
        for (const [label, status] of Object.entries(labels)) {
          shown[label] = await tabCount(frame, label);
          want[label] = status ? (byStatus[status] ?? 0) : total;
        }
        return JSON.stringify(shown) === JSON.stringify(want) ? "equal" : `${JSON.stringify(shown)} vs ${JSON.stringify(want)}`;
      })
      .toBe("equal");
    expect(await tabCount(frame, "Failed")).toBeGreaterThanOrEqual(4);
    await expectNoSidewaysScroll(page);
    await screenshot(page, "queue-all");

    await tab(frame, "Failed").click();
    await expect.poll(async () => new Set(await frame.getByTestId("item-status").evaluateAll((els) => els.map((e) => e.getAttribute("data-status"))))).toEqual(new Set(["failed"]));
    const failedRows = await rows(frame).count();
    expect(failedRows).toBeGreaterThanOrEqual(4);
    // The readable reason, never the transport's words.
    await expect.poll(() => rowOf(frame, emails[1]!).getByTestId("item-reason").textContent()).toBe("Shopify kept failing (5 tries): press Retry to try again.");

    await frame.getByRole("button", { name: /Search and filter/ }).click();
    await frame.getByPlaceholder("Search by member name or email").fill(`queue.two.${RUN}`);
    await expect.poll(() => rows(frame).count()).toBe(1);
    expect(await rows(frame).first().textContent()).toContain(emails[1]);
    // The state is in the URL: status and search.
    const url = new URL((await appFrame(page)).url());
    expect([url.searchParams.get("status"), url.searchParams.get("q")]).toEqual(["failed", `queue.two.${RUN}`]);
    await expectNoSidewaysScroll(page);
    await screenshot(page, "queue-failed-search");

    // A filter applies as it is chosen (no Filter button): Platform Commerce7 leaves none of these Shopify items.
    await frame.getByRole("button", { name: /^Platform/ }).click();
    await frame.getByLabel("Commerce7").click();
    await expect.poll(() => frame.getByText("No sync items found").count()).toBe(1);
    await screenshot(page, "queue-empty-search");
  });

  it("an item that failed 5 times shows every attempt on its page, with a link to the member", async () => {
    const [item] = await itemsOf([emails[0]!]);
    await page.goto(`${sandbox.frameOrigin}/admin/${SHOP}/queue?status=failed`);
    const frame = app(page);
    await rowOf(frame, emails[0]!).getByRole("link", { name: "Add membership" }).click();
    await frame.getByTestId("attempts").waitFor();
    const attempts = await sandboxQuery<{ attempt: number; outcome: string; httpStatus: number | null; error: string }>(
      `SELECT attempt, outcome, "httpStatus", error FROM "SyncAttempt" WHERE "queueId" = '${item!.id}' ORDER BY "startedAt", attempt`,
    );
    expect(attempts.map((a) => a.outcome)).toEqual(["retry", "retry", "retry", "retry", "failed"]);
    const cells = await frame.getByTestId("attempts").locator("tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("th, td")].map((c) => (c.textContent ?? "").trim())));
    expect(cells.map((c) => [c[0], c[3], c[4], c[5]])).toEqual(
      attempts.map((a) => [String(a.attempt), a.outcome === "failed" ? "Failed" : "Failed, tried again later", String(a.httpStatus ?? "—"), a.error]),
    );
    expect(cells.every((c) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /.test(c[1]!) && /\d+(\.\d)? m?s$/.test(c[2]!))).toBe(true);
    await expect.poll(() => page.getByTestId("admin-title").textContent()).toBe("Add membership");
    await expectNoSidewaysScroll(page);
    await screenshot(page, "queue-item-detail");
    await frame.getByRole("link", { name: new RegExp(emails[0]!.replace(/\./g, "\\.")) }).click();
    await expect.poll(() => frame.getByTestId("member-tier").textContent()).toBe("Silver");
  });

  it("three selected items retried are pending; the list then follows the worker without a reload, keeping the selection", { timeout: 90_000 }, async () => {
    // Shopify unreachable: a retried item tries once, then waits for its next try (pending).
    await setFault({ mode: "down" });
    try {
      await page.goto(`${sandbox.frameOrigin}/admin/${SHOP}/queue?status=failed`);
      const frame = app(page);
      await rowOf(frame, emails[3]!).waitFor();
      for (const email of emails.slice(0, 3)) await rowOf(frame, email).locator("td").first().click();
      await expect.poll(() => frame.getByText("3 selected").count()).toBe(1);
      await screenshot(page, "queue-bulk-selection");
      await frame.getByRole("button", { name: "Retry now" }).click();
      await expect.poll(() => frame.getByTestId("toast").textContent()).toBe("3 items queued to run now");
      await expect
        .poll(async () => Object.fromEntries((await itemsOf(emails)).map((r) => [r.email, r.status])), { timeout: 20_000 })
        .toEqual({ [emails[0]!]: "pending", [emails[1]!]: "pending", [emails[2]!]: "pending", [emails[3]!]: "failed" });

      // Retry all failed asks first, with the count.
      await page.getByTestId("admin-title-bar").getByRole("button", { name: "Retry all failed" }).click();
      const failedNow = Number((await sandboxQuery<{ n: number | string }>(`SELECT COUNT(*) AS n FROM "CrmSyncQueue" WHERE shop = '${SHOP}' AND status = 'failed'`))[0]!.n);
      const confirm = frame.getByRole("dialog", { name: `Retry ${failedNow} failed item${failedNow === 1 ? "" : "s"}?` });
      await confirm.waitFor();
      await screenshot(page, "queue-retry-all-confirm");
      await confirm.getByRole("button", { name: "Cancel" }).click();
      await expect.poll(() => frame.getByRole("dialog").count()).toBe(0);

      // The All tab: the fourth (still failed) stays selected while the list refreshes itself.
      await page.goto(`${sandbox.frameOrigin}/admin/${SHOP}/queue`);
      await rowOf(frame, emails[3]!).waitFor();
      await rowOf(frame, emails[3]!).locator("td").first().click();
      const doc = await appFrame(page);
      await doc.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
      await expect.poll(() => rowOf(frame, emails[0]!).getByTestId("item-status").getAttribute("data-status")).toMatch(/^(pending|processing)$/);
    } finally {
      await clearFaults();
    }
    const frame = app(page);
    // Shopify is back: the worker completes the three at their next try; the list shows it by itself.
    for (const email of emails.slice(0, 3)) {
      await expect.poll(() => rowOf(frame, email).getByTestId("item-status").getAttribute("data-status"), { timeout: 30_000 }).toBe("completed");
    }
    const doc = await appFrame(page);
    expect(await doc.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(await rowOf(frame, emails[3]!).locator('input[type="checkbox"]').isChecked()).toBe(true);
    await screenshot(page, "queue-live-refreshed");

    // Discard the selected one, with a reason.
    await frame.getByRole("button", { name: "Discard" }).click();
    const dialog = frame.getByRole("dialog", { name: "Discard 1 sync item?" });
    await dialog.getByLabel("Reason").fill("Duplicate enrollment");
    await dialog.getByRole("button", { name: "Discard" }).click();
    await expect.poll(() => frame.getByTestId("toast").textContent()).toBe("1 item discarded");
    const discarded = await sandboxQuery<{ status: string; discardReason: string }>(
      `SELECT q.status, q."discardReason" FROM "CrmSyncQueue" q JOIN "Customer" c ON c.id = q."customerId" WHERE q.shop = '${SHOP}' AND q."actionType" = 'add_membership' AND c.email = '${emails[3]}'`,
    );
    expect(discarded).toEqual([{ status: "cancelled", discardReason: "Duplicate enrollment" }]);
    await page.close();
  });
});

describe("the member page after a Shopify enrollment", () => {
  it("once its sync has completed, says synced (from the member's state), not queued, and calls nothing a retry", async () => {
    const page = await newPage(browser());
    const email = `synced.${RUN}@example.com`;
    await enrollNew(page, email, "Sina");
    const memberUrl = page.url();
    await expect.poll(async () => (await itemsOf([email])).map((r) => r.status), { timeout: 30_000 }).toEqual(["completed"]);
    // The page as it is opened now, from the same address the enrollment led to.
    await page.goto(memberUrl);
    const frame = app(page);
    await expect.poll(() => frame.getByTestId("sync-banner").textContent()).toBe("Synced to Shopify");
    await expect.poll(() => frame.getByTestId("toast").textContent()).toBe("Synced to Shopify");
    expect(await frame.getByText(/queued|retrying/i).count()).toBe(0);
    await expect.poll(() => frame.getByText(/^sync: /).first().textContent()).toBe("sync: synced");
    await screenshot(page, "member-enrolled-synced");
    await page.close();
  });
});
