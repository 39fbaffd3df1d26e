// Queue health for the UI and alerting, and retention.
import type { Db } from "../db.server";

export type QueueStats = {
  counts: Record<string, number>;
  oldestDueAgeMs: number | null;
  failuresLastHour: number;
  completedLastMinute: number;
  completedLastHour: number;
};

async function statsFor(db: Db, shop: string | undefined, now: Date): Promise<QueueStats> {
  const scope = shop ? { shop } : {};
  const hourAgo = new Date(now.getTime() - 3_600_000);
  const minuteAgo = new Date(now.getTime() - 60_000);
  const [groups, oldest, failures, lastMinute, lastHour] = await Promise.all([
    db.crmSyncQueue.groupBy({ by: ["status"], where: scope, _count: true }),
    db.crmSyncQueue.findFirst({ where: { ...scope, status: "pending", nextRunAt: { lte: now } }, orderBy: { nextRunAt: "asc" }, select: { nextRunAt: true } }),
    db.syncAttempt.count({ where: { ...scope, outcome: "failed", startedAt: { gte: hourAgo } } }),
    db.crmSyncQueue.count({ where: { ...scope, status: "completed", completedAt: { gte: minuteAgo } } }),
    db.crmSyncQueue.count({ where: { ...scope, status: "completed", completedAt: { gte: hourAgo } } }),
  ]);
  const counts: Record<string, number> = { pending: 0, processing: 0, completed: 0, failed: 0, cancelled: 0 };
  for (const g of groups) counts[g.status] = g._count;
  return {
    counts,
    oldestDueAgeMs: oldest ? now.getTime() - oldest.nextRunAt.getTime() : null,
    failuresLastHour: failures,
    completedLastMinute: lastMinute,
    completedLastHour: lastHour,
  };
}

/** Per shop (when `shop` is given) or overall. */
export function queueStats(db: Db, opts: { shop?: string; now?: Date } = {}): Promise<QueueStats> {
  return statsFor(db, opts.shop, opts.now ?? new Date());
}

/** Deletes completed items older than N days, in batches. Failed items are never deleted. */
export async function pruneCompleted(db: Db, opts: { olderThanDays: number; batchSize?: number; now?: Date }): Promise<number> {
  const cutoff = new Date((opts.now ?? new Date()).getTime() - opts.olderThanDays * 86_400_000);
  let total = 0;
  for (;;) {
    const batch = await db.crmSyncQueue.findMany({
      where: { status: "completed", completedAt: { lt: cutoff } },
      select: { id: true },
      take: opts.batchSize ?? 500,
    });
    if (!batch.length) return total;
    const { count } = await db.crmSyncQueue.deleteMany({ where: { id: { in: batch.map((b) => b.id) }, status: "completed" } });
    total += count;
  }
}
