// The members list through the real routes (real authentication, a real
// database): its filters narrow within the shop, pages go both ways, and the
// bulk actions on a selection (cancel, change tier, export) run through the
// domain under the members' locks, queue one sync per member as the single
// changes do, and refuse a selection holding anything that is not this
// shop's, or bad input, with a sentence and nothing written.
import { parse } from "csv-parse/sync";
import { beforeAll, describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { changeTier, enroll } from "~/domain/enrollments.server";
import { action, loader } from "~/routes/app.members._index";
import { action as exportAction } from "~/routes/app.members.export";
import { adminGet, adminPost, routeArgs, storeOfflineSession } from "../support/auth";
import { holdMemberLock } from "../support/member-lock";

const SHOP = "members-list.myshopify.com";
const OTHER = "members-list-other.myshopify.com";
const DAY = 86_400_000;

const list = async (shop: string, query = "") => loader(routeArgs(await adminGet(shop, `/app/members${query ? `?${query}` : ""}`)));
const post = async (shop: string, form: [string, string][], path = "/app/members") => {
  const request = await adminPost(shop, path, {}, { sub: "4242" });
  return new Request(request.url, { method: "POST", headers: request.headers, body: new URLSearchParams(form) });
};
const bulk = async (shop: string, intent: string, ids: string[], extra: [string, string][] = []) =>
  action(routeArgs(await post(shop, [["intent", intent], ...ids.map((id): [string, string] => ["ids", id]), ...extra])));

const tiers: Record<string, string> = {};
// Enrollment ids by member name.
const m: Record<string, string> = {};

async function tier(shop: string, name: string, rank: number, o: { upgradable?: boolean; active?: boolean } = {}) {
  const t = await prisma.tier.create({
    data: { shop, name, handle: name.toLowerCase(), rank, annualThresholdCents: 0, initialPurchaseCents: 0, durationMonths: 12, discountPercent: 5, upgradable: o.upgradable ?? true, active: o.active ?? true },
  });
  return t.id;
}

async function member(shop: string, name: string, tierId: string, o: { expiresInDays?: number } = {}) {
  const r = await enroll(prisma, shop, { idempotencyKey: `key-${shop}-${name}`, tierId, email: `${name.toLowerCase()}@example.com`, firstName: name, lastName: "Member" });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  if (o.expiresInDays !== undefined) await prisma.enrollment.update({ where: { id: r.enrollmentId }, data: { expiresAt: new Date(Date.now() + o.expiresInDays * DAY) } });
  m[name] = r.enrollmentId;
  return r.enrollmentId;
}

const cancellations = (shop: string, enrollmentIds?: string[]) =>
  prisma.crmSyncQueue.count({ where: { shop, actionType: "cancel_membership", ...(enrollmentIds ? { enrollmentId: { in: enrollmentIds } } : {}) } });

/** Every row a bulk action could write, for "nothing was written". */
const snapshot = async () => ({
  enrollments: await prisma.enrollment.findMany({ orderBy: { id: "asc" }, select: { id: true, status: true, tierId: true, endedAt: true, syncState: true } }),
  items: await prisma.crmSyncQueue.count(),
});

beforeAll(async () => {
  for (const shop of [SHOP, OTHER]) {
    await storeOfflineSession(shop);
    await prisma.shop.create({ data: { domain: shop, timezone: "America/New_York" } });
  }
  tiers.silver = await tier(SHOP, "Silver", 1);
  tiers.gold = await tier(SHOP, "Gold", 2);
  tiers.bronze = await tier(SHOP, "Bronze", 3, { upgradable: false });
  tiers.retired = await tier(SHOP, "Retired", 4, { active: false });
  tiers.otherGold = await tier(OTHER, "Gold", 1);
  for (const name of ["Ann", "Ben", "Cat", "Dan"]) await member(SHOP, name, tiers.silver!, { expiresInDays: 200 });
  await member(SHOP, "Eve", tiers.gold!, { expiresInDays: 20 });
  await member(SHOP, "Fay", tiers.gold!, { expiresInDays: 5 });
  await member(SHOP, "Gus", tiers.bronze!);
  await member(SHOP, "Hal", tiers.silver!);
  await member(SHOP, "Ivy", tiers.silver!);
  await member(SHOP, "Joe", tiers.silver!);
  await member(OTHER, "Zed", tiers.otherGold!);
  await prisma.enrollment.update({ where: { id: m.Eve }, data: { syncState: "failed" } });
});

const names = (r: Awaited<ReturnType<typeof list>>) => r.members.map((x) => x.name.split(" ")[0]).sort();

describe("the members list's filters", () => {
  it("narrows by tier, sync state, expiring within N days and a name or email search, within the shop", async () => {
    expect(names(await list(SHOP))).toEqual(["Ann", "Ben", "Cat", "Dan", "Eve", "Fay", "Gus", "Hal", "Ivy", "Joe"]);
    expect(names(await list(SHOP, `tier=${tiers.gold}`))).toEqual(["Eve", "Fay"]);
    expect(names(await list(SHOP, "sync=failed"))).toEqual(["Eve"]);
    expect(names(await list(SHOP, "expiring=7"))).toEqual(["Fay"]);
    expect(names(await list(SHOP, "expiring=30"))).toEqual(["Eve", "Fay"]);
    expect(names(await list(SHOP, `expiring=30&tier=${tiers.gold}&sync=failed`))).toEqual(["Eve"]);
    expect(names(await list(SHOP, "q=CAT%40example"))).toEqual(["Cat"]);
    // Another shop's tier, or its member's name, finds nothing here.
    expect(names(await list(SHOP, `tier=${tiers.otherGold}`))).toEqual([]);
    expect(names(await list(SHOP, "q=zed"))).toEqual([]);
    expect(names(await list(OTHER))).toEqual(["Zed"]);
  });

  it("falls back to no filter for an expiring value it does not understand, never a 500", async () => {
    const all = names(await list(SHOP));
    for (const q of ["expiring=0", "expiring=-3", "expiring=abc", "expiring=99999", "expiring=1e3", "before=%%%"]) expect(names(await list(SHOP, q))).toEqual(all);
    expect((await list(SHOP, "expiring=3650")).query.expiring).toBe(3650);
  });

  it("pages by keyset both ways: Next, then Previous, shows the first page again", async () => {
    // 10 members; 50 a page is the list's size, so page through enrollments of a wider shop.
    const shop = "members-pages.myshopify.com";
    await storeOfflineSession(shop);
    await prisma.shop.create({ data: { domain: shop } });
    const t = await tier(shop, "Solo", 1);
    for (let i = 0; i < 55; i++) await member(shop, `P${String(i).padStart(2, "0")}`, t);
    const first = await list(shop);
    expect(first.members).toHaveLength(50);
    expect(first.prevCursor).toBeNull();
    const second = await list(shop, `cursor=${first.nextCursor}`);
    expect(second.members).toHaveLength(5);
    expect(second.nextCursor).toBeNull();
    expect(new Set([...first.members, ...second.members].map((x) => x.id)).size).toBe(55);
    const back = await list(shop, `before=${second.prevCursor}`);
    expect(back.members.map((x) => x.id)).toEqual(first.members.map((x) => x.id));
    expect(back.prevCursor).toBeNull();
  });
});

describe("bulk cancel", () => {
  it("cancelling 3 selected members queues exactly 3 cancellations, by the staff user, and says so", async () => {
    const ids = [m.Ann!, m.Ben!, m.Cat!];
    const before = await cancellations(SHOP);
    const r = await bulk(SHOP, "cancel", ids, [["reason", "Moved away"]]);
    expect(r).toEqual({ ok: true, changed: 3, skipped: [], message: "3 memberships cancelled — syncs queued" });
    expect(await cancellations(SHOP)).toBe(before + 3);
    expect(await cancellations(SHOP, ids)).toBe(3);
    const rows = await prisma.enrollment.findMany({ where: { id: { in: ids } } });
    expect(rows.map((e) => [e.status, e.endReason, e.endedBy, e.syncState])).toEqual(ids.map(() => ["cancelled", "Moved away", "4242", "pending"]));
    const items = await prisma.crmSyncQueue.findMany({ where: { enrollmentId: { in: ids }, actionType: "cancel_membership" } });
    expect(items.map((i) => [i.status, i.stageId, i.platform]).sort()).toEqual(ids.map(() => ["pending", tiers.silver, "shopify"]));
  });

  it("an already-cancelled member is left alone and reported; the rest of the selection is cancelled", async () => {
    const before = await cancellations(SHOP);
    const r = await bulk(SHOP, "cancel", [m.Ann!, m.Ben!, m.Dan!]);
    expect(r).toMatchObject({ ok: true, changed: 1, message: "1 membership cancelled — syncs queued; left alone: 2 already cancelled" });
    expect(await cancellations(SHOP)).toBe(before + 1);
    // Only already-cancelled ones: nothing to do, and it says so.
    expect(await bulk(SHOP, "cancel", [m.Ann!])).toMatchObject({ ok: true, changed: 0, message: "0 memberships cancelled; left alone: 1 already cancelled" });
    expect(await cancellations(SHOP)).toBe(before + 1);
  });

  it("refuses a selection with another shop's member, a made-up id, or bad input: a sentence, never a 500, nothing written", async () => {
    const was = await snapshot();
    const notHere = "Some of the selected members are not in this shop's list (gone, or never here); nothing was changed.";
    expect(await bulk(SHOP, "cancel", [m.Hal!, m.Zed!])).toEqual({ ok: false, reason: notHere });
    expect(await bulk(SHOP, "cancel", [m.Hal!, "made-up"])).toEqual({ ok: false, reason: notHere });
    expect(await bulk(OTHER, "cancel", [m.Zed!, m.Ivy!])).toEqual({ ok: false, reason: notHere });
    expect(await bulk(SHOP, "cancel", [])).toEqual({ ok: false, reason: "Select at least one member." });
    expect(await bulk(SHOP, "cancel", ["x".repeat(101)])).toEqual({ ok: false, reason: "That is not a member id." });
    expect(await bulk(SHOP, "cancel", Array.from({ length: 251 }, (_, i) => `id${i}`))).toEqual({ ok: false, reason: "Select at most 250 members at a time." });
    expect(await bulk(SHOP, "cancel", [m.Hal!], [["reason", "r".repeat(501)]])).toEqual({ ok: false, reason: "The reason can be at most 500 characters (this one has 501)." });
    expect(await bulk(SHOP, "drop-tables", [m.Hal!])).toEqual({ ok: false, reason: "Unknown action" });
    expect(await snapshot()).toEqual(was);
  });

  it("takes each member's lock: a bulk cancel and a single cancel of the same member, forced to meet, cancel once", async () => {
    const customer = (await prisma.enrollment.findUniqueOrThrow({ where: { id: m.Hal! } })).customerId;
    const before = await cancellations(SHOP, [m.Hal!]);
    const held = await holdMemberLock(prisma, SHOP, customer);
    const bulkCancel = bulk(SHOP, "cancel", [m.Hal!, m.Ivy!]);
    await held.waitForWriters(1);
    const { cancelMembership } = await import("~/domain/enrollments.server");
    const single = cancelMembership(prisma, SHOP, m.Hal!);
    await held.waitForWriters(2);
    await held.release();
    const [b, s] = await Promise.all([bulkCancel, single]);
    // Whichever went first cancelled Hal; the other saw the committed cancellation (never both).
    if (s.ok) expect(b).toMatchObject({ ok: true, changed: 1, skipped: [{ id: m.Hal, status: "cancelled" }] });
    else expect([b, s]).toMatchObject([{ ok: true, changed: 2 }, { ok: false, message: "This membership is not active." }]);
    expect(await cancellations(SHOP, [m.Hal!])).toBe(before + 1);
    expect(await cancellations(SHOP, [m.Ivy!])).toBe(1);
  });
});

describe("bulk change tier", () => {
  it("moves the selection to the tier with one upgrade_membership each, skipping members already in it", async () => {
    const r = await bulk(SHOP, "change-tier", [m.Joe!, m.Eve!, m.Fay!], [["tierId", tiers.gold!]]);
    // Joe moves up from Silver; Eve and Fay are Gold already.
    expect(r).toMatchObject({ ok: true, changed: 1, message: "1 membership moved — syncs queued; left alone: 2 already in that tier" });
    const joe = await prisma.enrollment.findUniqueOrThrow({ where: { id: m.Joe! } });
    expect([joe.status, joe.endedBy]).toEqual(["upgraded", "4242"]);
    const now = await prisma.enrollment.findFirstOrThrow({ where: { shop: SHOP, customerId: joe.customerId, status: "active" } });
    expect(now.tierId).toBe(tiers.gold);
    const items = await prisma.crmSyncQueue.findMany({ where: { shop: SHOP, customerId: joe.customerId, actionType: "upgrade_membership" } });
    expect(items.map((i) => [i.enrollmentId, i.stageId, i.oldStageId])).toEqual([[now.id, tiers.gold, tiers.silver]]);
    m.Joe = now.id;

    // Down a tier: each ends as moved_down, one item each, as changeTier does for one.
    const down = await bulk(SHOP, "change-tier", [m.Eve!, m.Fay!, m.Joe!], [["tierId", tiers.silver!]]);
    expect(down).toMatchObject({ ok: true, changed: 3, skipped: [] });
    expect((await prisma.enrollment.findMany({ where: { id: { in: [m.Eve!, m.Fay!, m.Joe!] } } })).map((e) => e.status)).toEqual(["moved_down", "moved_down", "moved_down"]);
    expect(await prisma.enrollment.count({ where: { shop: SHOP, status: "active", tierId: tiers.silver, customer: { firstName: { in: ["Eve", "Fay", "Joe"] } } } })).toBe(3);
  });

  it("moves nobody when the tier rules refuse any one of the selection, or the tier is not one to move to", async () => {
    const active = (name: string) => prisma.enrollment.findFirstOrThrow({ where: { shop: SHOP, status: "active", customer: { firstName: name } } });
    const [eve, gus] = [await active("Eve"), await active("Gus")];
    const was = await snapshot();
    // Gus is in Bronze, which is not upgradable: a move up refuses Eve's move too.
    const higher = await tier(SHOP, "Platinum", 9);
    expect(await bulk(SHOP, "change-tier", [eve.id, gus.id], [["tierId", higher]])).toEqual({
      ok: false,
      reason: "1 selected member can't move to Platinum: Members of Bronze can't be upgraded (the tier is not upgradable). Nothing was changed.",
    });
    expect(await bulk(SHOP, "change-tier", [eve.id], [["tierId", tiers.retired!]])).toEqual({ ok: false, reason: "Choose an active tier." });
    expect(await bulk(SHOP, "change-tier", [eve.id], [["tierId", tiers.otherGold!]])).toEqual({ ok: false, reason: "Choose an active tier." });
    expect(await bulk(SHOP, "change-tier", [eve.id])).toEqual({ ok: false, reason: "Choose the tier to move the members to." });
    expect(await bulk(SHOP, "change-tier", [eve.id, m.Zed!], [["tierId", tiers.gold!]])).toMatchObject({ ok: false, reason: expect.stringContaining("not in this shop's list") });
    expect(await snapshot()).toEqual(was);
    // The single change applies the same rule.
    expect(await changeTier(prisma, SHOP, gus.id, higher)).toEqual({ ok: false, message: "Members of Bronze can't be upgraded (the tier is not upgradable)." });
  });
});

describe("export of the selection", () => {
  it("streams only the selected members of this shop, whatever the filters, and refuses an empty selection", async () => {
    const exportOf = async (ids: string[], query = "") => exportAction(routeArgs(await post(SHOP, ids.map((id): [string, string] => ["ids", id]), `/app/members/export${query}`)));
    const res = await exportOf([m.Ann!, m.Gus!, m.Zed!], "?status=active");
    expect(res.status).toBe(200);
    const rows = parse(await res.text(), { bom: true }) as string[][];
    expect(rows[0]).toContain("email");
    // Ann is cancelled (not on the Active tab) but selected; Zed is another shop's.
    expect(rows.slice(1).map((r) => [r[0], r[4]]).sort()).toEqual([
      ["ann@example.com", "cancelled"],
      ["gus@example.com", "active"],
    ]);
    const empty = await exportOf([]);
    expect(empty.status).toBe(400);
    expect(await empty.text()).toBe("Select between 1 and 250 members to export.");
  });
});
