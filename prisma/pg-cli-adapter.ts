// PrismaPg for the Prisma CLI's JS schema engine, with one fix.
//
// The schema engine reads catalog columns of PostgreSQL's `name` (OID 19) and
// `"char"` (OID 18) types, which @prisma/adapter-pg 6.19 does not map, so
// `migrate deploy` and `db push` fail with "Column type 'name' could not be
// deserialized" (prisma/prisma#27403, open). Both are plain strings on the wire,
// so reporting them as `text` (OID 25) is exact. Only the CLI uses this; the
// app's own queries never select catalog columns.
import { PrismaPg } from "@prisma/adapter-pg";

const PG_CHAR = 18;
const PG_NAME = 19;
const PG_TEXT = 25;

type Queryable = { performIO(query: unknown): Promise<{ fields: { dataTypeID: number }[] }> };

function patch<T extends object>(target: T): T {
  const q = target as unknown as Queryable;
  const performIO = q.performIO.bind(q);
  q.performIO = async (query) => {
    const result = await performIO(query);
    for (const field of result.fields) if (field.dataTypeID === PG_NAME || field.dataTypeID === PG_CHAR) field.dataTypeID = PG_TEXT;
    return result;
  };
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
