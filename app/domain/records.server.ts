// Shop-scoped reads of the core records.
//
// Invariant: every function takes the shop's domain and filters by it, so a
// request authenticated for one shop can never read another shop's rows, even
// with a guessed or leaked id. Ids alone are never enough.
import type { Db, Tx } from "../db.server";

export function listTiers(db: Db | Tx, shop: string, opts: { includeInactive?: boolean } = {}) {
  return db.tier.findMany({
    where: { shop, ...(opts.includeInactive ? {} : { active: true }) },
    orderBy: [{ active: "desc" }, { rank: "asc" }, { name: "asc" }],
  });
}

export function getTier(db: Db | Tx, shop: string, id: string) {
  return db.tier.findFirst({ where: { id, shop } });
}

export function getCustomer(db: Db | Tx, shop: string, id: string) {
  return db.customer.findFirst({ where: { id, shop } });
}

export function findCustomerByEmail(db: Db | Tx, shop: string, email: string) {
  return db.customer.findUnique({ where: { shop_email: { shop, email: email.trim().toLowerCase() } } });
}

export function getEnrollment(db: Db | Tx, shop: string, id: string) {
  return db.enrollment.findFirst({ where: { id, shop }, include: { customer: true, tier: true } });
}

export function activeEnrollmentFor(db: Db | Tx, shop: string, customerId: string) {
  return db.enrollment.findFirst({ where: { shop, customerId, status: "active" }, include: { tier: true } });
}

export function listQueueItems(db: Db | Tx, shop: string, opts: { status?: string; take?: number } = {}) {
  return db.crmSyncQueue.findMany({
    where: { shop, ...(opts.status ? { status: opts.status } : {}) },
    orderBy: { createdAt: "desc" },
    take: opts.take ?? 50,
  });
}

export function getQueueItem(db: Db | Tx, shop: string, id: string) {
  return db.crmSyncQueue.findFirst({ where: { id, shop } });
}

export function listPurchases(db: Db | Tx, shop: string, customerId: string) {
  return db.purchase.findMany({ where: { shop, customerId }, orderBy: { occurredAt: "desc" } });
}
