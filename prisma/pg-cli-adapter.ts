// PrismaPg for the Prisma CLI's JS schema engine, with two fixes.
//
// The schema engine reads catalog columns of PostgreSQL's `name` (OID 19) and
// `"char"` (OID 18) types, which @prisma/adapter-pg 6.19 does not map, so
// `migrate deploy` and `db push` fail with "Column type 'name' could not be
// deserialized" (prisma/prisma#27403, open). Both are plain strings on the wire,
// so reporting them as `text` (OID 25) is exact. Only the CLI uses this; the
// app's own queries never select catalog columns.
//
// And a migration runs as the one script it is. The adapter's executeScript
// splits a script on every ";" (even inside a quoted string or a function
// body), which breaks a trigger function (migration 20261204520000, ADR 0029).
// PostgreSQL's simple query protocol takes several statements in one query
// and runs them as one implicit transaction, so the script goes unsplit.
import { PrismaPg } from "@prisma/adapter-pg";

const PG_CHAR = 18;
const PG_NAME = 19;
const PG_TEXT = 25;

type Queryable = {
  performIO(query: unknown): Promise<{ fields: { dataTypeID: number }[] }>;
  executeScript?: (script: string) => Promise<void>;
  client?: { query(sql: string): Promise<unknown> };
  onError?: (error: unknown) => never;
};

function patch<T extends object>(target: T): T {
  const q = target as unknown as Queryable;
  const performIO = q.performIO.bind(q);
  q.performIO = async (query) => {
    const result = await performIO(query);
    for (const field of result.fields) if (field.dataTypeID === PG_NAME || field.dataTypeID === PG_CHAR) field.dataTypeID = PG_TEXT;
    return result;
  };
  if (q.executeScript && q.client) {
    const client = q.client;
    q.executeScript = async (script) => {
      try {
        await client.query(script);
      } catch (error) {
        q.onError!.call(q, error);
      }
    };
  }
  const withTx = target as unknown as { startTransaction?: (...a: unknown[]) => Promise<object> };
  if (withTx.startTransaction) {
    const start = withTx.startTransaction.bind(target);
    withTx.startTransaction = async (...args) => patch(await start(...args));
  }
  return target;
}

export class CliPrismaPg extends PrismaPg {
  override async connect() {
    return patch(await super.connect());
  }
  override async connectToShadowDb() {
    return patch(await super.connectToShadowDb());
  }
}
