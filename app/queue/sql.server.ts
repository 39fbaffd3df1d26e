// Raw SQL helpers for the queue's hot paths, identical on SQLite and PostgreSQL.
//
// Statements are written with PostgreSQL's $1..$n placeholders; for SQLite they
// become ?1..?n (SQLite's numbered parameters), so one text serves both.
// Dates are bound as Date and come back as Date (PostgreSQL) or ISO text
// (SQLite, which is how Prisma stores them there); `toItem` normalises rows.
//
// On PostgreSQL a statement run on the client itself (not inside a Prisma
// transaction) goes straight to the driver (db.server.ts, driverOf): the
// queue's hot statements are raw SQL already, and Prisma would add several
// times the driver's own cost to each.
import type { Db, Tx } from "../db.server";
import { dbProvider, driverOf } from "../db.server";
import type { QueueItem } from "./types";

export function sql(text: string): string {
  return dbProvider === "postgresql" ? text : text.replace(/\$(\d+)/g, "?$1");
}

type Raw = Record<string, unknown>;

const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : date(v));
const num = (v: unknown): number => (typeof v === "bigint" ? Number(v) : Number(v));

export function toItem(r: Raw): QueueItem {
  return {
    id: String(r.id),
    shop: String(r.shop),
    enrollmentId: (r.enrollmentId as string | null) ?? null,
    customerId: String(r.customerId),
    actionType: String(r.actionType),
    stageId: String(r.stageId),
    oldStageId: (r.oldStageId as string | null) ?? null,
    platform: String(r.platform ?? "shopify"),
    status: String(r.status),
    attempts: num(r.attempts),
    maxAttempts: num(r.maxAttempts),
    throttleDeferrals: num(r.throttleDeferrals),
    nextRunAt: date(r.nextRunAt),
    lockedBy: (r.lockedBy as string | null) ?? null,
    leaseUntil: dateOrNull(r.leaseUntil),
    fence: num(r.fence),
    lastError: (r.lastError as string | null) ?? null,
    idempotencyKey: String(r.idempotencyKey),
    createdAt: date(r.createdAt),
  };
}

export async function queryRows<T = Raw>(db: Db | Tx, text: string, ...params: unknown[]): Promise<T[]> {
  const driver = driverOf(db);
  if (driver) return (await driver.query(text, params)) as T[];
  return db.$queryRawUnsafe<T[]>(sql(text), ...params);
}

export async function queryItems(db: Db | Tx, text: string, ...params: unknown[]): Promise<QueueItem[]> {
  return (await queryRows<Raw>(db, text, ...params)).map(toItem);
}

export async function exec(db: Db | Tx, text: string, ...params: unknown[]): Promise<number> {
  const driver = driverOf(db);
  if (driver) return driver.execute(text, params);
  return db.$executeRawUnsafe(sql(text), ...params);
}
