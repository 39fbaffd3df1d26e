// Enrollment, cancellation and tier changes: our database first, the platform after.
//
// Invariants:
// - The enrollment and its queue item are written in ONE transaction (outbox):
//   a crash leaves both or neither.
// - A submit carries an idempotency key from the form: a double click or a
//   re-sent POST finds the enrollment the first one created.
// - The database allows one active enrollment per customer (a partial unique
//   index); a second is refused with a link to the member.
// - One writer per member (ADR 0009): every change here takes the member's
//   lock, re-reads the membership and changes its status conditionally.
// - A platform never fails an enrollment. Commerce7 shops try the sync inline,
//   bounded by a short deadline; Shopify shops always go through the worker.
import { z } from "zod";
import { noteTooLong } from "./bounds";
import { chunks, isUniqueViolation, type Db, type Tx } from "../db.server";
import { env } from "../env.server";
import { lockMember, lockMembersAtOnce } from "../member-lock.server";
import { queueCrmSync, queueCrmSyncMany, wakeWorker } from "../queue/enqueue.server";
import { processNow } from "../queue/inline.server";
import { sql } from "../queue/sql.server";
import { asPlatform, platformIdField, platformIdOf, refreshContact, searchTextOf, type Platform } from "./customers.server";
import { addMonths, spendWindowStart } from "./dates";
import { parseDelivery, type Delivery } from "./delivery";
import { shopTimeZone } from "./shops.server";
import { tierChangeEnd } from "./membership-status";
import { newMemberRefusal, tierChangeRefusal } from "./tiers";
import { fieldErrors } from "./validation";
import { MEMBER_LABELS, memberInput, type EnrollFields } from "./member-input";
import { recordMembershipEvent } from "./membership-events.server";


export const enrollInput = memberInput.extend({
  idempotencyKey: z.string().min(8).max(100),
  customerId: z.string().optional(),
});

export type EnrollResult =
  | { ok: true; enrollmentId: string; customerId: string; sync: "synced" | "queued"; duplicate: boolean }
  | { ok: false; errors: Partial<Record<EnrollFields, string>>; existingMemberId?: string };

export type StepResult = { ok: true; value: z.output<typeof memberInput> } | { ok: false; errors: Partial<Record<EnrollFields, string>> };

/**
 * Checks the wizard's first step against the shop: the fields, and the tier —
 * open to new members and, on Commerce7, mapped to a club. `crm` is the shop's.
 */
export async function checkMemberStep(db: Db, shop: string, crm: string, raw: unknown): Promise<StepResult> {
  const parsed = memberInput.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: fieldErrors<EnrollFields>(parsed.error, MEMBER_LABELS) };
  const tier = await db.tier.findFirst({ where: { id: parsed.data.tierId, shop } });
  const refusal = newMemberRefusal(tier) ?? (tier && crm === "commerce7" ? noClubRefusal(tier) : null);
  if (refusal) return { ok: false, errors: { tierId: refusal } };
  // Commerce7 refuses a customer without a name; a known customer already has one there.
  if (crm === "commerce7" && !parsed.data.platformId && !parsed.data.firstName && !parsed.data.lastName) {
    return { ok: false, errors: { firstName: "Enter a first or last name: Commerce7 needs one for a new customer" } };
  }
  return { ok: true, value: parsed.data };
}

/** A Commerce7 shop's tier with no club cannot take members: the sync would have nowhere to put them. */
export function noClubRefusal(tier: { name: string; c7ClubId: string | null }): string | null {
  return tier.c7ClubId ? null : `${tier.name} has no Commerce7 club yet: choose its club on the tier's page first`;
}

/**
 * Spend recorded in the 12 months up to `now` (from the start of the same
 * shop-local date a year earlier: spendWindowStart), of orders whose spend
 * counts (paid, or counted at creation: Purchase.countedAt, ADR 0019), placed
 * by the order's time, net of refunds, in cents: per
 * order, what was bought minus what was given back, never below zero (so a
 * cancellation and the refund that comes with it are not taken twice). One
 * statement; refunds are found through their (shop, orderId) index.
 */
export async function recordedSpendCents(db: Db | Tx, shop: string, customerId: string, now = new Date()): Promise<number> {
  const rows = await db.$queryRawUnsafe<{ spend: unknown }[]>(
    sql(`SELECT COALESCE(SUM(p."amountCents" - (
              SELECT CASE WHEN COALESCE(SUM(r."amountCents"), 0) > p."amountCents" THEN p."amountCents" ELSE COALESCE(SUM(r."amountCents"), 0) END
              FROM "Refund" r WHERE r.shop = p.shop AND r."orderId" = p."orderId")), 0) AS spend
         FROM "Purchase" p
         WHERE p.shop = $1 AND p."customerId" = $2 AND p."countedAt" IS NOT NULL AND p."occurredAt" >= $3 AND p."occurredAt" <= $4`),
    shop,
    customerId,
    spendWindowStart(now, await shopTimeZone(db, shop)),
    now,
  );
  return Number(rows[0]?.spend ?? 0);
}

/**
 * recordedSpendCents for many customers at once (the export's pages): the
 * same rule and window, one statement per 500 customers. Customers with no
 * spend are absent from the map.
 */
export async function recordedSpendByCustomer(db: Db | Tx, shop: string, customerIds: string[], now = new Date()): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const from = spendWindowStart(now, await shopTimeZone(db, shop));
  for (const part of chunks(customerIds)) {
    const rows = await db.$queryRawUnsafe<{ customerId: string; spend: unknown }[]>(
      sql(`SELECT p."customerId" AS "customerId", COALESCE(SUM(p."amountCents" - (
                SELECT CASE WHEN COALESCE(SUM(r."amountCents"), 0) > p."amountCents" THEN p."amountCents" ELSE COALESCE(SUM(r."amountCents"), 0) END
                FROM "Refund" r WHERE r.shop = p.shop AND r."orderId" = p."orderId")), 0) AS spend
           FROM "Purchase" p
           WHERE p.shop = $1 AND p."countedAt" IS NOT NULL AND p."occurredAt" >= $2 AND p."occurredAt" <= $3
             AND p."customerId" IN (${part.map((_, i) => `$${i + 4}`).join(", ")})
           GROUP BY p."customerId"`),
      shop,
      from,
      now,
      ...part,
    );
    for (const r of rows) out.set(String(r.customerId), Number(r.spend ?? 0));
  }
  return out;
}

/** Tiers a new member can join (see newMemberRefusal; on Commerce7, only tiers with a club), in upgrade order. */
export async function openTiers(db: Db, shop: string) {
  const row = await db.shop.findUnique({ where: { domain: shop }, select: { crm: true } });
  return db.tier.findMany({
    where: { shop, active: true, upgradeOnly: false, ...(row?.crm === "commerce7" ? { c7ClubId: { not: null } } : {}) },
    orderBy: { rank: "asc" },
  });
}

/**
 * Enrolls from the wizard's fields. On a Commerce7 shop they include the
 * delivery step (see parseDelivery; `needsAddress=1` when the customer has no
 * address there), whose addresses are kept for the sync to create remotely.
 */
export async function enroll(db: Db, shop: string, raw: Record<string, string | undefined>, opts: { inlineDeadlineMs?: number; now?: Date } = {}): Promise<EnrollResult> {
  const parsed = enrollInput.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: fieldErrors<EnrollFields>(parsed.error, MEMBER_LABELS) };
  const input = parsed.data;
  const now = opts.now ?? new Date();
  const shopRow = await db.shop.findUnique({ where: { domain: shop }, select: { crm: true, timezone: true } });
  const crm = shopRow?.crm ?? "shopify";

  const again = await db.enrollment.findUnique({ where: { shop_idempotencyKey: { shop, idempotencyKey: input.idempotencyKey } } });
  if (again) return { ok: true, enrollmentId: again.id, customerId: again.customerId, sync: again.syncState === "synced" ? "synced" : "queued", duplicate: true };

  const step = await checkMemberStep(db, shop, crm, raw);
  if (!step.ok) return step;
  const tier = await db.tier.findFirstOrThrow({ where: { id: input.tierId, shop } });
  let delivery: Delivery | null = null;
  if (crm === "commerce7") {
    // Pickup locations were checked against Commerce7 by the wizard; here the
    // shape is enough (Commerce7 refuses an unknown one, visibly).
    const d = parseDelivery(raw, { needsAddress: raw.needsAddress === "1", pickupLocations: null });
    if (!d.ok) return { ok: false, errors: { delivery: "The delivery details are incomplete: go back to the delivery step." } };
    delivery = d.value;
  }

  let created: { enrollmentId: string; customerId: string; queueId: string } | null = null;
  // A writer that created the customer's row (an order, another enrollment)
  // or took the email they now have, between our reads and our writes, makes a
  // unique rule refuse ours: the transaction rolled back whole and runs again
  // on the committed rows.
  for (let attempt = 1; !created; attempt++) {
    try {
      created = await db.$transaction(async (tx) => {
        const customer = await findOrCreateCustomer(tx, shop, asPlatform(crm), input);
        const active = await tx.enrollment.findFirst({ where: { shop, customerId: customer.id, status: "active" }, select: { id: true } });
        if (active) throw new AlreadyMember(customer.id);
        const enrollment = await tx.enrollment.create({
          data: {
            shop,
            customerId: customer.id,
            tierId: tier.id,
            status: "active",
            startedAt: now,
            expiresAt: addMonths(now, tier.durationMonths, shopRow?.timezone ?? "UTC"),
            idempotencyKey: input.idempotencyKey,
            syncState: "pending",
            ...(delivery ? { deliveryMethod: delivery.method, pickupLocationId: delivery.pickupLocationId } : {}),
          },
        });
        if (delivery) await keepAddresses(tx, shop, customer.id, delivery);
        const q = await queueCrmSync(
          { shop, enrollmentId: enrollment.id, actionType: "add_membership", stageId: tier.id, customerId: customer.id },
          tx,
        );
        await recordMembershipEvent(tx, shop, { kind: "enrolled", enrollmentId: enrollment.id }, { at: now });
        return { enrollmentId: enrollment.id, customerId: customer.id, queueId: q.id };
      });
    } catch (error) {
      // A concurrent duplicate submit may have won the race (its enrollment then
      // makes ours fail a unique rule): answer with its enrollment.
      const winner = await db.enrollment.findUnique({ where: { shop_idempotencyKey: { shop, idempotencyKey: input.idempotencyKey } } });
      if (winner && (error instanceof AlreadyMember || isUniqueViolation(error))) {
        return { ok: true, enrollmentId: winner.id, customerId: winner.customerId, sync: "queued", duplicate: true };
      }
      if (error instanceof AlreadyMember) return alreadyMember(error.customerId);
      if (isUniqueViolation(error)) {
        const customer = await db.customer.findUnique({ where: { shop_email: { shop, email: input.email } } });
        const active = customer && (await db.enrollment.findFirst({ where: { shop, customerId: customer.id, status: "active" } }));
        if (active) return alreadyMember(active.customerId);
        if (attempt < 3) continue;
      }
      throw error;
    }
  }

  let sync: "synced" | "queued" = "queued";
  if (crm === "commerce7") {
    const outcome = await processNow(db, shop, created.queueId, { deadlineMs: opts.inlineDeadlineMs ?? env.ENROLL_INLINE_SYNC_DEADLINE_MS });
    sync = outcome.status === "completed" ? "synced" : "queued";
  } else {
    wakeWorker();
  }
  return { ok: true, enrollmentId: created.enrollmentId, customerId: created.customerId, sync, duplicate: false };
}

/** The wizard's addresses, one per kind, replacing earlier ones (their Commerce7 id is then found or made again). */
async function keepAddresses(tx: Tx, shop: string, customerId: string, delivery: Delivery) {
  const kinds = [
    ["billing", delivery.billing],
    ["shipping", delivery.method === "Ship" ? delivery.shipping : null],
  ] as const;
  for (const [kind, address] of kinds) {
    if (!address) continue;
    await tx.customerAddress.upsert({
      where: { customerId_kind: { customerId, kind } },
      create: { shop, customerId, kind, ...address },
      update: { ...address, platformAddressId: null },
    });
  }
}

class AlreadyMember extends Error {
  constructor(readonly customerId: string) {
    super("already a member");
  }
}

/** Refused: the customer is a member already; their page is `existingMemberId`. */
function alreadyMember(customerId: string): EnrollResult {
  return { ok: false, errors: { form: "This customer already has an active membership." }, existingMemberId: customerId };
}

/**
 * The customer to enroll, locked (lockMember) before any row of theirs is
 * written. The wizard's `platformId` is the customer's id on the shop's
 * platform: a known one names our row, whatever email it comes with now (the
 * customer changed it there), and that row takes the new email (refreshContact).
 */
async function findOrCreateCustomer(tx: Tx, shop: string, platform: Platform, input: z.output<typeof enrollInput>) {
  if (input.customerId) {
    const existing = await tx.customer.findFirst({ where: { id: input.customerId, shop } });
    if (existing) {
      await lockMember(tx, shop, existing.id);
      return existing;
    }
  }
  if (input.platformId) {
    const seen = await tx.customer.findFirst({ where: { shop, ...platformIdField(platform, input.platformId) }, select: { id: true } });
    if (seen) {
      await lockMember(tx, shop, seen.id);
      // Re-read under the lock: an erasure may have removed it meanwhile.
      const known = await tx.customer.findFirst({ where: { id: seen.id, shop } });
      if (known) return refreshContact(tx, shop, platform, known, input);
    }
  }
  const byEmail = await tx.customer.findUnique({ where: { shop_email: { shop, email: input.email } } });
  if (byEmail) {
    await lockMember(tx, shop, byEmail.id);
    // An email we know under another id on this platform keeps that id: it is the one the sync has used.
    if (input.platformId && !platformIdOf(byEmail, platform)) {
      return tx.customer.update({ where: { id: byEmail.id }, data: platformIdField(platform, input.platformId) });
    }
    return byEmail;
  }
  const created = await tx.customer.create({
    data: {
      shop,
      email: input.email,
      firstName: input.firstName,
      lastName: input.lastName,
      ...platformIdField(platform, input.platformId || null),
      searchText: searchTextOf(input),
    },
  });
  await lockMember(tx, shop, created.id);
  return created;
}

/** The enrollment's member, locked; then the enrollment re-read, if it is still active. */
async function lockActiveEnrollment(tx: Tx, shop: string, enrollmentId: string) {
  const seen = await tx.enrollment.findFirst({ where: { id: enrollmentId, shop }, select: { customerId: true } });
  if (!seen) return null;
  await lockMember(tx, shop, seen.customerId);
  return tx.enrollment.findFirst({ where: { id: enrollmentId, shop, status: "active" } });
}

/** Cancels the membership and queues `cancel_membership`, atomically. */
export async function cancelMembership(
  db: Db,
  shop: string,
  enrollmentId: string,
  opts: { reason?: string; now?: Date; by?: string | null } = {},
): Promise<{ ok: boolean; message: string }> {
  const tooLong = noteTooLong(opts.reason);
  if (tooLong) return { ok: false, message: tooLong };
  const done = await db.$transaction(async (tx) => {
    const e = await lockActiveEnrollment(tx, shop, enrollmentId);
    if (!e) return false;
    await cancelActive(tx, shop, [e], opts);
    return true;
  });
  if (done) wakeWorker();
  return done ? { ok: true, message: "Membership cancelled — sync queued" } : { ok: false, message: "This membership is not active." };
}

/**
 * Inside the caller's transaction, with the members' locks held and `rows`
 * re-read as active: cancels them and queues their `cancel_membership` items
 * (the rows queueCrmSync writes, a few statements for the lot). One member
 * has one active membership, so one item per member.
 */
async function cancelActive(tx: Tx, shop: string, rows: { id: string; tierId: string; customerId: string }[], opts: { reason?: string; now?: Date; by?: string | null }) {
  const { count } = await tx.enrollment.updateMany({
    where: { id: { in: rows.map((e) => e.id) }, shop, status: "active" },
    data: { status: "cancelled", endedAt: opts.now ?? new Date(), endReason: opts.reason || "Cancelled by merchant", endedBy: opts.by ?? null },
  });
  if (count !== rows.length) throw new Error(`${rows.length - count} of ${rows.length} enrollments changed under the member lock`);
  await queueCrmSyncMany(rows.map((e) => ({ shop, enrollmentId: e.id, actionType: "cancel_membership", stageId: e.tierId, customerId: e.customerId })), tx);
  for (const e of rows) await recordMembershipEvent(tx, shop, { kind: "cancelled", enrollmentId: e.id }, { at: opts.now });
}

/**
 * Moves the member to another tier: the current enrollment ends as `upgraded`
 * or `moved_down` (by the tiers' ranks) and a new active one starts in the new tier, keeping the later of the old
 * expiry and now + the new tier's duration; `upgrade_membership` is queued with
 * the old and new tier. One transaction.
 */
export async function changeTier(
  db: Db,
  shop: string,
  enrollmentId: string,
  newTierId: string,
  opts: { now?: Date; by?: string | null } = {},
): Promise<{ ok: true; enrollmentId: string } | { ok: false; message: string }> {
  const now = opts.now ?? new Date();
  const result = await db.$transaction(async (tx) => {
    const current = await lockActiveEnrollment(tx, shop, enrollmentId);
    if (!current) return { ok: false as const, message: "This membership is not active." };
    const from = await tx.tier.findFirstOrThrow({ where: { id: current.tierId, shop } });
    const tier = await tx.tier.findFirst({ where: { id: newTierId, shop } });
    if (!tier) return { ok: false as const, message: "Choose an active tier." };
    const refusal = tierChangeRefusal(from, tier) ?? (await clubRefusal(tx, shop, tier));
    if (refusal) return { ok: false as const, message: refusal };
    const next = await moveMember(tx, shop, current, tier, now, `Moved to ${tier.name}`, tierChangeEnd(from, tier), opts.by ?? null);
    return { ok: true as const, enrollmentId: next.id };
  });
  if (result.ok) wakeWorker();
  return result;
}

/** On a Commerce7 shop, a tier without a club takes nobody (noClubRefusal); null elsewhere. */
async function clubRefusal(tx: Tx, shop: string, tier: { name: string; c7ClubId: string | null }): Promise<string | null> {
  const crm = (await tx.shop.findUnique({ where: { domain: shop }, select: { crm: true } }))?.crm;
  return crm === "commerce7" ? noClubRefusal(tier) : null;
}

/**
 * The one way a member changes tier (merchant's change, or an upgrade earned
 * by spend): inside the caller's transaction, end `current` as `endedAs`,
 * start the new enrollment, and queue `upgrade_membership`. The caller checks
 * the tier rules first and wakes the worker after commit.
 */
export async function moveMember(
  tx: Tx,
  shop: string,
  current: { id: string; customerId: string; tierId: string; expiresAt: Date; deliveryMethod: string; pickupLocationId: string | null },
  tier: { id: string; durationMonths: number },
  now: Date,
  reason: string,
  endedAs: "upgraded" | "moved_down",
  /** The staff user who made the change; null for an upgrade earned by spend. */
  by: string | null = null,
) {
  const { count } = await tx.enrollment.updateMany({ where: { id: current.id, shop, status: "active" }, data: { status: endedAs, endedAt: now, endReason: reason, endedBy: by } });
  if (count !== 1) throw new Error(`Enrollment ${current.id} is no longer active`);
  const renewed = addMonths(now, tier.durationMonths, await shopTimeZone(tx, shop));
  const next = await tx.enrollment.create({
    data: {
      shop,
      customerId: current.customerId,
      tierId: tier.id,
      status: "active",
      startedAt: now,
      expiresAt: renewed > current.expiresAt ? renewed : current.expiresAt,
      // The member keeps how they receive their club orders.
      deliveryMethod: current.deliveryMethod,
      pickupLocationId: current.pickupLocationId,
    },
  });
  await queueCrmSync(
    { shop, enrollmentId: next.id, actionType: "upgrade_membership", stageId: tier.id, oldStageId: current.tierId, customerId: current.customerId },
    tx,
  );
  await recordMembershipEvent(tx, shop, { kind: "tier_changed", enrollmentId: next.id, fromTierId: current.tierId, direction: endedAs === "upgraded" ? "up" : "down" }, { at: now });
  return next;
}

// Bulk changes from the members list's selection (issue 17 item 2). The
// selection is a page's worth at most of this shop's enrollment ids; one that
// is not the shop's (another shop's, gone, made up) refuses the whole
// selection before anything is written. Each runs in ONE transaction under
// every selected member's lock (ascending ids, ADR 0009), re-reads the
// memberships and queues the same items a single change queues, so a
// validation error anywhere leaves every member as they were.
export const MAX_BULK_MEMBERS = 250;

export type BulkMembersResult =
  | { ok: true; changed: number; skipped: { id: string; status: string }[] }
  | { ok: false; reason: string };

const refused = (reason: string) => ({ ok: false as const, reason });

/** The selection's memberships, locked and re-read; null when one is not this shop's. */
async function lockSelection(tx: Tx, shop: string, ids: string[]) {
  const seen = await tx.enrollment.findMany({ where: { shop, id: { in: ids } }, select: { customerId: true } });
  if (seen.length !== ids.length) return null;
  await lockMembersAtOnce(tx, shop, seen.map((e) => e.customerId));
  return tx.enrollment.findMany({ where: { shop, id: { in: ids } }, include: { tier: true }, orderBy: { id: "asc" } });
}

function selectionRefusal(ids: string[]): string | null {
  if (!ids.length) return "Select at least one member.";
  if (ids.length > MAX_BULK_MEMBERS) return `Select at most ${MAX_BULK_MEMBERS} members at a time.`;
  return null;
}

const NOT_HERE = "Some of the selected members are not in this shop's list (gone, or never here); nothing was changed.";

/**
 * Cancels every selected active membership and queues one `cancel_membership`
 * each. Memberships that are no longer active (already cancelled, expired,
 * moved) are left alone and returned as skipped, with their status.
 */
export async function cancelMemberships(
  db: Db,
  shop: string,
  rawIds: string[],
  opts: { reason?: string; now?: Date; by?: string | null } = {},
): Promise<BulkMembersResult> {
  const ids = [...new Set(rawIds)];
  const bad = selectionRefusal(ids) ?? noteTooLong(opts.reason);
  if (bad) return refused(bad);
  const result = await db.$transaction(async (tx) => {
    const rows = await lockSelection(tx, shop, ids);
    if (!rows) return refused(NOT_HERE);
    const active = rows.filter((e) => e.status === "active");
    if (active.length) await cancelActive(tx, shop, active, opts);
    return { ok: true as const, changed: active.length, skipped: rows.filter((e) => e.status !== "active").map((e) => ({ id: e.id, status: e.status })) };
  });
  if (result.ok && result.changed) wakeWorker();
  return result;
}

/**
 * Moves every selected active member to `tierId` (as changeTier does, one
 * `upgrade_membership` each). Members already in that tier, and memberships
 * no longer active, are skipped. A move the tier rules refuse for any member
 * (a tier that is not upgradable, an inactive tier, no club on Commerce7)
 * refuses the whole selection: nothing is written.
 */
export async function changeTiers(
  db: Db,
  shop: string,
  rawIds: string[],
  tierId: string,
  opts: { now?: Date; by?: string | null } = {},
): Promise<BulkMembersResult> {
  const ids = [...new Set(rawIds)];
  const bad = selectionRefusal(ids);
  if (bad) return refused(bad);
  const now = opts.now ?? new Date();
  const result = await db.$transaction(async (tx) => {
    const tier = await tx.tier.findFirst({ where: { id: tierId, shop } });
    if (!tier?.active) return refused("Choose an active tier.");
    const rows = await lockSelection(tx, shop, ids);
    if (!rows) return refused(NOT_HERE);
    const moving = rows.filter((e) => e.status === "active" && e.tierId !== tier.id);
    const club = moving.length ? await clubRefusal(tx, shop, tier) : null;
    if (club) return refused(club);
    const refusals = moving.map((e) => tierChangeRefusal(e.tier, tier)).filter((r): r is string => r !== null);
    if (refusals.length) return refused(`${refusals.length === 1 ? "1 selected member" : `${refusals.length} selected members`} can't move to ${tier.name}: ${refusals[0]} Nothing was changed.`);
    for (const e of moving) await moveMember(tx, shop, e, tier, now, `Moved to ${tier.name}`, tierChangeEnd(e.tier, tier), opts.by ?? null);
    return { ok: true as const, changed: moving.length, skipped: rows.filter((e) => !moving.includes(e)).map((e) => ({ id: e.id, status: e.status === "active" ? "same_tier" : e.status })) };
  });
  if (result.ok && result.changed) wakeWorker();
  return result;
}
