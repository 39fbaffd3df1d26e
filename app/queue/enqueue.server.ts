// Enqueue: the outbox half of every membership change.
//
// Callers pass their transaction client so the business row (enrollment,
// cancellation, tier change) and its queue row commit or roll back together.
// Re-enqueueing the same logical operation (same idempotency key) is a no-op:
// INSERT … ON CONFLICT DO NOTHING, which neither fails nor aborts a surrounding
// PostgreSQL transaction. Wake the worker only after the caller's commit.
//
// Per-member order follows commit order: callers hold the member's lock
// (app/domain/member-lock.server.ts) when they enqueue, and an item's
// createdAt is strictly later than every earlier item of its member (at least
// 1 ms after the latest), so the worker runs a member's items in the order
// their transactions committed, even within one millisecond.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import prisma, { chunks, dbProvider, type Db, type Tx } from "../db.server";
import { asPlatform } from "../domain/customers.server";
import { lockShopPlatformShared } from "../member-lock.server";
import { exec } from "./sql.server";
import { refreshSyncState } from "./sync-state.server";
import { ACTIONS } from "./types";

export { wakeWorker } from "./notifier";

export const enqueueInput = z.object({
  shop: z.string().min(1),
  enrollmentId: z.string().min(1).nullish(),
  actionType: z.enum(ACTIONS),
  stageId: z.string().min(1),
  oldStageId: z.string().min(1).nullish(),
  /** The platform the item runs against; by default the shop's, read under the switch's lock. */
  platform: z.enum(["shopify", "commerce7"]).optional(),
  /** Local customer id: items of one member run one at a time, in order. */
  customerId: z.string().min(1),
  idempotencyKey: z.string().min(1).max(200).optional(),
  maxAttempts: z.number().int().min(1).max(50).default(5),
  runAt: z.date().optional(),
});
export type EnqueueInput = z.input<typeof enqueueInput>;

/** The default key: one item per (action, enrollment, stage, old stage). */
export function defaultIdempotencyKey(i: { actionType: string; enrollmentId?: string | null; stageId: string; oldStageId?: string | null; customerId: string }) {
  return [i.actionType, i.enrollmentId ?? `customer:${i.customerId}`, i.stageId, i.oldStageId ?? "-"].join(":");
}

export async function queueCrmSync(raw: EnqueueInput, tx: Db | Tx = prisma): Promise<{ id: string; created: boolean }> {
  const input = enqueueInput.parse(raw);
  const key = input.idempotencyKey ?? defaultIdempotencyKey(input);
  // Read (or kept) under the shop's platform lock, shared: a platform switch
  // waits for this transaction, or this one for the switch (member-lock.server.ts).
  await lockShopPlatformShared(tx, input.shop);
  const platform = input.platform ?? asPlatform((await tx.shop.findUnique({ where: { domain: input.shop }, select: { crm: true } }))?.crm);
  const now = new Date();
  const latest = await tx.crmSyncQueue.findFirst({
    where: { shop: input.shop, customerId: input.customerId },
    orderBy: { createdAt: "desc" },
    select: { createdAt: true },
  });
  const createdAt = latest && latest.createdAt >= now ? new Date(latest.createdAt.getTime() + 1) : now;
  const id = randomUUID();
  const inserted = await exec(
    tx,
    // A claim candidate (ready) unless an earlier item of the member is still open.
    `INSERT INTO "CrmSyncQueue" ("id","shop","enrollmentId","customerId","actionType","stageId","oldStageId","platform",
       "status","attempts","maxAttempts","throttleDeferrals","nextRunAt","fence","idempotencyKey","createdAt","updatedAt","ready")
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'pending',0,$9,0,$10,0,$11,$12,$12,
       NOT EXISTS (SELECT 1 FROM "CrmSyncQueue" o WHERE o.shop = $2 AND o."customerId" = $4 AND o.status IN ('pending', 'processing')))
     ON CONFLICT ("shop","idempotencyKey") DO NOTHING`,
    id,
    input.shop,
    input.enrollmentId ?? null,
    input.customerId,
    input.actionType,
    input.stageId,
    input.oldStageId ?? null,
    platform,
    input.maxAttempts,
    input.runAt ?? now,
    key,
    createdAt,
  );
  if (inserted === 1) {
    // A no-op (same key) changes no item, so it leaves the sync state alone.
    if (input.enrollmentId) await refreshSyncState(tx, input.shop, [input.enrollmentId]);
    return { id, created: true };
  }
  const existing = await tx.crmSyncQueue.findUniqueOrThrow({ where: { shop_idempotencyKey: { shop: input.shop, idempotencyKey: key } }, select: { id: true } });
  return { id: existing.id, created: false };
}

/**
 * queueCrmSync for many items at once, each for a different member of one
 * shop (a member import's chunk), in the caller's transaction: the same rows
 * (key, platform, per-member createdAt order, `ready`, sync state), in a few
 * statements instead of a few per item. The caller holds every member's lock.
 * Returns how many items were new.
 */
export async function queueCrmSyncMany(raw: EnqueueInput[], tx: Tx): Promise<number> {
  const inputs = raw.map((r) => enqueueInput.parse(r));
  if (!inputs.length) return 0;
  const shop = inputs[0]!.shop;
  const members = new Set(inputs.map((i) => i.customerId));
  if (inputs.some((i) => i.shop !== shop) || members.size !== inputs.length) throw new Error("queueCrmSyncMany: one shop, one item per member");
  await lockShopPlatformShared(tx, shop);
  const shopPlatform = asPlatform((await tx.shop.findUnique({ where: { domain: shop }, select: { crm: true } }))?.crm);
  const now = new Date();
  // Each member's latest item (its createdAt order) and whether one is still open (then ours is not a head).
  const latest = new Map<string, Date>();
  const open = new Set<string>();
  for (const part of chunks([...members])) {
    const rows = await tx.crmSyncQueue.groupBy({ by: ["customerId"], where: { shop, customerId: { in: part } }, _max: { createdAt: true } });
    for (const r of rows) if (r._max.createdAt) latest.set(r.customerId, r._max.createdAt);
    const busy = await tx.crmSyncQueue.findMany({ where: { shop, customerId: { in: part }, status: { in: ["pending", "processing"] } }, select: { customerId: true }, distinct: ["customerId"] });
    for (const b of busy) open.add(b.customerId);
  }
  const COLUMNS = 12;
  let inserted = 0;
  // SQLite binds at most 999 parameters per statement; PostgreSQL 65,535.
  for (const part of chunks(inputs, Math.floor((dbProvider === "postgresql" ? 30_000 : 999) / COLUMNS))) {
    const values = part.map((input, i) => {
      const p = (c: number) => `$${i * COLUMNS + c}`;
      // createdAt ($12) is also updatedAt; `ready` is a literal.
      return `(${[1, 2, 3, 4, 5, 6, 7, 8].map(p).join(",")},'pending',0,${p(9)},0,${p(10)},0,${p(11)},${p(12)},${p(12)},${open.has(input.customerId) ? "FALSE" : "TRUE"})`;
    });
    inserted += await exec(
      tx,
      `INSERT INTO "CrmSyncQueue" ("id","shop","enrollmentId","customerId","actionType","stageId","oldStageId","platform",
         "status","attempts","maxAttempts","throttleDeferrals","nextRunAt","fence","idempotencyKey","createdAt","updatedAt","ready")
       VALUES ${values.join(",\n")}
       ON CONFLICT ("shop","idempotencyKey") DO NOTHING`,
      ...part.flatMap((input) => {
        const before = latest.get(input.customerId);
        return [
          randomUUID(),
          shop,
          input.enrollmentId ?? null,
          input.customerId,
          input.actionType,
          input.stageId,
          input.oldStageId ?? null,
          input.platform ?? shopPlatform,
          input.maxAttempts,
          input.runAt ?? now,
          input.idempotencyKey ?? defaultIdempotencyKey(input),
          before && before >= now ? new Date(before.getTime() + 1) : now,
        ];
      }),
    );
  }
  if (inserted) await refreshSyncState(tx, shop, inputs.map((i) => i.enrollmentId));
  return inserted;
}
