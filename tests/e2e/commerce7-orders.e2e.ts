// The sandbox's Commerce7 shop receives Commerce7 orders (ADR 0021): Settings
// shows its order webhook URL, the fake Commerce7 has it configured as a
// merchant would, and a sale there (POST /__fake/emit) is delivered to it and
// answered with a 2xx (the webhook tests cover what it records).
import { describe, expect, inject, it } from "vitest";
import { C7_TENANT } from "../../sandbox/shops";
import { app, newPage, screenshot, useBrowser } from "./support/browser";

const sandbox = inject("sandbox");
const browser = useBrowser();

describe("Commerce7 orders in the sandbox", () => {
  it("Settings shows the order webhook URL, and a sale in the fake Commerce7 reaches the shop", async () => {
    const page = await newPage(browser());
    await page.goto(`${sandbox.frameOrigin}/admin/${sandbox.shops.commerce7}/settings`);
    const frame = app(page);
    const shown = (await frame.getByTestId("c7-webhook-url").textContent()) ?? "";
    expect(shown).toMatch(/\/webhooks\/commerce7\/[A-Za-z0-9_-]{43}$/);
    await screenshot(page, "commerce7-order-webhook");

    const auth = `Basic ${Buffer.from(`${C7_TENANT.appId}:${C7_TENANT.appSecret}`).toString("base64")}`;
    const customers = (await (await fetch(`${sandbox.fakes.commerce7}/v1/customer?q=`, { headers: { Authorization: auth, tenant: C7_TENANT.tenantId } })).json()) as { customers: { id: string }[] };
    const buyer = customers.customers[0]!;
    const at = new Date().toISOString();
    const res = await fetch(`${sandbox.fakes.commerce7}/__fake/emit`, {
      method: "POST",
      body: JSON.stringify({ tenantId: C7_TENANT.tenantId, object: "Order", action: "Create", payload: { id: "e2e-c7-order-1", orderSubmittedDate: at, orderPaidDate: at, subTotal: 4_200, total: 4_200, customerId: buyer.id } }),
    });
    const { webHookLogs } = (await res.json()) as { webHookLogs: { url: string; isSuccess: boolean }[] };
    expect(webHookLogs).toEqual([expect.objectContaining({ url: shown, isSuccess: true })]);
  });
});
