// Recalculate, with a dry-run preview (issue 15 item 5, ADR 0023).
//
// After a backfill, an import or a tier-rule edit, nothing changes by itself:
// the merchant first sees what applying the rules would do (upgrades from ->
// to, renewals, members below their tier who keep it), then "Apply" makes
// exactly those changes as queue work.
//
// Invariants:
// - One decision, two uses: the preview and Apply both call planMember,
//   which is the order's own decision (planMembershipEffects, orderEffects),
//   and Apply writes it with the order's own code (applyMembershipPlan). The
//   preview writes nothing but its Recalculation row.
// - What is decided: for each active member, their LATEST counted order,
//   judged on the spend of the 12 months ending now. An upgrade happens now
//   (as a fresh order's would); a renewal runs from that order's date. So a
//   second Apply finds nothing to do: the upgraded member is in the tier the
//   spend reaches, and the renewed expiry is the one that order gives.
// - Never down: a member whose spend is below their tier keeps it.
// - Apply runs under each member's lock (chunks lock theirs at once, in
//   ascending id order), on a fresh read, so it cannot undo or double a
//   change an order made meanwhile; it is resumable (a cursor by customer id,
//   moved in each chunk's transaction).
import type { Db, Tx } from "../db.server";
import { lockMembersAtOnce } from "../member-lock.server";
import { queueCrmSync, wakeWorker } from "../queue/enqueue.server";
import type { ProcessorContext, ProcessorResult } from "../queue/registry";
import { recordedSpendCents } from "./enrollments.server";
import { cents } from "./money";
import { lapseOutcome, ruleTier, type RuleTier } from "./orders";
import { applyMembershipPlan, planMembershipEffects, type MembershipPlan } from "./orders.server";
import { shopTimeZone } from "./shops.server";

export const RECALC_ACTION = "recalculate_members";
export const RECALC_REASONS = ["backfill", "import", "tiers", "settings"] as const;
export type RecalcReason = (typeof RECALC_REASONS)[number];
const CHUNK = 100;
const SLICE_MS = 3_000;
const SAMPLE = 10;

type Kind = "upgrade" | "renewal" | "keep" | "unchanged";
type Decision = { kind: Kind; customerId: string; from: string; to: string | null; plan: MembershipPlan };

/** What the rules would do to this member now: read only (the same reads Apply makes under the lock). */
async function planMember(tx: Tx, shop: string, crm: string, customerId: string, now: Date): Promise<Decision | null> {
  const active = await tx.enrollment.findFirst({ where: { shop, customerId, status: "active" }, include: { tier: true } });
  if (!active) return null;
  const spend = await recordedSpendCents(tx, shop, customerId, now);
  const below = spend < cents(active.tier.annualThresholdCents);
  const quiet = (plan: MembershipPlan): Decision => ({ kind: below ? "keep" : "unchanged", customerId, from: active.tier.name, to: null, plan });
  const latest = await tx.purchase.findFirst({ where: { shop, customerId, countedAt: { not: null }, occurredAt: { lte: now } }, orderBy: { occurredAt: "desc" }, select: { occurredAt: true } });
  if (!latest) return quiet({ kind: "unchanged", active });
  const plan = await planMembershipEffects(tx, shop, crm, customerId, spend, latest.occurredAt);
  // Only the active membership is recalculated: reviving an expired one is an order's to do.
  if (plan.kind !== "change" || !plan.active) return quiet(plan.kind === "change" ? { kind: "none" } : plan);
  if (plan.effects.upgradeTo) return { kind: "upgrade", customerId, from: active.tier.name, to: plan.effects.upgradeTo.name, plan };
  return { kind: "renewal", customerId, from: active.tier.name, to: null, plan };
}

/**
 * A member in grace: what the expiry job will do at the grace end (orders.ts
 * lapseOutcome, the job's own decision), on the spend recorded by then as of
 * today. Null when the member is not in grace.
 */
async function graceEnding(db: Db, shop: string, customerId: string, tiers: RuleTier[], timeZone: string) {
  const e = await db.enrollment.findFirst({ where: { shop, customerId, status: "active", graceEndsAt: { not: null } }, include: { tier: true } });
  if (!e?.graceEndsAt) return null;
  const outcome = await lapseOutcome({
    current: { ...ruleTier(e.tier), graceDays: e.tier.graceDays, stepDown: e.tier.stepDown },
    expiresAt: e.expiresAt,
    graceEndsAt: e.graceEndsAt,
    tiers,
    now: e.graceEndsAt,
    timeZone,
    spendAt: (end) => recordedSpendCents(db, shop, customerId, end),
  });
  if (outcome.kind === "step_down") return { kind: "step_down" as const, from: e.tier.name, to: outcome.to.name };
  return { kind: "expire" as const, from: e.tier.name };
}

export type RecalcSummary = {
  transitions: { from: string; to: string; count: number }[];
  samples: { upgrade: { name: string; from: string; to: string }[]; renewal: string[]; keep: string[] };
  /**
   * Gentler endings (ADR 0025), shown and not applied: members in grace now,
   * and what the expiry job will do at their grace end on today's spend (step
   * down, or expire). Absent in previews made before they existed.
   */
  grace?: { count: number; stepDown: { from: string; to: string; count: number }[]; expire: number; sample: { name: string; outcome: string }[] };
};

/** Active members' customer ids after `after`, a page at a time (keyset). */
async function activeMembers(db: Db | Tx, shop: string, after: string | null, take: number): Promise<string[]> {
  const rows = await db.enrollment.findMany({
    where: { shop, status: "active", ...(after ? { customerId: { gt: after } } : {}) },
    orderBy: { customerId: "asc" },
    take,
    select: { customerId: true },
  });
  return rows.map((r) => r.customerId);
}

/**
 * The dry run: every active member's decision, counted, with a sample of
 * names; stored as a Recalculation ("previewed") for Apply to run. Writes no
 * member, enrollment or queue item.
 */
export async function previewRecalculation(db: Db, shop: string, reason: RecalcReason, now = new Date()) {
  const row = await db.shop.findUnique({ where: { domain: shop }, select: { crm: true } });
  const crm = row?.crm ?? "shopify";
  const counts = { members: 0, upgrades: 0, renewals: 0, keeps: 0 };
  const transitions = new Map<string, { from: string; to: string; count: number }>();
  const sample: { upgrade: { id: string; from: string; to: string }[]; renewal: string[]; keep: string[] } = { upgrade: [], renewal: [], keep: [] };
  const grace = { count: 0, expire: 0, stepDown: new Map<string, { from: string; to: string; count: number }>(), sample: [] as { id: string; outcome: string }[] };
  const timeZone = await shopTimeZone(db, shop);
  const endingTiers = (await db.tier.findMany({ where: { shop, active: true, ...(crm === "commerce7" ? { c7ClubId: { not: null } } : {}) } })).map(ruleTier);
  for (let after: string | null = null; ; ) {
    const ids = await activeMembers(db, shop, after, 500);
    if (!ids.length) break;
    for (const id of ids) {
      const d = await planMember(db, shop, crm, id, now);
      if (!d) continue;
      counts.members++;
      if (d.kind !== "upgrade" && d.kind !== "renewal") {
        // Not renewed by this recalculation and in grace: the expiry job's decision at the grace end, on today's spend.
        const ending = await graceEnding(db, shop, id, endingTiers, timeZone);
        if (ending) {
          grace.count++;
          if (ending.kind === "step_down") {
            const key = `${ending.from}\u0000${ending.to}`;
            const t = grace.stepDown.get(key) ?? { from: ending.from, to: ending.to, count: 0 };
            t.count++;
            grace.stepDown.set(key, t);
          } else grace.expire++;
          if (grace.sample.length < SAMPLE) grace.sample.push({ id, outcome: ending.kind === "step_down" ? `${ending.from} → ${ending.to}` : `${ending.from}, expires` });
        }
      }
      if (d.kind === "upgrade") {
        counts.upgrades++;
        const key = `${d.from}\u0000${d.to}`;
        const t = transitions.get(key) ?? { from: d.from, to: d.to!, count: 0 };
        t.count++;
        transitions.set(key, t);
        if (sample.upgrade.length < SAMPLE) sample.upgrade.push({ id, from: d.from, to: d.to! });
      } else if (d.kind === "renewal") {
        counts.renewals++;
        if (sample.renewal.length < SAMPLE) sample.renewal.push(id);
      } else if (d.kind === "keep") {
        counts.keeps++;
        if (sample.keep.length < SAMPLE) sample.keep.push(id);
      }
    }
    after = ids.at(-1)!;
  }
  const wanted = [...sample.upgrade.map((u) => u.id), ...sample.renewal, ...sample.keep, ...grace.sample.map((g) => g.id)];
  const people = new Map((await db.customer.findMany({ where: { shop, id: { in: wanted } }, select: { id: true, firstName: true, lastName: true, email: true } })).map((c) => [c.id, `${c.firstName} ${c.lastName}`.trim() || c.email]));
  const name = (id: string) => people.get(id) ?? "(erased)";
  const summary: RecalcSummary = {
    transitions: [...transitions.values()].sort((a, b) => b.count - a.count),
    samples: { upgrade: sample.upgrade.map((u) => ({ name: name(u.id), from: u.from, to: u.to })), renewal: sample.renewal.map(name), keep: sample.keep.map(name) },
    grace: {
      count: grace.count,
      stepDown: [...grace.stepDown.values()].sort((a, b) => b.count - a.count),
      expire: grace.expire,
      sample: grace.sample.map((g) => ({ name: name(g.id), outcome: g.outcome })),
    },
  };
  return db.recalculation.create({ data: { shop, reason, ...counts, summary: JSON.stringify(summary), createdAt: now } });
}

const orderingKey = (id: string) => `recalc:${id}`;

/** "Apply": the preview's changes start as queue work. Once per preview (a second click changes nothing). */
export async function applyRecalculation(db: Db, shop: string, id: string, now = new Date()): Promise<{ ok: true } | { ok: false; message: string }> {
  const started = await db.$transaction(async (tx) => {
    const r = await tx.recalculation.findFirst({ where: { id, shop }, select: { status: true } });
    if (!r) return { ok: false as const, message: "This preview does not exist." };
    const { count } = await tx.recalculation.updateMany({ where: { id, shop, status: "previewed" }, data: { status: "applying", appliedAt: now } });
    if (count === 1) await queueCrmSync({ shop, actionType: RECALC_ACTION, stageId: id, customerId: orderingKey(id), idempotencyKey: `recalc:${id}:from:start`, maxAttempts: 20, runAt: now }, tx);
    return { ok: true as const, queued: count === 1 };
  });
  if (!started.ok) return started;
  if (started.queued) wakeWorker();
  return { ok: true };
}

/** The `recalculate_members` item: chunks of members from the cursor on, for a slice, then the next item. */
export async function recalculateMembers({ db, item, signal }: Pick<ProcessorContext, "db" | "item" | "signal">): Promise<ProcessorResult> {
  const shop = item.shop;
  const began = Date.now();
  const crm = (await db.shop.findUnique({ where: { domain: shop }, select: { crm: true } }))?.crm ?? "shopify";
  for (;;) {
    const r = await db.recalculation.findFirst({ where: { id: item.stageId, shop } });
    if (!r || r.status !== "applying") return { result: { skipped: r?.status ?? "gone" } };
    if (signal.aborted || Date.now() - began > SLICE_MS) {
      await queueCrmSync({ shop, actionType: RECALC_ACTION, stageId: r.id, customerId: orderingKey(r.id), idempotencyKey: `recalc:${r.id}:from:${r.cursor ?? "start"}`, maxAttempts: 20, runAt: r.appliedAt ?? r.createdAt });
      return { result: { continuesAfter: r.cursor } };
    }
    const done = await db.$transaction(
      async (tx) => {
        const ids = await activeMembers(tx, shop, r.cursor, CHUNK);
        if (!ids.length) {
          await tx.recalculation.updateMany({ where: { id: r.id, shop, status: "applying", cursor: r.cursor }, data: { status: "completed", completedAt: new Date() } });
          return true;
        }
        await lockMembersAtOnce(tx, shop, ids);
        const now = new Date();
        const applied = { upgrades: 0, renewals: 0, keeps: 0, processed: 0 };
        for (const id of ids) {
          // Read again under the lock: an order may have changed the member since the page was read.
          const d = await planMember(tx, shop, crm, id, now);
          if (!d) continue;
          applied.processed++;
          if (d.kind === "keep") applied.keeps++;
          if (d.kind !== "upgrade" && d.kind !== "renewal") continue;
          const outcome = await applyMembershipPlan(tx, shop, crm, id, d.plan, { changeAt: now, key: `recalc:${r.id}` });
          if (outcome.membership === "upgraded") applied.upgrades++;
          if (outcome.membership === "renewed") applied.renewals++;
        }
        const { count } = await tx.recalculation.updateMany({
          where: { id: r.id, shop, status: "applying", cursor: r.cursor },
          data: {
            cursor: ids.at(-1)!,
            processed: { increment: applied.processed },
            appliedUpgrades: { increment: applied.upgrades },
            appliedRenewals: { increment: applied.renewals },
            appliedKeeps: { increment: applied.keeps },
          },
        });
        if (count !== 1) throw new Error(`Recalculation ${r.id} moved under this chunk`);
        return false;
      },
      { timeout: 60_000, maxWait: 30_000 },
    );
    if (done) return { result: { completed: true } };
    wakeWorker();
  }
}

export type RecalcView = Awaited<ReturnType<typeof recalculationView>>;

/** The latest recalculation of the shop, for its page (progress read from the database). */
export async function recalculationView(db: Db, shop: string, id?: string) {
  const r = await db.recalculation.findFirst({ where: { shop, ...(id ? { id } : {}) }, orderBy: { createdAt: "desc" } });
  if (!r) return null;
  return {
    id: r.id,
    status: r.status as "previewed" | "applying" | "completed",
    reason: r.reason,
    members: r.members,
    upgrades: r.upgrades,
    renewals: r.renewals,
    keeps: r.keeps,
    summary: JSON.parse(r.summary) as RecalcSummary,
    processed: r.processed,
    appliedUpgrades: r.appliedUpgrades,
    appliedRenewals: r.appliedRenewals,
    appliedKeeps: r.appliedKeeps,
    createdAt: r.createdAt.toISOString(),
    completedAt: r.completedAt?.toISOString() ?? null,
  };
}
