// The sync queue screen through real authentication: every item of the shop,
// by keyset pages that neither skip nor repeat (also when many items share a
// timestamp), filtered by status, never another shop's.
import { describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { queueCrmSync } from "~/queue/enqueue.server";
import { loader } from "~/routes/app.queue";
import { adminGet, routeArgs, storeOfflineSession } from "../support/auth";

const SHOP = "screen.myshopify.com";
const OTHER = "other-screen.myshopify.com";

async function page(shop: string, query = "") {
  return loader(routeArgs(await adminGet(shop, `/app/queue${query ? `?${query}` : ""}`)));
}

describe("the sync queue screen", () => {
  it("pages through every item of the shop once, newest first, and filters by status", async () => {
    for (const shop of [SHOP, OTHER]) await storeOfflineSession(shop);
    const at = new Date();
    for (let i = 0; i < 120; i++) {
      // Forty items share each timestamp: the id breaks the tie.
      const item = await queueCrmSync({ shop: SHOP, actionType: "add_membership", stageId: "t", customerId: `c${i}`, idempotencyKey: `k${i}` });
      await prisma.crmSyncQueue.update({ where: { id: item.id }, data: { createdAt: new Date(at.getTime() - Math.floor(i / 40) * 1000), ...(i % 17 === 0 ? { status: "failed" } : {}) } });
    }
    for (let i = 0; i < 5; i++) await queueCrmSync({ shop: OTHER, actionType: "add_membership", stageId: "t", customerId: `o${i}`, idempotencyKey: `o${i}` });

    const seen: string[] = [];
    let cursor: string | null = null;
    const sizes: number[] = [];
    do {
      const result: Awaited<ReturnType<typeof page>> = await page(SHOP, cursor ? `cursor=${cursor}` : "");
      sizes.push(result.items.length);
      seen.push(...result.items.map((i) => i.id));
      cursor = result.nextCursor;
    } while (cursor);
    expect(sizes).toEqual([50, 50, 20]);
    expect(new Set(seen).size).toBe(120);
    const mine = await prisma.crmSyncQueue.findMany({ where: { shop: SHOP }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], select: { id: true } });
    expect(seen).toEqual(mine.map((m) => m.id));

    const failed = await page(SHOP, "status=failed");
    expect(failed.items).toHaveLength(8);
    expect(failed.items.every((i) => i.status === "failed" && i.action === "Add membership")).toBe(true);
    expect(failed.nextCursor).toBeNull();

    expect((await page(SHOP, "cursor=not-a-cursor")).items[0]!.id).toBe(mine[0]!.id);
    expect((await page(SHOP, "status=bogus")).items).toHaveLength(50);
    expect((await page(OTHER)).items).toHaveLength(5);
  });
});
