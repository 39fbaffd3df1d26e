// The fake Shopify Admin's bulk queries, as the backfill relies on them: the
// inner query is validated against the real schema and Shopify's bulk rules,
// one runs at a time, its status and object count move, and the JSONL result
// is served from the fake's own URL, one order per line.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ShopifyAdmin } from "~/integrations/shopify/admin.server";
import { bulkOperationState, bulkResultLines, parseBulkOrder, startOrdersBulkQuery } from "~/integrations/shopify/bulk-orders.server";
import { ordersBulkQuery } from "~/integrations/shopify/operations";
import { SyncError } from "~/queue/errors";
import { ADMIN_API_VERSION } from "~/integrations/shopify/api-version";
import { createFakeShopifyAdmin, type FakeShopify } from "../../sandbox/fakes/shopify-admin";

const SHOP = "bulk-fake.myshopify.com";
let fake: FakeShopify;
let admin: ShopifyAdmin;

beforeAll(async () => {
  fake = await createFakeShopifyAdmin({ shops: [{ domain: SHOP, accessToken: "shpat_bulk" }], bulkDurationMs: 3_000 });
  admin = new ShopifyAdmin(SHOP, "shpat_bulk", { origin: `${fake.url}/shops/{shop}` });
});
afterAll(() => fake.close());

const run = (query: string) =>
  fetch(`${fake.url}/shops/${SHOP}/admin/api/${ADMIN_API_VERSION}/graphql.json`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": "shpat_bulk" },
    body: JSON.stringify({ query: "mutation R($q: String!) { bulkOperationRunQuery(query: $q, groupObjects: false) { bulkOperation { id } userErrors { field message code } } }", variables: { q: query } }),
  }).then((r) => r.json() as Promise<{ data: { bulkOperationRunQuery: { bulkOperation: { id: string } | null; userErrors: { message: string; code: string }[] } } }>);

describe("fake Shopify bulk queries", () => {
  it("refuses what Shopify refuses: an unknown field, no connection, connections three deep, top-level node, variables", async () => {
    const refused = [
      "{ orders { edges { node { id noSuchField } } } }",
      "{ shop { id name } }",
      "{ customers { edges { node { id orders { edges { node { id lineItems { edges { node { id } } } } } } } } } }",
      '{ node(id: "gid://shopify/Order/1") { id } }',
      "query Q($n: Int) { orders(first: $n) { edges { node { id } } } }",
    ];
    for (const q of refused) {
      const res = await run(q);
      expect(res.data.bulkOperationRunQuery.bulkOperation, q).toBeNull();
      expect(res.data.bulkOperationRunQuery.userErrors[0]?.code, q).toBe("INVALID");
    }
  });

  it("runs the backfill's query: status and object count move, one at a time, JSONL from its own URL, and its own net paid sum", async () => {
    const orders = fake.seedOrders(SHOP, { count: 500, seed: 3 });
    const since = new Date(Date.now() - 365 * 86_400_000);
    const { id } = await startOrdersBulkQuery(admin, since);
    expect((await run(ordersBulkQuery(since))).data.bulkOperationRunQuery.userErrors[0]?.code).toBe("OPERATION_IN_PROGRESS");
    // A retry whose first reply was lost adopts its own running operation.
    expect(await startOrdersBulkQuery(admin, since)).toEqual({ id });
    // Another query of the app is refused while this one runs.
    await expect(startOrdersBulkQuery(admin, new Date(since.getTime() + 1000))).rejects.toBeInstanceOf(SyncError);

    const running = await bulkOperationState(admin, id);
    expect(running).toMatchObject({ status: "RUNNING", url: null });
    let done = running;
    while (done?.status === "RUNNING") {
      expect(done.objectCount).toBeLessThanOrEqual(orders.length);
      await new Promise((r) => setTimeout(r, 100));
      done = await bulkOperationState(admin, id);
    }
    expect(done?.status).toBe("COMPLETED");
    const window = orders.filter((o) => Date.parse(o.createdAt) >= since.getTime());
    expect(done?.objectCount).toBe(window.length);
    expect(done?.url).toMatch(new RegExp(`^${fake.url}/__bulk/`));

    let net = 0;
    let lines = 0;
    for await (const line of bulkResultLines(done!.url!)) {
      lines++;
      const o = parseBulkOrder(line);
      const paid = ["paid", "partially_paid", "partially_refunded", "refunded"].includes(o.financialStatus ?? "");
      if (o.customer && !o.test && !o.cancelledAt && paid) net += o.currentSubtotalCents;
    }
    expect(lines).toBe(window.length);
    // The current subtotal is the subtotal less the refunded lines: the fake's own sum agrees.
    expect(net).toBe(fake.netPaidCents(SHOP, since));
    expect(window.some((o) => o.refunds.length > 1)).toBe(true);
    expect(new Set(window.map((o) => o.financialStatus))).toEqual(new Set(["PAID", "PENDING", "AUTHORIZED", "VOIDED", "PARTIALLY_REFUNDED", "REFUNDED", "PARTIALLY_PAID"]));
  });
});
