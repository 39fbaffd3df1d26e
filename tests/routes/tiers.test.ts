// Tiers through the real routes and authentication: every validation rule
// answers beside its field and writes nothing; reorder and (de)activation are
// atomic; a Shopify shop's save queues its discount update (outbox).
import { describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { action as editTier } from "~/routes/app.tiers.$id";
import { action as tiersAction, loader as tiersLoader } from "~/routes/app.tiers._index";
import { adminGet, adminPost, routeArgs, storeOfflineSession } from "../support/auth";

const SHOP = "tiers.myshopify.com";
const valid = { name: "Gold", annualThreshold: "1200", initialPurchase: "", durationMonths: "12", rank: "1", discountPercent: "10" };

async function save(id: string, form: Record<string, string>) {
  await storeOfflineSession(SHOP);
  const res = await editTier(routeArgs(await adminPost(SHOP, `/app/tiers/${id}`, form), { id })).catch((e: unknown) => e);
  return res;
}

describe("tier validation", () => {
  it.each([
    [{ name: " " }, "name", "Name is required"],
    [{ annualThreshold: "-1" }, "annualThreshold", "Must be 0 or more"],
    [{ initialPurchase: "-5" }, "initialPurchase", "Must be 0 or more"],
    [{ initialPurchase: "1300" }, "initialPurchase", "Can't be more than the annual spend threshold"],
    [{ durationMonths: "0" }, "durationMonths", "At least 1 month"],
    [{ durationMonths: "61" }, "durationMonths", "At most 60 months"],
    [{ discountPercent: "101" }, "discountPercent", "0 to 100"],
    [{ annualThreshold: "1200.005" }, "annualThreshold", "Use at most 2 decimals"],
    [{ annualThreshold: "twelve" }, "annualThreshold", "Enter an amount in USD, e.g. 120 or 120.50"],
    [{ rank: "1.5" }, "rank", "Whole numbers only"],
  ])("%j → an error beside %s, nothing saved", async (override, field, message) => {
    const before = await prisma.tier.count();
    const res = await save("new", { ...valid, ...override });
    expect(res).toMatchObject({ errors: { [field]: message } });
    expect(await prisma.tier.count()).toBe(before);
    expect(await prisma.crmSyncQueue.count({ where: { shop: SHOP } })).toBe(0);
  });

  it("a rank already used by an active tier is refused beside the rank field", async () => {
    await prisma.shop.create({ data: { domain: "ranks.myshopify.com", crm: "commerce7" } });
    await storeOfflineSession("ranks.myshopify.com");
    const post = async (form: Record<string, string>) =>
      editTier(routeArgs(await adminPost("ranks.myshopify.com", "/app/tiers/new", form), { id: "new" })).catch((e: unknown) => e);
    expect(await post({ ...valid, name: "Silver" })).toBeInstanceOf(Response);
    expect(await post({ ...valid, name: "Gold" })).toMatchObject({ errors: { rank: "Another active tier already has this rank" } });
    expect(await prisma.tier.count({ where: { shop: "ranks.myshopify.com" } })).toBe(1);
  });
});

describe("tier changes", () => {
  it("creates with the default initial purchase, queues the discount, edits, reorders and deactivates", async () => {
    const created = await save("new", valid);
    expect(created).toBeInstanceOf(Response);
    const gold = await prisma.tier.findFirstOrThrow({ where: { shop: SHOP, name: "Gold" } });
    expect([gold.annualThresholdCents, gold.initialPurchaseCents, gold.handle]).toEqual([120000n, 10000n, "gold"]);
    expect(await prisma.crmSyncQueue.findMany({ where: { shop: SHOP }, select: { actionType: true, stageId: true } })).toEqual([
      { actionType: "ensure_discount", stageId: gold.id },
    ]);

    await save("new", { ...valid, name: "Silver", rank: "2", annualThreshold: "600" });
    await save(gold.id, { ...valid, discountPercent: "15" });
    expect((await prisma.tier.findUniqueOrThrow({ where: { id: gold.id } })).discountPercent).toBe(15);
    expect(await prisma.crmSyncQueue.count({ where: { shop: SHOP, actionType: "ensure_discount" } })).toBe(3);

    const act = async (form: Record<string, string>) => tiersAction(routeArgs(await adminPost(SHOP, "/app/tiers", form)));
    await act({ id: gold.id, intent: "down" });
    const ranks = Object.fromEntries((await prisma.tier.findMany({ where: { shop: SHOP } })).map((t) => [t.name, t.rank]));
    expect(ranks).toEqual({ Gold: 2, Silver: 1 });

    expect(await act({ id: gold.id, intent: "deactivate" })).toEqual({ error: null, saved: "Gold deactivated" });
    await save("new", { ...valid, name: "Platinum", rank: "2" }); // the rank is free among active tiers
    expect(await act({ id: gold.id, intent: "activate" })).toEqual({ error: "Another active tier has this rank: change one of the ranks first", saved: null });

    const list = await tiersLoader(routeArgs(await adminGet(SHOP, "/app/tiers")));
    expect(list.tiers.map((t) => [t.name, t.active])).toEqual([
      ["Silver", true],
      ["Platinum", true],
      ["Gold", false],
    ]);
  });

  it("another shop's tier cannot be edited or toggled", async () => {
    const other = await prisma.tier.create({
      data: { shop: "other.myshopify.com", name: "X", handle: "x", rank: 1, annualThresholdCents: 0, initialPurchaseCents: 0, durationMonths: 12 },
    });
    expect(await save(other.id, valid)).toMatchObject({ errors: { form: "This tier does not exist." } });
    const res = await tiersAction(routeArgs(await adminPost(SHOP, "/app/tiers", { id: other.id, intent: "deactivate" })));
    expect(res).toEqual({ error: "This tier does not exist.", saved: null });
    expect((await prisma.tier.findUniqueOrThrow({ where: { id: other.id } })).active).toBe(true);
  });
});
