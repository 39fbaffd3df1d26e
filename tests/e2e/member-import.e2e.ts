// Member import in the browser (issue 15, ADR 0022): a CSV file is uploaded,
// the preview lists exactly its bad rows with their reasons (nothing imported
// yet), the commit runs in the background with a progress bar that a reload
// reads again from the database, and the rows not imported download as a CSV
// holding exactly the bad rows with their reasons. An 8-row file imports in
// one chunk, so the bar is checked done (and after a reload); a commit seen
// halfway is tests/imports/import-50k.test.ts (the page's loader mid-import).
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { describe, expect, inject, it } from "vitest";
import { app, newPage, sandboxQuery, screenshot, useBrowser } from "./support/browser";

const sandbox = inject("sandbox");
const browser = useBrowser();

describe("member import", () => {
  it("upload → preview with the bad rows and their reasons → commit → progress → done → the failed rows as CSV", async () => {
    const shop = sandbox.shops.shopify;
    // A run of its own: the sandbox's database lives for the whole browser run.
    const run = randomBytes(4).toString("hex");
    const email = (n: number) => `import-${run}-${n}@example.com`;
    const rows = [
      [email(1), "Ada", "Import", "Silver", "2026-06-01", ""],
      [email(2), "Ben, \"the second\"", "Import", "gold", "2026-07-15", "2027-07-15"],
      [email(3), "Cy", "Import", "Bronze", "2026-06-01", ""], // row 4: unknown tier
      [email(4), "Di", "Import", "Silver", "2026-13-01", ""], // row 5: not a date
      [email(1), "Ed", "Import", "Gold", "2026-06-01", ""], // row 6: same email as row 2
      [email(6), "Flo", "Import", "Reserve", "2026-06-01", ""], // row 7: upgrade-only tier
      [email(7), "Gus", "Import", "Silver", "2026-05-01", ""],
      [email(8), "Hal", "Import", "Gold", "2026-04-01", ""],
    ];
    const csv = stringify([["email", "first_name", "last_name", "tier", "start_date", "expiry_date"], ...rows]);
    const expectedBad = [
      { row: "4", reason: /^Unknown tier "Bronze"$/ },
      { row: "5", reason: /^Start date "2026-13-01" is not a date/ },
      { row: "6", reason: /^Same email as row 2$/ },
      { row: "7", reason: /^Reserve is reached by upgrading only$/ },
    ];

    const page = await newPage(browser());
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${sandbox.frameOrigin}/admin/${shop}/members/import`);
    const frame = app(page);

    // Upload.
    await frame.getByLabel("CSV file").setInputFiles({ name: `club-${run}.csv`, mimeType: "text/csv", buffer: Buffer.from(csv) });
    await frame.getByRole("button", { name: "Check the file" }).click();

    // Preview: the counts, and exactly the bad rows, each with its reason. Nothing imported yet.
    await expect.poll(() => frame.getByTestId("import-counts").textContent()).toBe("8 rows: 4 to import, 4 with errors.");
    // The badge's text after its tone, which Polaris writes for screen readers.
    expect(await frame.getByTestId("import-status").textContent()).toMatch(/preview$/);
    const table = frame.getByRole("table");
    const listed = (await table.locator("tbody tr").all()).map(async (tr) => (await tr.locator("td, th").allTextContents()).map((c) => c.trim()));
    const bad = await Promise.all(listed);
    expect(bad.map((cells) => cells[0])).toEqual(expectedBad.map((b) => b.row));
    bad.forEach((cells, i) => expect(cells[3]).toMatch(expectedBad[i]!.reason));
    expect(bad.map((cells) => cells[1])).toEqual([email(3), email(4), email(1), email(6)]);
    const emailsIn = `'${[1, 2, 3, 4, 6, 7, 8].map(email).join("','")}'`;
    expect(await sandboxQuery(`SELECT e.id FROM "Enrollment" e JOIN "Customer" c ON c.id = e."customerId" WHERE c.shop = '${shop}' AND c.email IN (${emailsIn})`)).toEqual([]);
    await screenshot(page, "member-import-preview");

    // Commit: the background import, its progress bar, then done.
    await frame.getByRole("button", { name: "Import 4 members" }).click();
    const bar = frame.locator("progress");
    await bar.waitFor();
    await expect.poll(() => frame.getByTestId("import-status").textContent(), { timeout: 30_000 }).toMatch(/done$/);
    expect(await bar.evaluate((el) => (el as HTMLProgressElement).value)).toBe(100);
    expect(await frame.getByTestId("import-progress").textContent()).toBe("Imported 4 of 4 rows · 4 errors so far");
    await frame.getByText("Imported 4 members").waitFor();

    // The progress is the database's: a reload shows the same, the bar drawn full once it has grown in.
    await page.reload();
    await expect.poll(() => app(page).getByTestId("import-progress").textContent()).toBe("Imported 4 of 4 rows · 4 errors so far");
    expect(await app(page).locator("progress").evaluate((el) => (el as HTMLProgressElement).value)).toBe(100);
    const drawn = () =>
      app(page)
        .locator(".Polaris-ProgressBar")
        .evaluate((el) => el.querySelector(".Polaris-ProgressBar__Indicator")!.getBoundingClientRect().width / el.getBoundingClientRect().width);
    await expect.poll(drawn).toBeGreaterThan(0.99);
    await screenshot(page, "member-import-done");

    // The good rows are members, in their tiers, with the file's dates.
    const members = await sandboxQuery<{ email: string; handle: string; status: string }>(
      `SELECT c.email, t.handle, e.status FROM "Enrollment" e JOIN "Customer" c ON c.id = e."customerId" JOIN "Tier" t ON t.id = e."tierId"
       WHERE c.shop = '${shop}' AND c.email IN (${emailsIn}) ORDER BY c.email`,
    );
    expect(members).toEqual([
      { email: email(1), handle: "silver", status: "active" },
      { email: email(2), handle: "gold", status: "active" },
      { email: email(7), handle: "silver", status: "active" },
      { email: email(8), handle: "gold", status: "active" },
    ]);

    // The rows not imported, downloaded as the browser saves them: exactly the bad rows, with their reasons.
    const [download] = await Promise.all([page.waitForEvent("download"), app(page).getByRole("button", { name: "Download rows not imported (CSV)" }).click()]);
    expect(download.suggestedFilename()).toBe(`club-${run}-not-imported.csv`);
    const saved = parse(await readFile((await download.path())!, "utf8"), { columns: true }) as Record<string, string>[];
    expect(saved.map((r) => r.row)).toEqual(expectedBad.map((b) => b.row));
    saved.forEach((r, i) => expect(r.error).toMatch(expectedBad[i]!.reason));
    expect(saved.map((r) => r.email)).toEqual([email(3), email(4), email(1), email(6)]);
    expect(saved.map((r) => r.tier)).toEqual(["Bronze", "Silver", "Gold", "Reserve"]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
