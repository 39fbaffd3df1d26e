// A stateful fake of Shopify's Admin GraphQL API (the version in app/integrations/shopify/api-version.ts), for tests and the sandbox.
//
// Faithful where our code depends on it:
// - POST /shops/<shop-domain>/admin/api/<version>/graphql.json (point the app's
//   SHOPIFY_ADMIN_ORIGIN at `<url>/shops/{shop}`); the real API identifies the
//   shop by host name, which a loopback fake cannot.
// - X-Shopify-Access-Token is checked per shop against the fake's token
//   endpoint (shopify-oauth.ts): an unknown, expired or migrated-away token gets
//   401 with Shopify's body. POST /shops/<shop>/admin/oauth/access_token issues
//   and refreshes tokens the way Shopify does.
// - Every operation is parsed, validated and its variables coerced against the
//   REAL Admin schema (@shopify/dev-mcp), then executed with graphql-js; invalid
//   ones get HTTP 200 with `errors` (Shopify's shape), never a guess.
// - Every answer carries extensions.cost with throttleStatus from a per-shop
//   leaky bucket; a request costing more than is available gets THROTTLED and
//   changes nothing.
// - Search is eventually consistent, like Shopify's index: with a search lag of
//   N ms (`searchLagMs`, `setSearchLag()`, or `POST /__fake/search-lag {"ms": N}`),
//   a customer or discount created or changed through the API shows in
//   `customers(query:)` / `discountNodes(query:)` only N ms later, as it was
//   then. Reads by id and `customerSet`'s identifier lookup are consistent.
//   Records added directly by a test or the seed (`addCustomer`) are indexed
//   at once: they stand for data that existed before.
// - flowTriggerReceive checks the payload against the app's flow_trigger
//   extensions (shopify-flow.ts) and records what it accepts:
//   `flowTriggers(shop)`, `GET /__fake/flow-triggers`.
// Query cost is approximated (documented in sandbox/fakes/README.md): a mutation
// costs 10; a query costs 1 per object field, multiplied by `first` under connections.
import { createHash } from "node:crypto";
import {
  GraphQLError,
  getNamedType,
  isCompositeType,
  isObjectType,
  isInterfaceType,
  Kind,
  parse,
  validate,
  execute,
  type DocumentNode,
  type GraphQLCompositeType,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  type SelectionSetNode,
  type OperationDefinitionNode,
} from "graphql";
import { startFakeServer, type FakeServer, type Handled } from "./http";
import { ADMIN_API_VERSION } from "../../app/integrations/shopify/api-version";
import { ADMIN_SCHEMA, loadShopifySchema } from "./shopify-schema";
import { createFakeOAuth, type FakeOAuth, type OAuthOptions } from "./shopify-oauth";
import { checkFlowPayload, loadFlowTriggers, type FlowTriggerDefinition, type ReceivedFlowTrigger } from "./shopify-flow";
import { bulkLines, bulkQueryProblem, generateOrders, netPaidCents, orderFilter, orderView, type FakeOrder, type SeedOptions } from "./shopify-bulk";

export type FakeShopifyOptions = {
  port?: number;
  bucketSize?: number;
  restoreRate?: number;
  now?: () => number;
  functionHandles?: string[];
  /** How long a write takes to reach search (default 0: at once). */
  searchLagMs?: number;
  /** The app's Flow triggers (default: the repository's extensions/flow-* files). */
  flowTriggers?: Map<string, FlowTriggerDefinition>;
  /** Token endpoint settings (client credentials, token lifetimes). */
  oauth?: OAuthOptions;
  /** How long a bulk query runs before it completes (default 200 ms). */
  bulkDurationMs?: number;
  /** Called when a bulk operation finishes (the sandbox sends bulk_operations/finish from it). */
  onBulkFinish?: (domain: string, op: { admin_graphql_api_id: string; status: string; error_code: string | null; type: string; created_at: string; completed_at: string }) => void;
  /** Each shop's `accessToken` is registered as a non-expiring (legacy) offline token. */
  shops?: { domain: string; accessToken: string; name?: string; currencyCode?: string; ianaTimezone?: string }[];
};

type Metafield = { id: string; namespace: string; key: string; type: string; value: string; compareDigest: string; updatedAt: string };
/** What search sees of a record: snapshots, each visible from `at` + the lag. */
type Indexed<T> = { index: { at: number; view: T }[] };
type Owner = { metafields: Map<string, Metafield> };
type CustomerSearchView = { firstName: string; lastName: string; email: string; tags: string[] };
export type FakeCustomer = Owner &
  Indexed<CustomerSearchView> & { id: string; firstName: string; lastName: string; email: string; tags: string[]; createdAt: string };
type DiscountSearchView = { title: string; tags: string[]; status: string };
export type FakeDiscount = Owner &
  Indexed<DiscountSearchView> & {
  id: string;
  title: string;
  functionHandle: string;
  discountClasses: string[];
  startsAt: string;
  status: string;
  tags: string[];
  combinesWith: unknown;
};
export type FakeBulkOperation = {
  id: string;
  query: string;
  status: "CREATED" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELED";
  createdAt: number;
  completeAt: number;
  completedAt: number | null;
  lines: string[];
  rootObjectCount: number;
};
type ShopState = {
  domain: string;
  orders: FakeOrder[];
  bulkOperations: FakeBulkOperation[];
  name: string;
  currencyCode: string;
  ianaTimezone: string;
  customers: Map<string, FakeCustomer>;
  discounts: Map<string, FakeDiscount>;
  bucket: { available: number; at: number };
  /** The Flow triggers flowTriggerReceive accepted, in order. */
  flowTriggers: ReceivedFlowTrigger[];
};

const PATH = new RegExp(`^/shops/([^/]+)/admin/api/${ADMIN_API_VERSION}/graphql\\.json$`);
const TOKEN_PATH = /^\/shops\/([^/]+)\/admin\/oauth\/access_token$/;

function digest(value: string) {
  return createHash("sha256").update(value).digest("hex");
}

function operationOf(body: unknown): string | undefined {
  if (!body || typeof body !== "object") return undefined;
  const b = body as { operationName?: string; query?: string };
  return b.operationName ?? /(?:query|mutation)\s+(\w+)/.exec(b.query ?? "")?.[1];
}

/** Splits a Shopify search string into `field:value` filters and free-text terms. */
function parseSearch(query: string): { filters: [string, string][]; terms: string[] } {
  const filters: [string, string][] = [];
  const terms: string[] = [];
  for (const m of query.matchAll(/(\w+):(?:"([^"]*)"|'([^']*)'|(\S+))|"([^"]*)"|(\S+)/g)) {
    if (m[1]) filters.push([m[1].toLowerCase(), (m[2] ?? m[3] ?? m[4] ?? "").toLowerCase()]);
    else terms.push((m[5] ?? m[6] ?? "").toLowerCase());
  }
  return { filters, terms };
}

export type FakeShopify = FakeServer & {
  schema: GraphQLSchema;
  oauth: FakeOAuth;
  addShop(shop: { domain: string; accessToken: string; name?: string }): void;
  shop(domain: string): ShopState;
  addCustomer(domain: string, c: { email: string; firstName?: string; lastName?: string; tags?: string[] }): FakeCustomer;
  /** The `$app` metafield value of a customer, parsed, or null. */
  appMetafield(domain: string, ownerId: string, key: string): unknown;
  setBucket(opts: { bucketSize?: number; restoreRate?: number; available?: number }): void;
  /** The Flow triggers the shop accepted, in order (`GET /__fake/flow-triggers` lists every shop's). */
  flowTriggers(domain: string): ReceivedFlowTrigger[];
  /** Adds orders (and their customers) to a shop; answers the orders added. */
  seedOrders(domain: string, opts: SeedOptions): FakeOrder[];
  /** The fake's own sum of net paid spend of the orders placed at or after `since` (ADR 0019's rule). */
  netPaidCents(domain: string, since: Date): number;
  /** How long the next bulk queries run. */
  setBulkDuration(ms: number): void;
  /** Search shows writes this many ms after they happen (0: at once). */
  setSearchLag(ms: number): void;
  throttleStatus(domain: string): { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
};

export async function createFakeShopifyAdmin(opts: FakeShopifyOptions = {}): Promise<FakeShopify> {
  const schema = loadShopifySchema(ADMIN_SCHEMA);
  const now = opts.now ?? Date.now;
  let bucketSize = opts.bucketSize ?? 2000;
  let restoreRate = opts.restoreRate ?? 100;
  const functionHandles = new Set(opts.functionHandles ?? ["club-tiers-discount"]);
  const flowTriggers = opts.flowTriggers ?? loadFlowTriggers();
  const shops = new Map<string, ShopState>();
  const oauth = createFakeOAuth({ now, ...opts.oauth });
  let nextId = 1000;
  let searchLagMs = opts.searchLagMs ?? 0;

  // The search index: every write appends a snapshot; search reads the newest
  // snapshot old enough to have been indexed.
  const customerSnapshot = (c: FakeCustomer): CustomerSearchView => ({ firstName: c.firstName, lastName: c.lastName, email: c.email, tags: [...c.tags] });
  const discountSnapshot = (d: FakeDiscount): DiscountSearchView => ({ title: d.title, tags: [...d.tags], status: d.status });
  const reindex = <T>(record: Indexed<T>, view: T, at = now()) => {
    record.index.push({ at, view });
  };
  const searchable = <T>(record: Indexed<T>): T | undefined => {
    const cutoff = now() - searchLagMs;
    let seen: T | undefined;
    for (const e of record.index) if (e.at <= cutoff) seen = e.view;
    return seen;
  };

  const addShop = (s: { domain: string; accessToken: string; name?: string; currencyCode?: string; ianaTimezone?: string }) => {
    oauth.addLegacyToken(s.domain, s.accessToken);
    shops.set(s.domain, {
      domain: s.domain,
      name: s.name ?? s.domain.split(".")[0]!,
      currencyCode: s.currencyCode ?? "USD",
      ianaTimezone: s.ianaTimezone ?? "America/Los_Angeles",
      customers: new Map(),
      discounts: new Map(),
      orders: [],
      bulkOperations: [],
      bucket: { available: bucketSize, at: now() },
      flowTriggers: [],
    });
  };
  for (const s of opts.shops ?? []) addShop(s);

  const refill = (shop: ShopState) => {
    const t = now();
    shop.bucket.available = Math.min(bucketSize, shop.bucket.available + (restoreRate * (t - shop.bucket.at)) / 1000);
    shop.bucket.at = t;
  };
  const throttleStatus = (shop: ShopState) => {
    refill(shop);
    return { maximumAvailable: bucketSize, currentlyAvailable: Math.floor(shop.bucket.available), restoreRate };
  };

  const metafieldView = (m: Metafield) => ({
    __typename: "Metafield",
    id: m.id,
    namespace: m.namespace,
    key: m.key,
    type: m.type,
    value: m.value,
    jsonValue: m.type === "json" ? JSON.parse(m.value) : m.value,
    compareDigest: m.compareDigest,
    updatedAt: m.updatedAt,
  });
  const ownerMetafield = (o: Owner) => (args: { namespace?: string; key: string }) => {
    const m = o.metafields.get(`${args.namespace ?? "$app"}.${args.key}`);
    return m ? metafieldView(m) : null;
  };
  const customerView = (c: FakeCustomer) => ({
    __typename: "Customer",
    id: c.id,
    firstName: c.firstName || null,
    lastName: c.lastName || null,
    displayName: `${c.firstName} ${c.lastName}`.trim() || c.email,
    email: c.email,
    defaultEmailAddress: { __typename: "CustomerEmailAddress", emailAddress: c.email },
    tags: [...c.tags],
    createdAt: c.createdAt,
    metafield: ownerMetafield(c),
  });
  const discountView = (d: FakeDiscount) => ({
    __typename: "DiscountNode",
    id: d.id,
    discount: {
      __typename: "DiscountAutomaticApp",
      title: d.title,
      status: d.status,
      discountId: d.id,
      startsAt: d.startsAt,
      discountClasses: d.discountClasses,
      appDiscountType: { __typename: "AppDiscountType", functionId: `fn-${d.functionHandle}`, title: d.functionHandle },
    },
    metafield: ownerMetafield(d),
  });
  const connection = <T>(items: T[], first: number) => {
    const nodes = items.slice(0, first);
    return {
      nodes,
      edges: nodes.map((node, i) => ({ node, cursor: String(i) })),
      pageInfo: { hasNextPage: items.length > first, hasPreviousPage: false, startCursor: null, endCursor: null },
    };
  };
  const findOwner = (shop: ShopState, id: string): Owner | undefined => shop.customers.get(id) ?? shop.discounts.get(id);

  const createCustomer = (shop: ShopState, c: { email: string; firstName?: string; lastName?: string; tags?: string[] }, indexedAt = now()) => {
    const customer: FakeCustomer = {
      id: `gid://shopify/Customer/${nextId++}`,
      email: c.email.toLowerCase(),
      firstName: c.firstName ?? "",
      lastName: c.lastName ?? "",
      tags: [...(c.tags ?? [])],
      createdAt: new Date(now()).toISOString(),
      metafields: new Map(),
      index: [],
    };
    reindex(customer, customerSnapshot(customer), indexedAt);
    shop.customers.set(customer.id, customer);
    return customer;
  };

  let bulkDurationMs = opts.bulkDurationMs ?? 200;
  // eslint-disable-next-line prefer-const -- assigned once the server listens; the bulk views read its URL later
  let server: FakeServer;
  // The status a poll sees: by the clock, so polling needs no timer of ours;
  // the finish callback is the webhook, sent when the operation completes.
  const bulkStatus = (op: FakeBulkOperation) => {
    if (op.status === "RUNNING" && now() >= op.completeAt) {
      op.status = "COMPLETED";
      op.completedAt = op.completeAt;
    }
    return op;
  };
  const bulkView = (shop: ShopState, op: FakeBulkOperation) => {
    bulkStatus(op);
    const done = op.status === "COMPLETED";
    const share = done ? 1 : Math.min(1, Math.max(0, (now() - op.createdAt) / Math.max(1, op.completeAt - op.createdAt)));
    return {
      __typename: "BulkOperation",
      id: op.id,
      type: "QUERY",
      status: op.status,
      query: op.query,
      errorCode: null,
      createdAt: new Date(op.createdAt).toISOString(),
      completedAt: op.completedAt ? new Date(op.completedAt).toISOString() : null,
      objectCount: String(Math.floor(op.lines.length * share)),
      rootObjectCount: String(Math.floor(op.rootObjectCount * share)),
      fileSize: done ? String(op.lines.reduce((n, l) => n + l.length + 1, 0)) : null,
      url: done && op.lines.length ? `${server.url}/__bulk/${encodeURIComponent(shop.domain)}/${op.id.split("/").pop()}.jsonl` : null,
      partialDataUrl: null,
    };
  };
  const runBulkQuery = async (shop: ShopState, query: string) => {
    const problem = bulkQueryProblem(schema, query);
    if (problem) return { bulkOperation: null, userErrors: [{ field: ["query"], message: problem, code: "INVALID" }] };
    if (shop.bulkOperations.some((o) => bulkStatus(o).status === "RUNNING" || o.status === "CREATED")) {
      return { bulkOperation: null, userErrors: [{ field: null, message: "A bulk query operation for this app and shop is already in progress.", code: "OPERATION_IN_PROGRESS" }] };
    }
    // Read now (what Shopify reads while it runs is close enough for the app:
    // orders placed meanwhile reach it by webhook).
    const result = await execute({ schema, document: parse(query), rootValue: rootFor(shop, { bulk: true }), fieldResolver });
    if (result.errors?.length) return { bulkOperation: null, userErrors: [{ field: ["query"], message: result.errors.map((e) => e.message).join("; "), code: "INVALID" }] };
    const lines = [...bulkLines((result.data ?? {}) as Record<string, unknown>)];
    const t = now();
    const op: FakeBulkOperation = {
      id: `gid://shopify/BulkOperation/${nextId++}`,
      query,
      status: "RUNNING",
      createdAt: t,
      completeAt: t + bulkDurationMs,
      completedAt: null,
      lines,
      rootObjectCount: lines.filter((l) => !l.includes('"__parentId"')).length,
    };
    shop.bulkOperations.push(op);
    const finish = () => {
      bulkStatus(op);
      if (op.status !== "COMPLETED") return void setTimeout(finish, Math.max(5, op.completeAt - now())).unref();
      opts.onBulkFinish?.(shop.domain, {
        admin_graphql_api_id: op.id,
        status: "completed",
        error_code: null,
        type: "query",
        created_at: new Date(op.createdAt).toISOString(),
        completed_at: new Date(op.completedAt!).toISOString(),
      });
    };
    if (opts.onBulkFinish) setTimeout(finish, bulkDurationMs).unref();
    return { bulkOperation: bulkView(shop, op), userErrors: [] };
  };

  const rootFor = (shop: ShopState, mode: { bulk?: boolean } = {}) => ({
    shop: () => ({
      __typename: "Shop",
      id: `gid://shopify/Shop/1`,
      name: shop.name,
      myshopifyDomain: shop.domain,
      currencyCode: shop.currencyCode,
      ianaTimezone: shop.ianaTimezone,
    }),
    orders: ({ first = 50, query }: { first?: number; query?: string }) => {
      const keep = orderFilter(query);
      const all = shop.orders.filter(keep).sort((a, b) => a.legacyId - b.legacyId);
      const views = (list: FakeOrder[]) => list.map((o) => orderView(o, shop.currencyCode, (id) => (shop.customers.get(id) ? customerView(shop.customers.get(id)!) : null)));
      // A bulk query reads every order; a plain one a page.
      return mode.bulk ? { edges: views(all).map((node) => ({ node })) } : connection(views(all.slice(0, first + 1)), first);
    },
    bulkOperationRunQuery: ({ query }: { query: string; groupObjects: boolean }) => runBulkQuery(shop, query),
    bulkOperation: ({ id }: { id: string }) => {
      const op = shop.bulkOperations.find((o) => o.id === id);
      return op ? bulkView(shop, op) : null;
    },
    bulkOperations: ({ first = 50, reverse, query }: { first?: number; reverse?: boolean; query?: string }) => {
      if (query && !/^operation_type:query$/i.test(query.trim())) throw new GraphQLError(`fake: bulkOperations(query:) supports operation_type:query only`);
      const list = [...shop.bulkOperations].sort((a, b) => a.createdAt - b.createdAt);
      if (reverse) list.reverse();
      return connection(list.map((op) => bulkView(shop, op)), first);
    },
    currentBulkOperation: () => {
      const op = shop.bulkOperations.at(-1);
      return op ? bulkView(shop, op) : null;
    },
    node: ({ id }: { id: string }) => {
      const op = shop.bulkOperations.find((o) => o.id === id);
      if (op) return bulkView(shop, op);
      const c = shop.customers.get(id);
      return c ? customerView(c) : null;
    },
    customer: ({ id }: { id: string }) => {
      const c = shop.customers.get(id);
      return c ? customerView(c) : null;
    },
    customers: ({ first = 50, query = "" }: { first?: number; query?: string }) => {
      const { filters, terms } = parseSearch(query ?? "");
      const matches = [...shop.customers.values()].filter((record) => {
        const c = searchable(record);
        if (!c) return false;
        for (const [field, value] of filters) {
          if (field === "email" && c.email.toLowerCase() !== value) return false;
          if (field === "tag" && !c.tags.map((t) => t.toLowerCase()).includes(value)) return false;
          if (field === "first_name" && c.firstName.toLowerCase() !== value) return false;
          if (field === "last_name" && c.lastName.toLowerCase() !== value) return false;
        }
        const hay = `${c.firstName} ${c.lastName} ${c.email}`.toLowerCase();
        return terms.every((t) => hay.includes(t));
      });
      return connection(matches.map(customerView), first);
    },
    discountNode: ({ id }: { id: string }) => {
      const d = shop.discounts.get(id);
      return d ? discountView(d) : null;
    },
    discountNodes: ({ first = 50, query = "" }: { first?: number; query?: string }) => {
      const { filters, terms } = parseSearch(query ?? "");
      const matches = [...shop.discounts.values()].filter((record) => {
        const d = searchable(record);
        if (!d) return false;
        for (const [field, value] of filters) {
          if (field === "title" && !d.title.toLowerCase().includes(value)) return false;
          if (field === "tag" && !d.tags.map((t) => t.toLowerCase()).includes(value)) return false;
          if (field === "status" && d.status.toLowerCase() !== value) return false;
        }
        return terms.every((t) => d.title.toLowerCase().includes(t));
      });
      return connection(matches.map(discountView), first);
    },
    customerCreate: ({ input }: { input: { email?: string; firstName?: string; lastName?: string; tags?: string[] } }) => {
      const email = (input.email ?? "").trim().toLowerCase();
      if (!email) return { customer: null, userErrors: [{ field: ["email"], message: "Email can't be blank" }] };
      if ([...shop.customers.values()].some((c) => c.email === email)) {
        return { customer: null, userErrors: [{ field: ["email"], message: "Email has already been taken" }] };
      }
      const c = createCustomer(shop, { email, firstName: input.firstName, lastName: input.lastName, tags: input.tags });
      return { customer: customerView(c), userErrors: [] };
    },
    // Create, update by id, or upsert by email (the unique key), as documented
    // for 2026-10. The identifier lookup is a read of the record itself, not of
    // the search index, so it sees a customer created a moment ago.
    customerSet: ({
      identifier,
      input,
    }: {
      identifier?: { id?: string; email?: string; phone?: string; customId?: unknown } | null;
      input: { id?: string; email?: string | null; firstName?: string | null; lastName?: string | null; tags?: string[] | null };
    }) => {
      const fail = (field: string[], message: string, code: string) => ({ customer: null, userErrors: [{ field, message, code }] });
      const email = input.email?.trim().toLowerCase();
      const byEmail = (e: string) => [...shop.customers.values()].find((c) => c.email === e);
      let target: FakeCustomer | undefined;
      if (identifier) {
        if (input.id) return fail(["input", "id"], "The id field is not allowed if identifier is provided.", "ID_NOT_ALLOWED");
        if (identifier.phone !== undefined || identifier.customId !== undefined) throw new GraphQLError("fake: customerSet supports the id and email identifiers only");
        if (identifier.id !== undefined) {
          target = shop.customers.get(identifier.id);
          if (!target) return fail(["identifier", "id"], "Resource matching the identifier was not found.", "NOT_FOUND");
        } else {
          const key = (identifier.email ?? "").trim().toLowerCase();
          if (!email) return fail(["input", "email"], "The input field corresponding to the identifier is required.", "MISSING_FIELD_REQUIRED");
          if (email !== key) return fail(["input", "email"], "The identifier value does not match the value of the corresponding field in the input.", "INPUT_MISMATCH");
          target = byEmail(key);
        }
      }
      if (email !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) return fail(["input", "email"], "Email is invalid", "INVALID");
      if (email && byEmail(email) && byEmail(email) !== target) return fail(["input", "email"], "Email has already been taken", "TAKEN");
      if (!target) {
        if (!email) return fail(["input", "email"], "Email can't be blank", "BLANK");
        const c = createCustomer(shop, { email, firstName: input.firstName ?? undefined, lastName: input.lastName ?? undefined, tags: input.tags ?? undefined });
        return { customer: customerView(c), userErrors: [] };
      }
      // Omitted fields are left as they are; given ones are set (tags overwrite).
      if (email) target.email = email;
      if (input.firstName != null) target.firstName = input.firstName;
      if (input.lastName != null) target.lastName = input.lastName;
      if (input.tags != null) target.tags = [...input.tags];
      reindex(target, customerSnapshot(target));
      return { customer: customerView(target), userErrors: [] };
    },
    tagsAdd: ({ id, tags }: { id: string; tags: string[] }) => {
      const c = shop.customers.get(id);
      if (!c) return { node: null, userErrors: [{ field: ["id"], message: "Resource not found" }] };
      for (const t of tags.map((t) => t.trim()).filter(Boolean)) if (!c.tags.includes(t)) c.tags.push(t);
      reindex(c, customerSnapshot(c));
      return { node: { __typename: "Customer", id }, userErrors: [] };
    },
    tagsRemove: ({ id, tags }: { id: string; tags: string[] }) => {
      const c = shop.customers.get(id);
      if (!c) return { node: null, userErrors: [{ field: ["id"], message: "Resource not found" }] };
      c.tags = c.tags.filter((t) => !tags.includes(t));
      reindex(c, customerSnapshot(c));
      return { node: { __typename: "Customer", id }, userErrors: [] };
    },
    metafieldsSet: ({ metafields }: { metafields: { ownerId: string; namespace?: string; key: string; type?: string; value: string; compareDigest?: string | null }[] }) => {
      // All-or-nothing, like Shopify: validate every input before writing any.
      const userErrors: { field: string[]; message: string; code: string }[] = [];
      metafields.forEach((m, i) => {
        const owner = findOwner(shop, m.ownerId);
        const current = owner?.metafields.get(`${m.namespace ?? "$app"}.${m.key}`);
        if (!owner) userErrors.push({ field: ["metafields", String(i), "ownerId"], message: "Owner does not exist.", code: "INVALID" });
        else if (!m.type && !current) userErrors.push({ field: ["metafields", String(i), "type"], message: "Type can't be blank", code: "BLANK" });
        else if ((m.type ?? current?.type) === "json") {
          try {
            JSON.parse(m.value);
          } catch {
            userErrors.push({ field: ["metafields", String(i), "value"], message: "Value is invalid JSON", code: "INVALID_VALUE" });
          }
        }
        if ("compareDigest" in m && m.compareDigest !== undefined && (m.compareDigest ?? null) !== (current?.compareDigest ?? null)) {
          userErrors.push({
            field: ["metafields", String(i)],
            message: "The resource has been updated since it was loaded. Try again with an updated `compareDigest` value.",
            code: "STALE_OBJECT",
          });
        }
      });
      if (userErrors.length) return { metafields: null, userErrors };
      const written = metafields.map((m) => {
        const owner = findOwner(shop, m.ownerId)!;
        const k = `${m.namespace ?? "$app"}.${m.key}`;
        const current = owner.metafields.get(k);
        const next: Metafield = {
          id: current?.id ?? `gid://shopify/Metafield/${nextId++}`,
          namespace: m.namespace ?? "$app",
          key: m.key,
          type: m.type ?? current!.type,
          value: m.value,
          compareDigest: digest(`${m.value}:${nextId++}`),
          updatedAt: new Date(now()).toISOString(),
        };
        owner.metafields.set(k, next);
        return metafieldView(next);
      });
      return { metafields: written, userErrors: [] };
    },
    metafieldsDelete: ({ metafields }: { metafields: { ownerId: string; namespace: string; key: string }[] }) => {
      const deleted = metafields.map((m) => {
        const owner = findOwner(shop, m.ownerId);
        const existed = owner?.metafields.delete(`${m.namespace}.${m.key}`);
        return existed ? { __typename: "MetafieldIdentifier", ownerId: m.ownerId, namespace: m.namespace, key: m.key } : null;
      });
      return { deletedMetafields: deleted, userErrors: [] };
    },
    flowTriggerReceive: ({ handle, payload, body }: { handle?: string | null; payload?: unknown; body?: string | null }) => {
      if (body != null) return { userErrors: [{ field: ["body"], message: "body is deprecated: send handle and payload" }] };
      const userErrors = checkFlowPayload(flowTriggers, handle, payload, (id) => shop.customers.has(`gid://shopify/Customer/${id}`));
      if (userErrors.length) return { userErrors };
      shop.flowTriggers.push({ shop: shop.domain, handle: handle!, payload: payload as Record<string, unknown>, at: now() });
      return { userErrors: [] };
    },
    discountAutomaticAppCreate: ({ automaticAppDiscount: input }: { automaticAppDiscount: Record<string, unknown> }) => {
      const handle = String(input.functionHandle ?? "");
      if (!functionHandles.has(handle)) {
        return {
          automaticAppDiscount: null,
          userErrors: [{ field: ["automaticAppDiscount", "functionHandle"], message: `Function ${handle} not found.`, code: "INVALID" }],
        };
      }
      if (!input.title) return { automaticAppDiscount: null, userErrors: [{ field: ["automaticAppDiscount", "title"], message: "Title can't be blank", code: "BLANK" }] };
      const d: FakeDiscount = {
        id: `gid://shopify/DiscountAutomaticNode/${nextId++}`,
        title: String(input.title),
        functionHandle: handle,
        discountClasses: (input.discountClasses as string[] | undefined) ?? [],
        startsAt: String(input.startsAt ?? new Date(now()).toISOString()),
        status: "ACTIVE",
        tags: (input.tags as string[] | undefined) ?? [],
        combinesWith: input.combinesWith ?? null,
        metafields: new Map(),
        index: [],
      };
      reindex(d, discountSnapshot(d));
      for (const m of (input.metafields as { namespace?: string; key: string; type: string; value: string }[] | undefined) ?? []) {
        d.metafields.set(`${m.namespace ?? "$app"}.${m.key}`, {
          id: `gid://shopify/Metafield/${nextId++}`,
          namespace: m.namespace ?? "$app",
          key: m.key,
          type: m.type,
          value: m.value,
          compareDigest: digest(`${m.value}:${nextId++}`),
          updatedAt: new Date(now()).toISOString(),
        });
      }
      shop.discounts.set(d.id, d);
      return {
        automaticAppDiscount: { __typename: "DiscountAutomaticApp", discountId: d.id, title: d.title, status: d.status, startsAt: d.startsAt },
        userErrors: [],
      };
    },
  });

  const fieldResolver: GraphQLFieldResolver<Record<string, unknown>, unknown> = (source, args, _ctx, info) => {
    const value = source?.[info.fieldName];
    const isRoot = info.parentType === schema.getQueryType() || info.parentType === schema.getMutationType();
    if (value === undefined) {
      if (isRoot) throw new GraphQLError(`fake: ${info.fieldName} is not implemented`);
      return null;
    }
    return typeof value === "function" ? (value as (a: unknown) => unknown)(args) : value;
  };

  const cost = (doc: DocumentNode, op: OperationDefinitionNode, variables: Record<string, unknown>): number => {
    if (op.operation === "mutation") return 10;
    const fragments = new Map(doc.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
    const walk = (set: SelectionSetNode, parent: GraphQLCompositeType): number => {
      let total = 0;
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          if (!isObjectType(parent) && !isInterfaceType(parent)) continue;
          const def = parent.getFields()[sel.name.value];
          if (!def) continue;
          const named = getNamedType(def.type);
          if (!isCompositeType(named) || !sel.selectionSet) continue;
          const firstArg = sel.arguments?.find((a) => a.name.value === "first");
          let first = 1;
          if (firstArg?.value.kind === Kind.INT) first = Number(firstArg.value.value);
          if (firstArg?.value.kind === Kind.VARIABLE) first = Number(variables[firstArg.value.name.value] ?? 1);
          total += (named.name.endsWith("Connection") ? 2 : 1) + first * walk(sel.selectionSet, named);
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          const t = sel.typeCondition ? (schema.getType(sel.typeCondition.name.value) as GraphQLCompositeType) : parent;
          total += walk(sel.selectionSet, t);
        } else {
          const f = fragments.get(sel.name.value);
          if (f) total += walk(f.selectionSet, schema.getType(f.typeCondition.name.value) as GraphQLCompositeType);
        }
      }
      return total;
    };
    return Math.max(1, walk(op.selectionSet, schema.getQueryType()!));
  };

  const errorsBody = (errors: readonly GraphQLError[]) => ({
    errors: errors.map((e) => ({
      message: e.message,
      ...(e.locations ? { locations: e.locations } : {}),
      ...(e.path ? { path: e.path } : {}),
      extensions: {
        code: /^Cannot query field/.test(e.message)
          ? "undefinedField"
          : /^Variable "\$/.test(e.message)
            ? "variableMismatch"
            : /^Syntax Error/.test(e.message)
              ? "parseError"
              : "invalid",
      },
    })),
  });

  const handle = async ({ method, url, headers, body }: Parameters<Parameters<typeof startFakeServer>[0]>[0]): Promise<Handled> => {
    const file = /^\/__bulk\/([^/]+)\/(\d+)\.jsonl$/.exec(url.pathname);
    if (file && method === "GET") {
      const op = shops.get(decodeURIComponent(file[1]!))?.bulkOperations.find((o) => o.id === `gid://shopify/BulkOperation/${file[2]}`);
      if (!op || bulkStatus(op).status !== "COMPLETED") return { status: 404, body: { errors: "Not Found" } };
      return { status: 200, body: null, headers: { "Content-Type": "application/jsonl" }, stream: (function* () { for (const l of op.lines) yield `${l}\n`; })() };
    }
    const tokenPath = TOKEN_PATH.exec(url.pathname);
    if (tokenPath && method === "POST") {
      const domain = decodeURIComponent(tokenPath[1]!);
      if (!shops.has(domain)) return { status: 404, body: { errors: "Not Found" } };
      return oauth.handleTokenRequest(domain, body);
    }
    const m = PATH.exec(url.pathname);
    if (!m || method !== "POST") return { status: 404, body: { errors: "Not Found" } };
    const shop = shops.get(decodeURIComponent(m[1]!));
    const token = headers["x-shopify-access-token"];
    if (!shop || !oauth.accepts(shop.domain, typeof token === "string" ? token : undefined)) {
      return { status: 401, body: { errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" } };
    }
    if (!body || typeof body !== "object" || typeof (body as { query?: unknown }).query !== "string") {
      return { status: 400, body: { errors: { query: "Required parameter missing or invalid" } } };
    }
    const { query, variables = {}, operationName } = body as { query: string; variables?: Record<string, unknown>; operationName?: string };
    let doc: DocumentNode;
    try {
      doc = parse(query);
    } catch (e) {
      return { status: 200, body: errorsBody([e as GraphQLError]) };
    }
    const invalid = validate(schema, doc);
    if (invalid.length) return { status: 200, body: errorsBody(invalid) };
    const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const op = operationName ? ops.find((o) => o.name?.value === operationName) : ops[0];
    if (!op) return { status: 200, body: errorsBody([new GraphQLError("Operation not found")]) };

    const requested = cost(doc, op, variables ?? {});
    refill(shop);
    if (requested > shop.bucket.available) {
      return {
        status: 200,
        body: {
          errors: [{ message: "Throttled", extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/rate-limits" } }],
          extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: throttleStatus(shop) } },
        },
      };
    }
    const result = await execute({ schema, document: doc, variableValues: variables ?? {}, operationName, rootValue: rootFor(shop), fieldResolver });
    if (result.errors?.some((e) => /^Variable "\$/.test(e.message))) {
      return { status: 200, body: errorsBody(result.errors) };
    }
    shop.bucket.available -= requested;
    return {
      status: 200,
      body: {
        ...(result.data ? { data: result.data } : {}),
        ...(result.errors ? errorsBody(result.errors) : {}),
        extensions: { cost: { requestedQueryCost: requested, actualQueryCost: requested, throttleStatus: throttleStatus(shop) } },
      },
    };
  };

  server = await startFakeServer(handle, {
    port: opts.port,
    label: (path, body) => (TOKEN_PATH.test(path) ? `oauth:${(body as { grant_type?: string } | undefined)?.grant_type ?? "?"}` : operationOf(body)),
    authErrorBody: { errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" },
    serverErrorBody: { errors: "Internal error. Looks like something went wrong on our end." },
    control: ({ method, what, raw }) => {
      if (what === "flow-triggers" && method === "GET") return { status: 200, body: { triggers: [...shops.values()].flatMap((s) => s.flowTriggers) } };
      if (what === "orders" && method === "POST") return addOrdersControl(raw);
      if (what !== "search-lag") return undefined;
      if (method === "POST") {
        let ms: unknown;
        try {
          ms = (JSON.parse(raw || "{}") as { ms?: unknown }).ms;
        } catch {
          /* answered below */
        }
        if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) return { status: 400, body: { message: 'send {"ms": <milliseconds, 0 or more>}' } };
        searchLagMs = ms;
      }
      return { status: 200, body: { ms: searchLagMs } };
    },
    onReset: () => {
      searchLagMs = opts.searchLagMs ?? 0;
      for (const s of shops.values()) {
        s.customers.clear();
        s.discounts.clear();
        s.flowTriggers = [];
        s.orders = [];
        s.bulkOperations = [];
        s.bucket = { available: bucketSize, at: now() };
      }
    },
  });

  // POST /__fake/orders {"shop", "orders": [{"email", "subtotal": "650.00", "daysAgo": 30, "financialStatus": "PAID"}]}:
  // past orders of a customer (found by email, else created), for the order backfill to read.
  function addOrdersControl(raw: string): Handled {
    let body: { shop?: string; orders?: { email?: string; subtotal?: string; daysAgo?: number; financialStatus?: string }[] };
    try {
      body = JSON.parse(raw || "{}");
    } catch {
      return { status: 400, body: { message: "send JSON" } };
    }
    const shop = body.shop ? shops.get(body.shop) : undefined;
    if (!shop || !Array.isArray(body.orders)) return { status: 400, body: { message: 'send {"shop": "<domain>", "orders": [{"email", "subtotal", "daysAgo"}]}' } };
    const added = [];
    for (const o of body.orders) {
      const email = String(o.email ?? "").toLowerCase();
      const customer = [...shop.customers.values()].find((c) => c.email === email) ?? createCustomer(shop, { email }, -Infinity);
      const legacyId = nextId++;
      const order: FakeOrder = {
        id: `gid://shopify/Order/${legacyId}`,
        legacyId,
        createdAt: new Date(now() - (o.daysAgo ?? 30) * 86_400_000).toISOString(),
        cancelledAt: null,
        test: false,
        financialStatus: o.financialStatus ?? "PAID",
        email,
        customerId: customer.id,
        subtotalCents: Math.round(Number(o.subtotal ?? "0") * 100),
        refunds: [],
      };
      shop.orders.push(order);
      added.push(order.id);
    }
    return { status: 200, body: { added } };
  }

  const api: FakeShopify = Object.assign(server, {
    schema,
    oauth,
    addShop,
    shop(domain: string) {
      const s = shops.get(domain);
      if (!s) throw new Error(`fake shopify: unknown shop ${domain}`);
      return s;
    },
    addCustomer(domain: string, c: { email: string; firstName?: string; lastName?: string; tags?: string[] }) {
      // Pre-existing data: already in the search index.
      return createCustomer(api.shop(domain), c, -Infinity);
    },
    appMetafield(domain: string, ownerId: string, key: string) {
      const shop = api.shop(domain);
      const m = findOwner(shop, ownerId)?.metafields.get(`$app.${key}`);
      return m ? JSON.parse(m.value) : null;
    },
    seedOrders(domain: string, o: SeedOptions) {
      const shop = api.shop(domain);
      const count = Math.max(1, o.customers ?? Math.ceil(o.count / 20));
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const n = nextId;
        ids.push(createCustomer(shop, { email: `buyer${n}@${domain.split(".")[0]}.example`, firstName: "Buyer", lastName: String(n) }, -Infinity).id);
      }
      const orders = generateOrders({ now: now(), ...o }, ids, { order: () => nextId++, refund: () => nextId++ }, (id) => shop.customers.get(id)!.email);
      shop.orders.push(...orders);
      return orders;
    },
    netPaidCents(domain: string, since: Date) {
      return netPaidCents(api.shop(domain).orders, since);
    },
    setBulkDuration(ms: number) {
      bulkDurationMs = ms;
    },
    flowTriggers(domain: string) {
      return api.shop(domain).flowTriggers;
    },
    setSearchLag(ms: number) {
      searchLagMs = ms;
    },
    setBucket(b: { bucketSize?: number; restoreRate?: number; available?: number }) {
      if (b.bucketSize !== undefined) bucketSize = b.bucketSize;
      if (b.restoreRate !== undefined) restoreRate = b.restoreRate;
      for (const s of shops.values()) s.bucket = { available: b.available ?? bucketSize, at: now() };
    },
    throttleStatus(domain: string) {
      return throttleStatus(api.shop(domain));
    },
  });
  return api;
}
