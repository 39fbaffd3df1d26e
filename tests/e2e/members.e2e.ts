// Tiers, enrollment and members in the browser, inside the stand-in admin.
import { describe, expect, inject, it } from "vitest";
import type { FrameLocator, Page } from "playwright-core";
import { C7_TENANT } from "../../sandbox/shops";
import { app, expectSynced, newPage, screenshot, useBrowser } from "./support/browser";

const sandbox = inject("sandbox");
const browser = useBrowser();

async function open(shop: string, path: string): Promise<{ page: Page; frame: FrameLocator }> {
  const page = await newPage(browser());
  await page.goto(`${sandbox.frameOrigin}/admin/${shop}${path}`);
  return { page, frame: app(page) };
}

async function chooseTier(frame: FrameLocator, tier: string) {
  const option = frame.getByLabel("Tier").locator("option", { hasText: new RegExp(`^${tier} `) });
  await frame.getByLabel("Tier").selectOption((await option.getAttribute("value"))!);
}

/** A new customer through the wizard; on Commerce7 with an address (the delivery step). */
async function enroll(frame: FrameLocator, email: string, first: string, tier: string, opts: { commerce7?: boolean } = {}) {
  await frame.getByLabel("Email", { exact: true }).fill(email);
  await frame.getByLabel("First name").fill(first);
  await frame.getByLabel("Last name").fill("Tester");
  await chooseTier(frame, tier);
  await frame.getByRole("button", { name: "Next" }).click();
  if (opts.commerce7) {
    await frame.getByLabel("Address", { exact: true }).fill("5 Vine St");
    await frame.getByLabel("City").fill("Napa");
    await frame.getByLabel("State").fill("CA");
    await frame.getByLabel("ZIP code").fill("94559");
    await frame.getByLabel("Country").fill("US");
    await frame.getByRole("button", { name: "Next" }).click();
    await frame.getByText("Billing address: 5 Vine St, Napa, CA 94559, US (added to the customer in Commerce7)").waitFor();
  }
  await frame.getByRole("button", { name: "Enroll" }).click();
  return frame.getByTestId("sync-banner");
}

/** The fake Commerce7's own API, as the app sees it (Basic auth and tenant). */
async function c7Api(path: string) {
  const res = await fetch(`${sandbox.fakes.commerce7}/v1${path}`, {
    headers: { Authorization: `Basic ${Buffer.from(`${C7_TENANT.appId}:${C7_TENANT.appSecret}`).toString("base64")}`, tenant: C7_TENANT.tenantId },
  });
  return res.json() as Promise<Record<string, unknown[]>>;
}

describe("enrollment", () => {
  it("enrolls on Commerce7 (synced inline), and again with Commerce7 down (queued)", async () => {
    const { page, frame } = await open(sandbox.shops.commerce7, "/members/new");
    await frame.getByLabel("Email or name").fill("ava");
    await frame.getByRole("button", { name: "Search" }).click();
    await frame.getByText("ava.martin@example.com").waitFor();
    await frame.getByRole("link", { name: "Select" }).first().click();
    await expect.poll(() => frame.getByLabel("Email", { exact: true }).inputValue()).toBe("ava.martin@example.com");
    await frame.getByRole("button", { name: "Next" }).click();
    // Ava has an address in Commerce7: the delivery step asks only how she receives her orders.
    await frame.getByText("The membership uses the customer's default address in Commerce7.").waitFor();
    await frame.getByRole("button", { name: "Next" }).click();
    await frame.getByText(/Recorded spend in the last 12 months/).waitFor();
    await screenshot(page, "enroll-review");
    await frame.getByRole("button", { name: "Enroll" }).click();
    await expect.poll(() => frame.getByTestId("sync-banner").textContent()).toBe("Synced to Commerce7");
    await expect.poll(() => frame.getByTestId("toast").textContent()).toBe("Synced to Commerce7");
    await screenshot(page, "member-synced-c7");

    await fetch(`${sandbox.fakes.commerce7}/__fake/faults`, { method: "POST", body: JSON.stringify({ mode: "down" }) });
    await page.goto(`${sandbox.frameOrigin}/admin/${sandbox.shops.commerce7}/members/new`);
    const banner = await enroll(app(page), "new.customer@example.com", "Nia", "Silver", { commerce7: true });
    // Said from the member's state: the inline attempt found Commerce7 unreachable, and when it tries next.
    await expect.poll(() => banner.textContent()).toMatch(/^Commerce7 could not be reached; trying again at \d\d:\d\d$/);
    await screenshot(page, "member-queued-c7-down");
    await fetch(`${sandbox.fakes.commerce7}/__fake/faults`, { method: "DELETE" });
    await page.close();
  });

  it("enrolls on Shopify (always queued, then synced by the worker), also with Shopify down", async () => {
    const { page, frame } = await open(sandbox.shops.shopify, "/members/new");
    const banner = await enroll(frame, "liam.okafor@example.com", "Liam", "Gold");
    // The page follows the member's sync state by itself (no reload): sending, then synced; never "retrying".
    await expect.poll(() => banner.textContent(), { timeout: 30_000 }).toBe("Synced to Shopify");
    await expect.poll(() => frame.getByTestId("toast").textContent()).toBe("Synced to Shopify");
    await expectSynced(page);
    await screenshot(page, "member-synced-shopify");

    await fetch(`${sandbox.fakes.shopify}/__fake/faults`, { method: "POST", body: JSON.stringify({ mode: "down" }) });
    await page.goto(`${sandbox.frameOrigin}/admin/${sandbox.shops.shopify}/members/new`);
    const queued = await enroll(app(page), "down@example.com", "Dee", "Silver");
    await expect.poll(() => queued.textContent(), { timeout: 30_000 }).toMatch(/^Shopify could not be reached; trying again at \d\d:\d\d$/);
    await fetch(`${sandbox.fakes.shopify}/__fake/faults`, { method: "DELETE" });
    await page.close();
  });
});

describe("a new customer on Commerce7", () => {
  it("is enrolled with an address and ends synced, with one Commerce7 customer and one membership", async () => {
    const { page, frame } = await open(sandbox.shops.commerce7, "/members/new");
    const banner = await enroll(frame, "olive.grove@example.com", "Olive", "Gold", { commerce7: true });
    await expect.poll(() => banner.textContent()).toBe("Synced to Commerce7");
    await screenshot(page, "c7-new-customer-synced");
    const { customers } = await c7Api("/customer?q=olive.grove%40example.com");
    expect(customers).toHaveLength(1);
    const customer = customers![0] as { id: string };
    const { clubMemberships } = await c7Api(`/club-membership?customerId=${customer.id}`);
    const { customerAddresses } = await c7Api(`/customer/${customer.id}/address`);
    expect(customerAddresses).toMatchObject([{ address: "5 Vine St", city: "Napa", zipCode: "94559" }]);
    const addressId = (customerAddresses![0] as { id: string }).id;
    expect(clubMemberships).toMatchObject([{ status: "Active", orderDeliveryMethod: "Ship", billToCustomerAddressId: addressId, shipToCustomerAddressId: addressId }]);
    await page.close();
  });
});

describe("the wizard checks each step", () => {
  it("an empty or invalid step shows its errors beside the fields and does not advance", async () => {
    const { page, frame } = await open(sandbox.shops.commerce7, "/members/new");
    await frame.getByRole("button", { name: "Next" }).click();
    await frame.getByText("Enter the customer's email").waitFor();
    expect(await frame.getByRole("heading", { name: "Member and tier" }).count()).toBe(1);
    await frame.getByLabel("Email", { exact: true }).fill("not an email");
    await frame.getByLabel("First name").fill("N".repeat(5000));
    await frame.getByRole("button", { name: "Next" }).click();
    await frame.getByText("Enter a real email address, like name@example.com").waitFor();
    await frame.getByText("First name can be at most 100 characters").waitFor();
    await screenshot(page, "wizard-step1-errors");
    expect(new URL(page.url()).pathname).toBe(`/admin/${sandbox.shops.commerce7}/members/new`);

    // Step 1 right, the delivery step empty: its own errors, still on it.
    await frame.getByLabel("Email", { exact: true }).fill("step.two@example.com");
    await frame.getByLabel("First name").fill("Sam");
    await frame.getByRole("button", { name: "Next" }).click();
    await frame.getByRole("heading", { name: "Billing address" }).waitFor();
    await frame.getByRole("button", { name: "Next" }).click();
    await frame.getByText("Enter the street address").waitFor();
    await frame.getByText("Enter the ZIP or postal code").waitFor();
    await screenshot(page, "wizard-delivery-errors");
    expect(await frame.getByRole("button", { name: "Enroll" }).count()).toBe(0);
    await page.close();
  });
});

describe("tiers", () => {
  it("on Commerce7, a tier without a club cannot be chosen for enrollment, and its row links to the fix", async () => {
    const { page, frame } = await open(sandbox.shops.commerce7, "/tiers/new");
    await frame.getByLabel("Name").fill("Library");
    await frame.getByLabel("Annual spend threshold").fill("5000");
    await frame.getByLabel("Rank (upgrade order)").fill("7");
    await expect.poll(() => frame.getByLabel("Commerce7 club").inputValue()).toBe("");
    await frame.getByRole("button", { name: "Save tier" }).click();
    await frame.getByRole("link", { name: "Library", exact: true }).waitFor();
    await frame.getByText("Not offered for enrollment until it has a club.").waitFor();
    await screenshot(page, "tier-without-club");

    await page.goto(`${sandbox.frameOrigin}/admin/${sandbox.shops.commerce7}/members/new`);
    const tiers = await app(page).getByLabel("Tier").locator("option").allTextContents();
    expect(tiers.some((t) => t.startsWith("Library"))).toBe(false);
    expect(tiers.some((t) => t.startsWith("Silver"))).toBe(true);

    await page.goto(`${sandbox.frameOrigin}/admin/${sandbox.shops.commerce7}/tiers`);
    await app(page).getByRole("link", { name: "Choose a club for Library" }).click();
    await app(page).getByLabel("Commerce7 club").selectOption({ label: "Gold Club" });
    await app(page).getByRole("button", { name: "Save tier" }).click();
    await app(page).getByRole("cell", { name: "Gold Club" }).nth(1).waitFor();
    await page.goto(`${sandbox.frameOrigin}/admin/${sandbox.shops.commerce7}/members/new`);
    expect((await app(page).getByLabel("Tier").locator("option").allTextContents()).some((t) => t.startsWith("Library"))).toBe(true);
    await page.close();
  });


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
    await frame.getByRole("button", { name: /Search and filter/ }).click();
    await frame.getByPlaceholder("Search by name or email").fill("liam");
    await frame.getByRole("link", { name: "Liam Okafor" }).click();
    await frame.getByRole("button", { name: "Change tier" }).click();
    await frame.getByLabel("New tier").selectOption({ label: "Silver" });
    await frame.getByRole("dialog").getByRole("button", { name: "Change tier" }).click();
    await frame.getByText("Tier changed — sync queued").first().waitFor();
    // The page follows the member: it now shows the Silver membership.
    await expect.poll(() => frame.getByTestId("member-tier").textContent()).toBe("Silver");
    await frame.getByRole("button", { name: "Cancel membership" }).click();
    await frame.getByRole("dialog").getByRole("button", { name: "Cancel membership" }).click();
    await frame.getByText("Membership cancelled — sync queued").first().waitFor();
    await screenshot(page, "member-cancelled");
    await page.close();
  });
});
