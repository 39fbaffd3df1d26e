// The SQLite driver adapter for the app, the CLIs (prisma.config.ts) and the
// tests alike: @prisma/adapter-libsql, made to cope with other processes
// opening the same file (docs/decisions/0012-sqlite-shared-with-other-processes.md).
//
// - WAL journal: readers (a `sqlite3` shell, a backup tool) never block our
//   writes, and our writes never block them. The mode is stored in the file.
// - synchronous=NORMAL: in WAL mode a commit survives an application crash;
//   fsyncs happen at checkpoints instead of on every commit.
// - Waiting for another process's write lock, for up to
//   SQLITE_BUSY_TIMEOUT_MS in all, WITHOUT blocking the event loop. libsql runs
//   statements synchronously, so SQLite's own busy timeout would freeze the
//   whole process (every request, the worker) while it waits. Each try waits
//   at most SQLITE_BUSY_SLICE_MS natively; between tries we sleep
//   asynchronously. Only what is safe to repeat is retried: BEGIN (nothing
//   done yet) and statements outside a transaction (a statement refused with
//   SQLITE_BUSY had no effect).
// - Transactions begin IMMEDIATE. In WAL mode a DEFERRED transaction that has
//   read and then writes while another process holds the write lock fails at
//   once (SQLITE_BUSY_SNAPSHOT), where no waiting can help; IMMEDIATE takes
//   the write lock at BEGIN, where we can wait for it. Once it is held, no
//   statement of the transaction nor its COMMIT can meet SQLITE_BUSY.
// - The client is the project's @libsql/client (0.18), not the copy nested
//   under the adapter (0.8). That copy hands a transaction's connection away
//   when COMMIT fails and never rolls it back, so the connection keeps the
//   write lock until the process dies. 0.18's pool rolls back any connection
//   that comes back still in a transaction: a failed commit always releases
//   the lock.
// - One connection: the adapter runs one statement (or transaction) at a time
//   per client anyway, so more connections would only sit idle.
import { createClient, type Client, type Config } from "@libsql/client";
import { PrismaLibSQL } from "@prisma/adapter-libsql";

/** How long, in all, an operation waits for another process's write lock. */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;
/** How long one try blocks inside SQLite before we sleep and try again. */
export const SQLITE_BUSY_SLICE_MS = 50;
// Between tries the sleep doubles from 25 ms to 250 ms: a short write by
// another process is still met within a few tens of ms, while a long one
// (a backup, a held lock) costs a try, and a reopened connection, every
// 300 ms instead of every 75 ms: the worker stays under 5% CPU through an
// outage (tests/queue/outage.test.ts).
const RETRY_SLEEP_MS = 25;
const RETRY_SLEEP_MAX_MS = 250;

const PRAGMAS = ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL"];

export function isSqliteBusy(error: unknown): boolean {
  const e = error as { code?: unknown; rawCode?: unknown; message?: unknown } | null;
  if (!e || typeof e !== "object") return false;
  if (typeof e.code === "string" && (e.code.startsWith("SQLITE_BUSY") || e.code.startsWith("SQLITE_LOCKED"))) return true;
  return typeof e.rawCode === "number" && ((e.rawCode & 0xff) === 5 || (e.rawCode & 0xff) === 6);
}

async function retryingBusy<T>(run: () => Promise<T>, afterBusy: () => Promise<void>): Promise<T> {
  const deadline = Date.now() + SQLITE_BUSY_TIMEOUT_MS;
  let sleep = RETRY_SLEEP_MS;
  for (;;) {
    try {
      return await run();
    } catch (error) {
      if (!isSqliteBusy(error)) throw error;
      await afterBusy();
      if (Date.now() >= deadline) throw error;
      await new Promise((r) => setTimeout(r, sleep));
      sleep = Math.min(sleep * 2, RETRY_SLEEP_MAX_MS);
    }
  }
}

type Queryable = { queryRaw(q: { sql: string; args: unknown[]; argTypes: unknown[] }): Promise<unknown> };

class ClubTiersLibSQL extends PrismaLibSQL {
  // The base class is typed against its nested 0.8 client; 0.18's has the same surface.
  override createClient(config: Parameters<PrismaLibSQL["createClient"]>[0]): ReturnType<PrismaLibSQL["createClient"]> {
    const client = createClient({ ...(config as Config), concurrency: 1, timeout: SQLITE_BUSY_SLICE_MS });
    const execute = client.execute.bind(client) as (...a: unknown[]) => ReturnType<Client["execute"]>;
    const executeMultiple = client.executeMultiple.bind(client);
    const transaction = client.transaction.bind(client);
    // A statement refused with SQLITE_BUSY is left un-reset by libsql until the
    // garbage collector finalizes it, and while it lingers its connection can
    // commit nothing ("cannot commit transaction - SQL statements in
    // progress"). So after a BUSY the connection is replaced. Safe: these calls
    // run outside any transaction, under the adapter's one-at-a-time lock.
    const freshConnection = async () => {
      client.reconnect();
      await execute("PRAGMA synchronous = NORMAL").catch(() => undefined);
    };
    // Outside a transaction: one statement, retried while another process writes.
    client.execute = ((...a: unknown[]) => retryingBusy(() => execute(...a), freshConnection)) as Client["execute"];
    client.executeMultiple = (sql) => retryingBusy(() => executeMultiple(sql), freshConnection);
    client.transaction = ((mode?: string) =>
      retryingBusy(() => transaction(mode === "read" ? "read" : "write"), freshConnection)) as Client["transaction"];
    return client as unknown as ReturnType<PrismaLibSQL["createClient"]>;
  }

  override async connect() {
    const adapter = await super.connect();
    for (const sql of PRAGMAS) {
      try {
        await (adapter as unknown as Queryable).queryRaw({ sql, args: [], argTypes: [] });
      } catch (error) {
        // Switching to WAL needs a moment without other connections; if one is
        // in the way, the file keeps its mode (WAL once any run has set it)
        // and the next connect tries again. Never a reason to refuse to start.
        if (!sql.includes("journal_mode")) throw error;
      }
    }
    return adapter;
  }
}

/** The Prisma driver adapter factory for an SQLite `file:` URL. */
export function sqliteAdapter(url: string): PrismaLibSQL {
  return new ClubTiersLibSQL({ url });
}
