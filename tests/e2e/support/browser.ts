// Debian's Chromium driven by playwright-core; never a downloaded browser.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import pg from "pg";
import { chromium, type Browser, type Frame, type FrameLocator, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, inject } from "vitest";

const SCREENSHOTS = resolve(import.meta.dirname, "../../../test-results/screenshots");

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
}

/**
 * A page with an ordinary desktop user agent: the Shopify library answers
 * "HeadlessChrome" with 410 Gone (it rejects bots), as it would in production.
 */
export async function newPage(browser: Browser): Promise<Page> {
  const version = browser.version();
  const context = await browser.newContext({
    userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${version} Safari/537.36`,
    viewport: { width: 1280, height: 900 },
  });
  return context.newPage();
}

/** Saves a full-page screenshot under test-results/screenshots (git-ignored). */
export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name.replace(/[^\w.-]+/g, "-")}.png`), fullPage: true });
}

export function app(page: Page): FrameLocator {
  return page.frameLocator("iframe#app");
}

/**
 * Reloads a member's page until its sync badge reads "sync: synced". Each try
 * yields the badge and the page's "Platform sync" card (every item and
 * attempt), so a run that never syncs fails saying where the sync stands.
 * The wait covers a first attempt that is retried once after its backoff on a
 * busy machine; the worker itself is not slowed down for the test.
 */
export async function expectSynced(page: Page, timeout = 30_000) {
  await expect
    .poll(
      async () => {
        await page.reload();
        const frame = app(page);
        // Read only once the reloaded page is there (textContent does not wait for a count).
        await frame.getByTestId("member-tier").waitFor();
        const badge = (await frame.getByText(/^sync: /).first().textContent()) ?? "";
        const card = await frame.getByRole("heading", { name: "Platform sync" }).locator("xpath=ancestor::div[1]").first().innerText().catch(() => "");
        return `${badge} | ${card.replace(/\s+/g, " ")}`;
      },
      { timeout },
    )
    .toMatch(/^sync: synced \|/);
}

/**
 * One browser for the calling test file: launched before its tests, closed
 * after them, once the sandbox's fakes have had their faults cleared (a test
 * that failed half-way must not leave a platform "down" for the next file).
 */
export function useBrowser(): () => Browser {
  const sandbox = inject("sandbox");
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await Promise.all([sandbox.fakes.commerce7, sandbox.fakes.shopify, sandbox.fakes.smtp].map((url) => fetch(`${url}/__fake/faults`, { method: "DELETE" })));
    await browser?.close();
  });
  return () => browser!;
}

/**
 * The page's title is seen exactly once: in the admin's title bar (drawn from
 * the app's App Bridge <TitleBar>), and nowhere in the app's own frame (no
 * second Polaris page title).
 */
export async function expectTitleOnce(page: Page, title: string) {
  await expect.poll(() => page.getByTestId("admin-title").textContent()).toBe(title);
  await expect.poll(() => page.getByTestId("admin-title-bar").getByText(title, { exact: true }).count()).toBe(1);
  // Visible only: App Bridge's own elements (the menu, the title bar) are in
  // the app's DOM but drawn by the admin.
  expect(await app(page).getByText(title, { exact: true }).filter({ visible: true }).count()).toBe(0);
  expect(await app(page).getByRole("heading", { level: 1 }).count()).toBe(0);
}

/**
 * Runs one SQL statement on the sandbox's own database from outside the app,
 * as an operator's tool would (the `sqlite3` shell, or a PostgreSQL client):
 * for tests that need data the app itself would never write.
 */
export async function sandboxSql(statement: string) {
  const { databaseUrl } = inject("sandbox");
  if (databaseUrl.startsWith("file:")) {
    const out = spawnSync("sqlite3", ["-cmd", ".timeout 5000", databaseUrl.slice("file:".length), statement], { encoding: "utf8" });
    if (out.status !== 0) throw new Error(`sqlite3: ${out.stderr}`);
    return;
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Rows of one query on the sandbox's own database, read from outside the app (as sandboxSql writes). */
export async function sandboxQuery<T extends Record<string, unknown>>(statement: string): Promise<T[]> {
  const { databaseUrl } = inject("sandbox");
  if (databaseUrl.startsWith("file:")) {
    const out = spawnSync("sqlite3", ["-cmd", ".timeout 5000", "-json", databaseUrl.slice("file:".length), statement], { encoding: "utf8" });
    if (out.status !== 0) throw new Error(`sqlite3: ${out.stderr}`);
    return out.stdout.trim() ? (JSON.parse(out.stdout) as T[]) : [];
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(statement)).rows as T[];
  } finally {
    await client.end();
  }
}

/** The app's own document (the admin frames it), for what a locator cannot ask: its URL, its scroll widths. */
export async function appFrame(page: Page): Promise<Frame> {
  const frame = await (await page.locator("iframe#app").elementHandle())!.contentFrame();
  return frame!;
}

/** Nothing needs horizontal scrolling: not the app's document, not a table's own scroller. */
export async function expectNoSidewaysScroll(page: Page) {
  const frame = await appFrame(page);
  const widths = await frame.evaluate(() => {
    const doc = document.scrollingElement!;
    const scrollers = [...document.querySelectorAll<HTMLElement>(".Polaris-IndexTable__ScrollContainer, .Polaris-DataTable__ScrollContainer")];
    return { doc: [doc.scrollWidth, doc.clientWidth], inner: scrollers.map((s) => [s.scrollWidth, s.clientWidth]) };
  });
  expect(widths.doc[0]).toBeLessThanOrEqual(widths.doc[1]!);
  for (const [scroll, client] of widths.inner) expect(scroll).toBeLessThanOrEqual(client!);
}

/** A new customer enrolled through the wizard on a Shopify shop (no delivery step); ends on the member's page. */
export async function enrollNew(page: Page, shop: string, email: string, first: string, o: { last?: string; tier?: string } = {}) {
  const { frameOrigin } = inject("sandbox");
  await page.goto(`${frameOrigin}/admin/${shop}/members/new`);
  const frame = app(page);
  await frame.getByLabel("Email", { exact: true }).fill(email);
  await frame.getByLabel("First name").fill(first);
  await frame.getByLabel("Last name").fill(o.last ?? "Queue");
  const option = frame.getByLabel("Tier").locator("option", { hasText: new RegExp(`^${o.tier ?? "Silver"} `) });
  await frame.getByLabel("Tier").selectOption((await option.getAttribute("value"))!);
  await frame.getByRole("button", { name: "Next" }).click();
  await frame.getByRole("button", { name: "Enroll" }).click();
  await frame.getByTestId("member-tier").waitFor();
}
