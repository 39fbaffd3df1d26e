// The sync queue screen's filters, counts, detail and bulk actions through
// the real routes (real authentication, a real database): every filter
// narrows within the shop and never shows another shop's items; the tab
// counts are the database's; bulk retry and discard act on this shop's
// selection only, refusing anything else with a clear message and no write.
import { beforeAll, describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { searchTextOf } from "~/domain/customers.server";
import { queueCrmSync } from "~/queue/enqueue.server";
import { action, loader } from "~/routes/app.queue";
import { loader as detailLoader } from "~/routes/app.queue_.$id";
import { adminGet, adminPost, routeArgs, storeOfflineSession } from "../support/auth";

const SHOP = "filters.myshopify.com";
const OTHER = "filters-other.myshopify.com";
const ZONE = "Pacific/Auckland";

const list = async (shop: string, query = "") => loader(routeArgs(await adminGet(shop, `/app/queue${query ? `?${query}` : ""}`)));
const post = async (shop: string, form: [string, string][], sub?: string) => {
  const request = await adminPost(shop, "/app/queue", {}, sub ? { sub } : {});
  const body = new URLSearchParams(form);
  return action(routeArgs(new Request(request.url, { method: "POST", headers: request.headers, body })));
};

type Seeded = Record<string, string>;
const ids: Seeded = {};
const now = new Date();

async function customer(shop: string, email: string, firstName: string, lastName: string) {
  return prisma.customer.create({ data: { shop, email, firstName, lastName, searchText: searchTextOf({ firstName, lastName, email }) } });
}

async function item(shop: string, key: string, o: { customerId: string; action?: string; platform?: "shopify" | "commerce7"; status?: string; daysAgo?: number; enrollmentId?: string }) {
  const q = await queueCrmSync({
    shop,
    actionType: (o.action ?? "add_membership") as "add_membership",
    stageId: "tier",
    customerId: o.customerId,
    platform: o.platform ?? "shopify",
    enrollmentId: o.enrollmentId,
    idempotencyKey: key,
  });
  await prisma.crmSyncQueue.update({
    where: { id: q.id },
    data: { status: o.status ?? "pending", createdAt: new Date(now.getTime() - (o.daysAgo ?? 0) * 86_400_000 - Object.keys(ids).length), ...(o.status === "failed" ? { attempts: 5, lastError: "Shopify CustomerSet: HTTP 500", lastErrorKind: "retryable" } : {}) },
  });
  ids[key] = q.id;
  return q.id;
}

beforeAll(async () => {
  for (const shop of [SHOP, OTHER]) {
    await storeOfflineSession(shop);
    await prisma.shop.create({ data: { domain: shop, timezone: ZONE } });
  }
  const ada = await customer(SHOP, "ada@example.com", "Ada", "Lovelace");
  const bob = await customer(SHOP, "bob@example.com", "Bob", "Percent_100");
  const cy = await customer(SHOP, "cy@example.com", "Cy", "Young");
  const adaElsewhere = await customer(OTHER, "ada@example.com", "Ada", "Lovelace");
  await item(SHOP, "ada-add", { customerId: ada.id, status: "failed" });
  await item(SHOP, "ada-cancel", { customerId: ada.id, action: "cancel_membership", status: "completed", daysAgo: 3 });
  await item(SHOP, "bob-add", { customerId: bob.id, status: "failed", platform: "commerce7" });
  await item(SHOP, "bob-upgrade", { customerId: bob.id, action: "upgrade_membership", status: "pending", daysAgo: 10, platform: "commerce7" });
  await item(SHOP, "cy-add", { customerId: cy.id, status: "failed" });
  await item(SHOP, "cy-running", { customerId: cy.id, action: "upgrade_membership", status: "processing" });
  await item(SHOP, "alert", { customerId: "shop-alerts", action: "send_alert", status: "completed" });
  await item(SHOP, "discount", { customerId: "shop-discount", action: "ensure_discount", status: "cancelled", daysAgo: 40 });
  await item(OTHER, "other-ada", { customerId: adaElsewhere.id, status: "failed" });
  await item(OTHER, "other-alert", { customerId: "shop-alerts", action: "send_alert", status: "failed" });
});

const idsOf = (r: Awaited<ReturnType<typeof list>>) => r.items.map((i) => i.id).sort();
const keys = (...k: string[]) => k.map((x) => ids[x]!).sort();

describe("the queue screen's filters", () => {
  it("counts each status of the shop's items in the tabs, as the database has them, and no other shop's", async () => {
    const r = await list(SHOP);
    const db = await prisma.crmSyncQueue.groupBy({ by: ["status"], where: { shop: SHOP }, _count: { _all: true } });
    const expected = Object.fromEntries(db.map((g) => [g.status, g._count._all]));
    expect(r.counts).toEqual({ all: 8, pending: 1, processing: 1, failed: 3, completed: 2, cancelled: 1 });
    expect(r.counts).toMatchObject(expected);
    expect((await list(OTHER)).counts).toMatchObject({ all: 2, failed: 2 });
  });

  it("narrows by status, then by a search of the member's name or email", async () => {
    expect(idsOf(await list(SHOP, "status=failed"))).toEqual(keys("ada-add", "bob-add", "cy-add"));
    expect(idsOf(await list(SHOP, "status=failed&q=ADA"))).toEqual(keys("ada-add"));
    expect(idsOf(await list(SHOP, "q=lovelace"))).toEqual(keys("ada-add", "ada-cancel"));
    expect(idsOf(await list(SHOP, "q=bob%40example"))).toEqual(keys("bob-add", "bob-upgrade"));
    // LIKE's own wildcards match themselves: "_" is not "any character", "%" not "anything".
    expect(idsOf(await list(SHOP, "q=percent_1"))).toEqual(keys("bob-add", "bob-upgrade"));
    expect(idsOf(await list(SHOP, "q=a%25e"))).toEqual([]);
    expect(idsOf(await list(SHOP, "q=y_ung"))).toEqual([]);
    // The other shop's Ada (same email) is never found from this shop, nor this shop's from there.
    expect(idsOf(await list(OTHER, "q=ada"))).toEqual(keys("other-ada"));
  });

  it("filters by action, type (membership work or internal), platform and the day queued on the shop's calendar", async () => {
    expect(idsOf(await list(SHOP, "action=upgrade_membership"))).toEqual(keys("bob-upgrade", "cy-running"));
    expect(idsOf(await list(SHOP, "action=upgrade_membership&action=cancel_membership"))).toEqual(keys("bob-upgrade", "cy-running", "ada-cancel"));
    expect(idsOf(await list(SHOP, "kind=internal"))).toEqual(keys("alert", "discount"));
    expect((await list(SHOP, "kind=internal")).items.every((i) => i.internal)).toBe(true);
    expect(idsOf(await list(SHOP, "kind=membership"))).toEqual(keys("ada-add", "ada-cancel", "bob-add", "bob-upgrade", "cy-add", "cy-running"));
    // An action of the other kind leaves nothing, never everything.
    expect(idsOf(await list(SHOP, "kind=internal&action=add_membership"))).toEqual([]);
    expect(idsOf(await list(SHOP, "platform=commerce7"))).toEqual(keys("bob-add", "bob-upgrade"));
    expect(idsOf(await list(SHOP, "range=today"))).toEqual(keys("ada-add", "bob-add", "cy-add", "cy-running", "alert"));
    expect(idsOf(await list(SHOP, "range=7d"))).toEqual(keys("ada-add", "ada-cancel", "bob-add", "cy-add", "cy-running", "alert"));
    expect(idsOf(await list(SHOP, "range=30d&status=pending"))).toEqual(keys("bob-upgrade"));
    // A custom range is of shop-local dates, both ends included.
    const day = (daysAgo: number) => new Intl.DateTimeFormat("en-CA", { timeZone: ZONE }).format(new Date(now.getTime() - daysAgo * 86_400_000));
    expect(idsOf(await list(SHOP, `range=custom&from=${day(11)}&to=${day(2)}`))).toEqual(keys("ada-cancel", "bob-upgrade"));
    expect(idsOf(await list(SHOP, `range=custom&from=${day(45)}&to=${day(35)}`))).toEqual(keys("discount"));
  });

  it("ignores what it does not understand (the list still shows), and shows each row's columns", async () => {
    const all = idsOf(await list(SHOP));
    expect(all).toHaveLength(8);
    for (const q of ["status=bogus", "action=drop_tables", "platform=myspace", "kind=secret", "range=forever", "range=custom&from=2026-02-31&to=yesterday", "cursor=%%%", "before=zz", "q="]) {
      expect(idsOf(await list(SHOP, q))).toEqual(all);
    }
    const failed = (await list(SHOP, "status=failed&q=ada")).items[0]!;
    expect(failed).toMatchObject({ member: "ada@example.com", memberName: "Ada Lovelace", action: "Add membership", status: "failed", attempts: 5, maxAttempts: 5, nextTry: null, internal: false });
    expect(failed.reason).toBe("Shopify kept failing (5 tries): press Retry to try again.");
    const pending = (await list(SHOP, "status=pending")).items[0]!;
    expect(pending.nextTry).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d GMT\+1[23]$/);
  });

  it("pages by keyset in both directions under a filter, neither skipping nor repeating", async () => {
    const c = await customer(SHOP, "many@example.com", "Many", "Items");
    for (let i = 0; i < 120; i++) await item(SHOP, `many-${i}`, { customerId: c.id, status: "failed", daysAgo: 1 });
    const forward: string[][] = [];
    let r = await list(SHOP, "status=failed&q=many");
    forward.push(r.items.map((i) => i.id));
    expect(r.prevCursor).toBeNull();
    while (r.nextCursor) {
      r = await list(SHOP, `status=failed&q=many&cursor=${r.nextCursor}`);
      forward.push(r.items.map((i) => i.id));
    }
    expect(forward.map((p) => p.length)).toEqual([50, 50, 20]);
    expect(new Set(forward.flat()).size).toBe(120);
    // Back from the last page: the pages before it, the same ones.
    const back = await list(SHOP, `status=failed&q=many&before=${r.prevCursor}`);
    expect(back.items.map((i) => i.id)).toEqual(forward[1]);
    const first = await list(SHOP, `status=failed&q=many&before=${back.prevCursor}`);
    expect(first.items.map((i) => i.id)).toEqual(forward[0]);
    expect(first.prevCursor).toBeNull();
    await prisma.crmSyncQueue.deleteMany({ where: { shop: SHOP, customerId: c.id } });
  });
});

describe("an item's page", () => {
  it("lists every attempt, links the member, and is not found from another shop", async () => {
    const id = ids["bob-add"]!;
    for (let n = 1; n <= 5; n++) {
      await prisma.syncAttempt.create({
        data: { shop: SHOP, queueId: id, attempt: n, startedAt: new Date(now.getTime() - (6 - n) * 60_000), durationMs: 100 * n, outcome: n < 5 ? "retry" : "failed", httpStatus: 503, error: `Commerce7 POST /customer: HTTP 503 try ${n}` },
      });
    }
    const { item: detail } = await detailLoader(routeArgs(await adminGet(SHOP, `/app/queue/${id}`), { id }));
    expect(detail.history.map((a) => [a.attempt, a.outcome, a.httpStatus, a.durationMs, a.error])).toEqual([1, 2, 3, 4, 5].map((n) => [n, n < 5 ? "retry" : "failed", 503, 100 * n, `Commerce7 POST /customer: HTTP 503 try ${n}`]));
    expect(detail.lastError).toBe("Shopify CustomerSet: HTTP 500");
    // The list's row knows when it was last tried.
    const row = (await list(SHOP, "status=failed&q=bob")).items[0]!;
    expect(row.lastAttemptAgo).toBe("1 min ago");

    const missing = await detailLoader(routeArgs(await adminGet(OTHER, `/app/queue/${id}`), { id })).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Response);
    expect((missing as Response).status).toBe(404);
  });
});

describe("bulk actions on the selection", () => {
  it("retries the selected failed items of the shop: pending now, a fresh budget", async () => {
    const chosen = keys("ada-add", "bob-add", "cy-add");
    const r = await post(SHOP, [["intent", "retry"], ...chosen.map((id): [string, string] => ["ids", id])]);
    expect(r).toEqual({ ok: true, message: "3 items queued to run now" });
    const rows = await prisma.crmSyncQueue.findMany({ where: { id: { in: chosen } } });
    expect(rows.map((x) => [x.status, x.attempts])).toEqual(chosen.map(() => ["pending", 0]));
  });

  it("refuses a selection with another shop's item, or one that does not exist, and changes nothing", async () => {
    await prisma.crmSyncQueue.updateMany({ where: { id: { in: keys("ada-add", "bob-add") } }, data: { status: "failed" } });
    const before = await prisma.crmSyncQueue.findMany({ where: { shop: { in: [SHOP, OTHER] } }, orderBy: { id: "asc" } });
    const theirs = await post(SHOP, [["intent", "retry"], ["ids", ids["ada-add"]!], ["ids", ids["other-ada"]!]]);
    expect(theirs).toEqual({ ok: false, reason: "1 selected item is not in this shop's sync queue (gone, or never here); nothing was changed." });
    const gone = await post(SHOP, [["intent", "discard"], ["ids", "nope-1"], ["ids", "nope-2"], ["ids", ids["bob-add"]!], ["reason", "x"]]);
    expect(gone).toEqual({ ok: false, reason: "2 selected items are not in this shop's sync queue (gone, or never here); nothing was changed." });
    expect(await post(SHOP, [["intent", "retry"]])).toEqual({ ok: false, reason: "Select at least one sync item." });
    expect(await post(SHOP, [["intent", "retry"], ...Array.from({ length: 251 }, (_, i): [string, string] => ["ids", `x${i}`])])).toEqual({ ok: false, reason: "Select at most 250 sync items at a time." });
    expect(await post(SHOP, [["intent", "retry"], ["ids", "y".repeat(101)]])).toEqual({ ok: false, reason: "That is not a sync item id." });
    expect(await post(SHOP, [["intent", "discard"], ["ids", ids["ada-add"]!], ["reason", "r".repeat(501)]])).toEqual({ ok: false, reason: "The reason can be at most 500 characters (this one has 501)." });
    expect(await post(SHOP, [["intent", "explode"]])).toEqual({ ok: false, reason: "Unknown action" });
    expect(await prisma.crmSyncQueue.findMany({ where: { shop: { in: [SHOP, OTHER] } }, orderBy: { id: "asc" } })).toEqual(before);
  });

  it("discards the selected waiting and failed items with who and why, and leaves a running or completed one alone, saying so", async () => {
    const chosen = keys("ada-add", "bob-upgrade", "cy-running", "alert");
    const r = await post(SHOP, [["intent", "discard"], ...chosen.map((id): [string, string] => ["ids", id]), ["reason", "Entered by mistake"]], "80001");
    expect(r).toEqual({ ok: true, message: "2 items discarded; left alone: 1 completed, 1 running" });
    const rows = Object.fromEntries((await prisma.crmSyncQueue.findMany({ where: { id: { in: chosen } } })).map((x) => [x.id, x]));
    expect(rows[ids["ada-add"]!]).toMatchObject({ status: "cancelled", discardedBy: "80001", discardReason: "Entered by mistake" });
    expect(rows[ids["bob-upgrade"]!]).toMatchObject({ status: "cancelled", discardedBy: "80001" });
    expect(rows[ids["cy-running"]!]!.status).toBe("processing");
    expect(rows[ids["alert"]!]!.status).toBe("completed");
  });

  it("retry all failed answers with the count, for this shop only", async () => {
    const failed = await prisma.crmSyncQueue.count({ where: { shop: SHOP, status: "failed" } });
    expect(failed).toBeGreaterThan(0);
    expect(await post(SHOP, [["intent", "retry-all"]])).toEqual({ ok: true, retried: failed, message: `${failed} failed item${failed === 1 ? "" : "s"} queued to run now` });
    expect(await prisma.crmSyncQueue.count({ where: { shop: SHOP, status: "failed" } })).toBe(0);
    expect(await prisma.crmSyncQueue.count({ where: { shop: OTHER, status: "failed" } })).toBe(2);
  });
});
