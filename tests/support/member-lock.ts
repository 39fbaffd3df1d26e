// Holding a member's lock from a SECOND connection, to force the interleavings
// of two writers instead of hoping for them.
//
// PostgreSQL: a separate pg connection takes the very advisory lock the app's
// writers take (app/member-lock.server.ts) inside an open transaction. Writers
// started now run up to the lock and wait there; `waitForWriters(n)` returns
// once n of them are seen waiting (pg_locks: an ungranted advisory lock in this
// database), so every one of them has begun before any may continue. PostgreSQL
// grants a lock to its waiters in arrival order, so writers started one after
// another, each after `waitForWriters`, go on in that order after `release()`.
// If the app took no lock, the writers would never wait: `waitForWriters` then
// fails the test after its deadline, naming the missing lock.
//
// SQLite: the lock is the database's write lock, which the driver adapter
// holds for a whole transaction. The holder is a transaction on the app's own
// client that has written (so it holds it); writers queue behind it and run one
// at a time in arrival order after `release()`. Waiting writers cannot be seen,
// so `waitForWriters` only lets the ones just started reach the queue.
import pg from "pg";
import type { Db } from "~/db.server";
import { MEMBER_LOCK_SQL, memberLockKey } from "~/member-lock.server";
import { baseProvider } from "./databases";

export type HeldLock = { waitForWriters(n: number): Promise<void>; release(): Promise<void> };

export async function holdMemberLock(db: Db, shop: string, customerId: string): Promise<HeldLock> {
  return baseProvider() === "postgresql" ? holdOnPostgres(shop, customerId) : holdOnSqlite(db, customerId);
}

async function holdOnPostgres(shop: string, customerId: string): Promise<HeldLock> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  await client.query("BEGIN");
  await client.query(MEMBER_LOCK_SQL, [memberLockKey(shop, customerId)]);
  return {
    async waitForWriters(n) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { rows } = await client.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        );
        if (Number(rows[0]!.n) >= n) return;
        if (Date.now() > deadline) throw new Error(`expected ${n} writer(s) waiting for the member lock, saw ${rows[0]!.n}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async release() {
      await client.query("COMMIT");
      await client.end();
    },
  };
}

async function holdOnSqlite(db: Db, customerId: string): Promise<HeldLock> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let holding!: () => void;
  const held = new Promise<void>((r) => (holding = r));
  const done = db.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(`UPDATE "Customer" SET "updatedAt" = "updatedAt" WHERE id = ?`, customerId);
      holding();
      await released;
    },
    { timeout: 60_000 },
  );
  await held;
  return {
    async waitForWriters() {
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    },
    async release() {
      release();
      await done;
    },
  };
}
