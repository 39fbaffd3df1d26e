// Tiers: create, edit, reorder, activate and deactivate — scoped to the shop.
//
// On a Shopify shop every change that can affect member pricing enqueues an
// `ensure_discount` item in the same transaction (outbox): the one member
// discount is created or updated by the worker, never inline, so saving a tier
// works while Shopify is down. Those items share one ordering key per shop, so
// discount updates apply in the order the merchant made them.

import { isUniqueViolation, type Db, type Tx } from "../db.server";
import { queueCrmSync, wakeWorker } from "../queue/enqueue.server";
import { queueMembersDisplayRefresh } from "./member-display.server";
import { handleFor, parseTierForm, type TierFieldErrors } from "./tiers";
import { shopContext } from "./shops.server";

export const DISCOUNT_ORDERING_KEY = "shop-discount";

async function enqueueDiscount(tx: Tx, shop: string, tier: { id: string; updatedAt: Date }) {
  const row = await tx.shop.findUnique({ where: { domain: shop }, select: { crm: true } });
  if ((row?.crm ?? "shopify") !== "shopify") return;
  // Members see their tier's name and the next tier's threshold (ADR 0027).
  await queueMembersDisplayRefresh(tx, shop, "active");
  await queueCrmSync(
    {
      shop,
      actionType: "ensure_discount",
      stageId: tier.id,
      customerId: DISCOUNT_ORDERING_KEY,
      idempotencyKey: `ensure_discount:${tier.id}:${tier.updatedAt.getTime()}`,
    },
    tx,
  );
}

async function uniqueHandle(tx: Tx, shop: string, name: string, exceptId?: string) {
  const base = handleFor(name);
  for (let i = 1; ; i++) {
    const handle = i === 1 ? base : `${base}-${i}`;
    const clash = await tx.tier.findFirst({ where: { shop, handle, ...(exceptId ? { NOT: { id: exceptId } } : {}) }, select: { id: true } });
    if (!clash) return handle;
  }
}

export type SaveResult = { ok: true; id: string } | { ok: false; errors: TierFieldErrors };

/** Creates (id undefined) or updates a tier from form fields. Validation errors write nothing. */
export async function saveTier(db: Db, shop: string, id: string | undefined, form: Record<string, string | undefined>): Promise<SaveResult> {
  const parsed = parseTierForm(form, (await shopContext(db, shop)).currency);
  if (!parsed.ok) return parsed;
  // The club (Commerce7 shops' form only): absent leaves it as it is, empty clears it.
  const club = form.c7ClubId === undefined ? {} : { c7ClubId: form.c7ClubId.trim().slice(0, 200) || null };
  const t = { ...parsed.value, ...club };
  try {
    const tier = await db.$transaction(async (tx) => {
      if (id && !(await tx.tier.findFirst({ where: { id, shop }, select: { id: true } }))) throw new NotFound();
      // `t` is exactly the tier's editable columns, money already in cents (and its club).
      const saved = id
        ? await tx.tier.update({ where: { id }, data: t })
        : await tx.tier.create({ data: { ...t, shop, handle: await uniqueHandle(tx, shop, t.name) } });
      await enqueueDiscount(tx, shop, saved);
      return saved;
    });
    wakeWorker();
    return { ok: true, id: tier.id };
  } catch (error) {
    if (error instanceof NotFound) return { ok: false, errors: { form: "This tier does not exist." } };
    if (isUniqueViolation(error)) return { ok: false, errors: { rank: "Another active tier already has this rank" } };
    throw error;
  }
}

class NotFound extends Error {}

/** Activates or deactivates a tier. Reactivating onto a taken rank is refused with a clear message. */
export async function setTierActive(db: Db, shop: string, id: string, active: boolean): Promise<SaveResult> {
  try {
    const tier = await db.$transaction(async (tx) => {
      const { count } = await tx.tier.updateMany({ where: { id, shop }, data: { active } });
      if (count === 0) throw new NotFound();
      const saved = await tx.tier.findUniqueOrThrow({ where: { id } });
      await enqueueDiscount(tx, shop, saved);
      return saved;
    });
    wakeWorker();
    return { ok: true, id: tier.id };
  } catch (error) {
    if (error instanceof NotFound) return { ok: false, errors: { form: "This tier does not exist." } };
    if (isUniqueViolation(error)) return { ok: false, errors: { rank: "Another active tier has this rank: change one of the ranks first" } };
    throw error;
  }
}

/**
 * Moves an active tier one place up or down the upgrade order by swapping
 * ranks with its neighbour, atomically. The swap goes through a temporary
 * negative rank because ranks are unique among active tiers at every moment.
 */
export async function moveTier(db: Db, shop: string, id: string, direction: "up" | "down"): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const tier = await tx.tier.findFirst({ where: { id, shop, active: true } });
    if (!tier) return false;
    const neighbour = await tx.tier.findFirst({
      where: { shop, active: true, rank: direction === "up" ? { lt: tier.rank } : { gt: tier.rank } },
      orderBy: { rank: direction === "up" ? "desc" : "asc" },
    });
    if (!neighbour) return false;
    await tx.tier.update({ where: { id: tier.id }, data: { rank: -tier.rank } });
    await tx.tier.update({ where: { id: neighbour.id }, data: { rank: tier.rank } });
    await tx.tier.update({ where: { id: tier.id }, data: { rank: neighbour.rank } });
    // The upgrade order decides each member's next tier.
    await queueMembersDisplayRefresh(tx, shop, "active");
    return true;
  });
}

export function tierRows(db: Db, shop: string) {
  return db.tier.findMany({ where: { shop }, orderBy: [{ active: "desc" }, { rank: "asc" }, { name: "asc" }] });
}


