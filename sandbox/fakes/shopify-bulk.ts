// The fake Shopify Admin's orders and bulk queries (shopify-admin.ts uses these).
//
// Faithful where the backfill depends on it (Shopify's bulk operations guide):
// - bulkOperationRunQuery's inner query is parsed and validated against the
//   REAL Admin schema, then against the bulk rules: a query, no variables,
//   neither `node` nor `nodes` at the top, at least one connection, at most
//   five, nested at most two deep. A refused query is a userError, as Shopify's.
// - One bulk query per shop at a time (OPERATION_IN_PROGRESS otherwise).
// - The result is JSONL, one object per line: a connection's nodes each on
//   their own line, a nested connection's nodes after their parent with
//   `__parentId` (groupObjects false, the default since 2025-10). Pagination
//   arguments are ignored: a bulk query reads everything.
// - Status moves CREATED -> RUNNING -> COMPLETED over `durationMs`; the
//   objectCount grows meanwhile; the file is served from the fake's own URL
//   (no token, like Shopify's signed storage URL), streamed line by line.
// Orders are seeded (`seedOrders`): paid, unpaid, refunded, cancelled, test and
// guest orders over the last months, and the fake computes its own net paid sum.
import { GraphQLError, Kind, getNamedType, isObjectType, parse, validate, type FieldNode, type GraphQLSchema, type SelectionSetNode } from "graphql";

export type FakeRefund = { id: string; createdAt: string; lineSubtotalCents: number; totalRefundedCents: number };
export type FakeOrder = {
  id: string;
  legacyId: number;
  createdAt: string;
  cancelledAt: string | null;
  test: boolean;
  /** OrderDisplayFinancialStatus, as GraphQL spells it. */
  financialStatus: string;
  email: string | null;
  customerId: string | null;
  subtotalCents: number;
  refunds: FakeRefund[];
};

/** Statuses whose spend counts (the app's paid rule, ADR 0019). */
const PAID = new Set(["PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED", "REFUNDED"]);

/** Net paid spend of the orders placed at or after `since`: what a correct backfill records. */
export function netPaidCents(orders: Iterable<FakeOrder>, since: Date): number {
  let total = 0;
  for (const o of orders) {
    if (!o.customerId || o.test || o.cancelledAt || !PAID.has(o.financialStatus) || Date.parse(o.createdAt) < since.getTime()) continue;
    total += Math.max(0, o.subtotalCents - o.refunds.reduce((s, r) => s + r.lineSubtotalCents, 0));
  }
  return total;
}

export const money = (cents: number, currencyCode: string) => ({ shopMoney: { amount: (cents / 100).toFixed(2), currencyCode } });

export function orderView(o: FakeOrder, currencyCode: string, customerView: (id: string) => unknown) {
  const refunded = o.refunds.reduce((s, r) => s + r.lineSubtotalCents, 0);
  return {
    __typename: "Order",
    id: o.id,
    name: `#${o.legacyId}`,
    createdAt: o.createdAt,
    processedAt: o.createdAt,
    cancelledAt: o.cancelledAt,
    test: o.test,
    email: o.email,
    displayFinancialStatus: o.financialStatus,
    customer: o.customerId ? customerView(o.customerId) : null,
    subtotalPriceSet: money(o.subtotalCents, currencyCode),
    currentSubtotalPriceSet: money(Math.max(0, o.subtotalCents - refunded), currencyCode),
    refunds: ({ first }: { first?: number }) =>
      o.refunds.slice(0, first ?? o.refunds.length).map((r) => ({
        __typename: "Refund",
        id: r.id,
        createdAt: r.createdAt,
        totalRefundedSet: money(r.totalRefundedCents, currencyCode),
      })),
  };
}

/** `created_at:>=…` / `created_at:<…` filters of an orders search (what the backfill sends); other terms are refused. */
export function orderFilter(query: string | null | undefined): (o: FakeOrder) => boolean {
  const tests: ((o: FakeOrder) => boolean)[] = [];
  for (const term of (query ?? "").split(/\s+(?:AND\s+)?/).filter(Boolean)) {
    const m = /^created_at:(>=|<=|>|<)?['"]?([^'"]+)['"]?$/.exec(term);
    if (!m) throw new GraphQLError(`fake: orders(query:) supports created_at filters only, not ${JSON.stringify(term)}`);
    const at = Date.parse(m[2]!);
    if (Number.isNaN(at)) throw new GraphQLError(`fake: not a date in ${term}`);
    const op = m[1] ?? ">=";
    tests.push((o) => {
      const t = Date.parse(o.createdAt);
      return op === ">=" ? t >= at : op === ">" ? t > at : op === "<=" ? t <= at : t < at;
    });
  }
  return (o) => tests.every((t) => t(o));
}

/** Why Shopify would refuse this bulk query, or null. */
export function bulkQueryProblem(schema: GraphQLSchema, query: string): string | null {
  let doc;
  try {
    doc = parse(query);
  } catch (e) {
    return (e as Error).message;
  }
  const invalid = validate(schema, doc);
  if (invalid.length) return invalid.map((e) => e.message).join("; ");
  const ops = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (ops.length !== 1 || ops[0]!.operation !== "query") return "Bulk queries must contain exactly one query operation.";
  if (ops[0]!.variableDefinitions?.length) return "Bulk queries cannot use variables.";
  const top = ops[0]!.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD);
  if (top.some((f) => f.name.value === "node" || f.name.value === "nodes")) return "The top-level node and nodes fields cannot be used in bulk queries.";
  let connections = 0;
  let deepest = 0;
  const walk = (set: SelectionSetNode, type: unknown, depth: number) => {
    if (!isObjectType(type)) return;
    for (const sel of set.selections) {
      if (sel.kind !== Kind.FIELD || !sel.selectionSet) continue;
      const field = type.getFields()[sel.name.value];
      if (!field) continue;
      const named = getNamedType(field.type);
      const isConnection = named.name.endsWith("Connection");
      if (isConnection) {
        connections++;
        deepest = Math.max(deepest, depth + 1);
      }
      walk(sel.selectionSet, named, depth + (isConnection ? 1 : 0));
    }
  };
  walk(ops[0]!.selectionSet, schema.getQueryType(), 0);
  if (connections === 0) return "Bulk queries must contain at least one connection.";
  if (connections > 5) return "Bulk queries cannot contain more than 5 connections.";
  if (deepest > 2) return "Bulk queries cannot contain connections nested more than 2 levels deep.";
  return null;
}

const isConnectionValue = (v: unknown): v is { edges?: { node: unknown }[]; nodes?: unknown[] } =>
  !!v && typeof v === "object" && !Array.isArray(v) && (Array.isArray((v as { edges?: unknown }).edges) || Array.isArray((v as { nodes?: unknown }).nodes));

/** The executed query's data as Shopify's JSONL lines (groupObjects false). */
export function* bulkLines(data: Record<string, unknown>): Generator<string> {
  const emit = function* (node: Record<string, unknown>, parentId: string | undefined): Generator<string> {
    const own: Record<string, unknown> = {};
    const nested: unknown[] = [];
    for (const [k, v] of Object.entries(node)) {
      if (isConnectionValue(v)) nested.push(v);
      else own[k] = v;
    }
    if (parentId) own.__parentId = parentId;
    yield JSON.stringify(own);
    for (const c of nested) yield* each(c as never, typeof node.id === "string" ? node.id : undefined);
  };
  const each = function* (conn: { edges?: { node: unknown }[]; nodes?: unknown[] }, parentId: string | undefined): Generator<string> {
    for (const n of conn.nodes ?? conn.edges!.map((e) => e.node)) yield* emit(n as Record<string, unknown>, parentId);
  };
  for (const v of Object.values(data)) if (isConnectionValue(v)) yield* each(v, undefined);
}

/** A small deterministic generator, so a seed gives the same orders every run. */
export function prng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

export type SeedOptions = {
  /** Orders within the window (plus 3% more placed before it, which a 12-month backfill must leave out). */
  count: number;
  /** Customers the orders are spread over (default count / 20, at least 1). */
  customers?: number;
  months?: number;
  seed?: number;
  now?: number;
};

/**
 * Orders of one shop: mostly paid; some pending or authorized (unpaid), voided,
 * partially refunded (one or two refunds), fully refunded, cancelled, test
 * orders and guest checkouts; placed over the last `months` months.
 */
export function generateOrders(
  opts: SeedOptions,
  customerIds: string[],
  ids: { order: () => number; refund: () => number },
  emailOf: (customerId: string) => string,
): FakeOrder[] {
  const rand = prng(opts.seed ?? 1);
  const now = opts.now ?? Date.now();
  const windowMs = (opts.months ?? 12) * 30 * 86_400_000;
  const out: FakeOrder[] = [];
  const total = opts.count + Math.ceil(opts.count * 0.03);
  for (let i = 0; i < total; i++) {
    const before = i >= opts.count;
    const createdMs = before ? now - windowMs - 7 * 86_400_000 - Math.floor(rand() * 60 * 86_400_000) : now - Math.floor(rand() * (windowMs - 86_400_000)) - 60_000;
    const legacyId = ids.order();
    const customerId = rand() < 0.01 ? null : customerIds[Math.floor(rand() * customerIds.length)]!;
    const subtotalCents = 1_000 + Math.floor(rand() * 40_000);
    const roll = rand();
    const o: FakeOrder = {
      id: `gid://shopify/Order/${legacyId}`,
      legacyId,
      createdAt: new Date(createdMs).toISOString(),
      cancelledAt: null,
      test: false,
      financialStatus: "PAID",
      email: customerId ? emailOf(customerId) : `guest${legacyId}@example.com`,
      customerId,
      subtotalCents,
      refunds: [],
    };
    const refund = (cents: number, afterMs: number): FakeRefund => {
      const id = ids.refund();
      // Shopify's total refunded carries tax (and maybe shipping) too; only the lines' subtotal counts back.
      return { id: `gid://shopify/Refund/${id}`, createdAt: new Date(Math.min(now, createdMs + afterMs)).toISOString(), lineSubtotalCents: cents, totalRefundedCents: Math.round(cents * 1.1) };
    };
    if (roll < 0.05) o.financialStatus = "PENDING";
    else if (roll < 0.08) o.financialStatus = "AUTHORIZED";
    else if (roll < 0.1) o.financialStatus = "VOIDED";
    else if (roll < 0.14) {
      o.financialStatus = "PARTIALLY_REFUNDED";
      const first = Math.floor(subtotalCents * (0.1 + rand() * 0.3));
      o.refunds.push(refund(first, 86_400_000));
      if (rand() < 0.4) o.refunds.push(refund(Math.floor((subtotalCents - first) * rand() * 0.5), 3 * 86_400_000));
    } else if (roll < 0.16) {
      o.financialStatus = "REFUNDED";
      o.refunds.push(refund(subtotalCents, 2 * 86_400_000));
    } else if (roll < 0.18) {
      o.financialStatus = rand() < 0.5 ? "VOIDED" : "REFUNDED";
      o.cancelledAt = new Date(Math.min(now, createdMs + 3_600_000)).toISOString();
      if (o.financialStatus === "REFUNDED") o.refunds.push(refund(subtotalCents, 3_600_000));
    } else if (roll < 0.19) o.test = true;
    else if (roll < 0.2) o.financialStatus = "PARTIALLY_PAID";
    out.push(o);
  }
  return out;
}

/** The orders/create webhook Shopify sent when the order was placed (REST shape; before any refund). */
export function orderCreatePayload(o: FakeOrder, customer: { id: string; email: string; firstName: string; lastName: string } | null, currency = "USD") {
  const amount = (o.subtotalCents / 100).toFixed(2);
  const set = { shop_money: { amount, currency_code: currency }, presentment_money: { amount, currency_code: currency } };
  return {
    id: o.legacyId,
    admin_graphql_api_id: o.id,
    created_at: o.createdAt,
    cancelled_at: null,
    test: o.test,
    currency,
    financial_status: o.financialStatus.toLowerCase(),
    email: o.email,
    current_subtotal_price_set: set,
    subtotal_price_set: set,
    customer: customer
      ? { id: Number(customer.id.split("/").pop()), admin_graphql_api_id: customer.id, email: customer.email, first_name: customer.firstName, last_name: customer.lastName }
      : null,
  };
}
