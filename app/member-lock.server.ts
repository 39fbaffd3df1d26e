// One writer per member (docs/decisions/0009-one-writer-per-member.md).
//
// Every write that changes a member's membership, spend or sync items runs
// inside a transaction that first takes this member's lock, then re-reads what
// it decides on. Two writers of one member therefore act one after the other,
// each on the other's committed result, never both on a stale read.
//
// - PostgreSQL (READ COMMITTED, several instances): a transaction-scoped
//   advisory lock on (shop, customer). It is released by COMMIT or ROLLBACK
//   and touches no row, so it cannot deadlock with the key-share locks that
//   foreign keys take on the Customer row. Take it BEFORE writing any row of
//   the member (the customer row included): a writer that holds a row and then
//   waits for the lock could deadlock with one that holds the lock and wants
//   the row.
// - SQLite (one instance): the driver adapter runs one transaction at a time
//   per client and SQLite one writer per file, so every transaction already
//   holds the member's lock; nothing to do.
// - A transaction that locks several members locks them in ascending id
//   order (lockMembers), so two such transactions cannot deadlock either.
import { dbProvider, type Db, type Tx } from "./db.server";

/** The text the advisory lock is keyed on (hashed to 64 bits by PostgreSQL). */
export function memberLockKey(shop: string, customerId: string): string {
  return `member:${shop}:${customerId}`;
}

/** The SQL that takes the lock for $1 = memberLockKey(...) until the transaction ends. */
export const MEMBER_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";

/** Waits for, then holds until the end of `tx`, the member's lock. */
export async function lockMember(tx: Tx, shop: string, customerId: string): Promise<void> {
  if (dbProvider !== "postgresql") return;
  // executeRaw: the function returns `void`, which has no column type to map.
  await tx.$executeRawUnsafe(MEMBER_LOCK_SQL, memberLockKey(shop, customerId));
}

/** Locks several members of one shop, in a fixed order. */
export async function lockMembers(tx: Tx, shop: string, customerIds: Iterable<string>): Promise<void> {
  for (const id of [...new Set(customerIds)].sort()) await lockMember(tx, shop, id);
}

// The shop's platform (Shop.crm) against a platform switch: every enqueue
// reads the platform its item is for under this lock SHARED, and a switch
// takes it EXCLUSIVE. So an item is queued either before the switch (its
// transaction commits first, and the switch then sees its membership) or after
// it (for the new platform), never for the old platform after the switch has
// read the members. A switch takes no member lock after this one: enqueuers
// hold a member's lock when they ask for it, so the order is always member,
// then shop (no deadlock). SQLite serialises every write already.
export const SHOP_PLATFORM_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";
export const SHOP_PLATFORM_SHARED_LOCK_SQL = "SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))";
export const shopPlatformLockKey = (shop: string) => `platform:${shop}`;

/** Held until the end of `tx`: no item of the shop is queued meanwhile (the platform switch). */
export async function lockShopPlatform(tx: Tx, shop: string): Promise<void> {
  if (dbProvider !== "postgresql") return;
  await tx.$executeRawUnsafe(SHOP_PLATFORM_LOCK_SQL, shopPlatformLockKey(shop));
}

/** Held until the end of `tx`: the shop's platform does not change meanwhile (every enqueue). */
export async function lockShopPlatformShared(tx: Tx | Db, shop: string): Promise<void> {
  if (dbProvider !== "postgresql") return;
  await tx.$executeRawUnsafe(SHOP_PLATFORM_SHARED_LOCK_SQL, shopPlatformLockKey(shop));
}

/**
 * lockMembers in one statement (a member import's chunk of hundreds): the
 * same locks, taken one after another in ascending id order, as lockMembers
 * takes them, without a round trip each.
 */
export async function lockMembersAtOnce(tx: Tx, shop: string, customerIds: Iterable<string>): Promise<void> {
  if (dbProvider !== "postgresql") return;
  const keys = [...new Set(customerIds)].sort().map((id) => memberLockKey(shop, id));
  if (!keys.length) return;
  await tx.$executeRawUnsafe(
    `SELECT pg_advisory_xact_lock(hashtextextended(k.key, 0)) FROM (SELECT key FROM unnest($1::text[]) WITH ORDINALITY AS u(key, n) ORDER BY n) k`,
    keys,
  );
}
