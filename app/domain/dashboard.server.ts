// The home page's figures, in a few grouped queries (no per-tier loops).
import type { Db } from "../db.server";
import { queueStats } from "../queue/stats.server";

export async function dashboard(db: Db, shop: string, now = new Date()) {
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const in30 = new Date(now.getTime() + 30 * 86_400_000);
  const [tiers, perTier, newThisMonth, endedThisMonth, expiringSoon, queue] = await Promise.all([
    db.tier.findMany({ where: { shop, active: true }, orderBy: { rank: "asc" }, select: { id: true, name: true } }),
    db.enrollment.groupBy({ by: ["tierId"], where: { shop, status: "active" }, _count: true }),
    // New members: enrollments made by enroll(), the only path that carries an
    // idempotency key. A tier change also starts an enrollment, but no member.
    db.enrollment.count({ where: { shop, createdAt: { gte: monthStart }, idempotencyKey: { not: null } } }),
    // Every tier change ends one enrollment, as `upgraded` (up the order, by the
    // merchant or by spend) or `moved_down`: each counted as what it was.
    db.enrollment.groupBy({ by: ["status"], where: { shop, status: { in: ["upgraded", "moved_down"] }, endedAt: { gte: monthStart } }, _count: true }),
    db.enrollment.count({ where: { shop, status: "active", expiresAt: { gte: now, lte: in30 } } }),
    queueStats(db, { shop, now }),
  ]);
  const counts = new Map(perTier.map((g) => [g.tierId, g._count]));
  return {
    activeByTier: tiers.map((t) => ({ id: t.id, name: t.name, members: counts.get(t.id) ?? 0 })),
    activeTotal: perTier.reduce((sum, g) => sum + g._count, 0),
    newThisMonth,
    upgradesThisMonth: endedThisMonth.find((g) => g.status === "upgraded")?._count ?? 0,
    movedDownThisMonth: endedThisMonth.find((g) => g.status === "moved_down")?._count ?? 0,
    expiringSoon,
    queue: { pending: queue.counts.pending ?? 0, processing: queue.counts.processing ?? 0, failed: queue.counts.failed ?? 0 },
  };
}
