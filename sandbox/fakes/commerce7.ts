// A stateful fake of the parts of Commerce7's REST API (v1) the app uses.
//
// - Base path /v1; Basic auth (app id : app secret) and the `tenant` header are
//   checked on every request; data is kept per tenant.
// - Customers (with addresses), clubs, inventory (pickup) locations, club
//   memberships. A membership needs the customer's billing address, and a
//   shipping address (Ship) or a pickup location (Pickup); a tenant may also
//   require a card (`requireCard`), which this app never collects. Lists answer
//   `{ <plural>: [...], total, cursor }` with 50 per page, cursor-paginated.
// - Validation failures are 422 JSON `{ statusCode, type, message, errors }`,
//   unknown ids 404, like Commerce7.
// - Web hooks (configured per tenant with `addWebhook`, as a merchant does in
//   Commerce7's admin): `emit` POSTs `{ object, action, payload, user,
//   tenantId }` to each matching URL (with its Basic auth, if any), unsigned,
//   and keeps every delivery in the web hook log, a failure (non-2xx, refused
//   connection, 10 s without an answer) with `isSuccess: false`.
//   `GET /web-hook-log` lists it (`{ webHookLogs, total, cursor }`), filtered
//   by `isSuccess`, `object`, `action` and `updatedAt` (`gte:`/`gt:`/`lte:`/
//   `lt:` an ISO time, or `btw:a|b`).
// - Orders (`addOrder`, and every Order that `emit` sends: a sale there is an
//   order there): `GET /order` lists them `{ orders, total, cursor }`, 50 a
//   page, oldest submitted first, filtered by `orderSubmittedDate`,
//   `orderPaidDate` or `updatedAt` (the same operators). Its cursor is opaque
//   and names the last order returned (a keyset), so orders added while a
//   list is read never shift its pages. Refunds are orders with a negative
//   total and `previousOrderId`, as Commerce7's are. `netPaidSpend` is the
//   fake's own sum of what its customers paid, net of refunds, for tests to
//   compare with.
// - Rate limit per tenant (`rateLimit`, or `POST /__fake/rate-limit`
//   `{"requests":100,"windowMs":60000}`; `{}` turns it off): more than
//   `requests` API requests of one tenant within any `windowMs` get 429 with
//   Retry-After. Cursor-paginated lists are not exempt here: the app's pace
//   must hold for every request. `rateLimited()` counts the 429s answered.
// Field names follow Commerce7's public documentation; see sandbox/fakes/README.md.
import { randomUUID } from "node:crypto";
import { startFakeServer, type FakeServer, type Handled } from "./http";

export type FakeC7Tenant = {
  tenantId: string;
  appId: string;
  appSecret: string;
  /** Refuse a club membership without `customerCreditCardId`, as many clubs do. */
  requireCard?: boolean;
};

export type C7Address = { id: string; customerId: string; address: string; address2?: string; city: string; stateCode: string; zipCode: string; countryCode: string; isDefault: boolean };
export type C7Customer = { id: string; firstName: string; lastName: string; emails: { email: string }[]; createdAt: string };
export type C7Club = { id: string; title: string; slug: string; type: string };
export type C7Location = { id: string; title: string; isPickupLocation: boolean };
export type C7Membership = {
  id: string;
  customerId: string;
  clubId: string;
  status: "Active" | "Cancelled" | "On Hold";
  orderDeliveryMethod: "Ship" | "Pickup";
  billToCustomerAddressId: string;
  shipToCustomerAddressId: string | null;
  pickupInventoryLocationId: string | null;
  signupDate: string;
  cancelDate: string | null;
  cancellationReason: string | null;
  createdAt: string;
  updatedAt: string;
};

export type C7WebHookLog = {
  id: string;
  url: string;
  object: string;
  action: string;
  payload: unknown;
  user: string;
  isSuccess: boolean;
  error: { status: number | null; message: string } | null;
  createdAt: string;
  updatedAt: string;
};
/** The Order fields the app reads (Commerce7's names; money in cents). */
export type C7Order = {
  id: string;
  orderNumber?: number;
  orderSubmittedDate: string;
  orderPaidDate?: string | null;
  paymentStatus?: string;
  subTotal: number;
  total: number;
  previousOrderId?: string | null;
  customerId?: string | null;
  customer?: { id?: string; firstName?: string; lastName?: string; emails?: { email: string }[] } | null;
  updatedAt?: string;
  [more: string]: unknown;
};
export type C7Webhook = { object: string; action: string; url: string; username?: string; password?: string };
export type RateLimit = { requests: number; windowMs: number };

type TenantState = {
  creds: FakeC7Tenant;
  webhooks: C7Webhook[];
  webHookLogs: C7WebHookLog[];
  /** When this tenant's recent API requests arrived (for the rate limit). */
  hits: number[];
  customers: Map<string, C7Customer>;
  addresses: Map<string, C7Address>;
  clubs: Map<string, C7Club>;
  locations: Map<string, C7Location>;
  memberships: Map<string, C7Membership>;
  orders: Map<string, C7Order>;
};

const PAGE = 50;

const err = (statusCode: number, type: string, message: string, errors?: unknown[]): Handled => ({
  status: statusCode,
  body: { statusCode, type, message, ...(errors ? { errors } : {}) },
});

/** Commerce7's date filter (`gte:<iso>`, `gt:`, `lte:`, `lt:`, `btw:<a>|<b>`) as a predicate on epoch ms; absent: everything. */
function timeFilter(raw: string | null): (t: number) => boolean {
  if (!raw) return () => true;
  const [op, value = ""] = raw.includes(":") ? [raw.slice(0, raw.indexOf(":")), raw.slice(raw.indexOf(":") + 1)] : ["eq", raw];
  if (op === "btw") {
    const [a, b] = value.split("|").map((v) => Date.parse(v));
    return (t) => t >= a! && t <= b!;
  }
  const v = Date.parse(value);
  return { gte: (t: number) => t >= v, gt: (t: number) => t > v, lte: (t: number) => t <= v, lt: (t: number) => t < v }[op] ?? ((t: number) => t === v);
}

const orderKey = (o: C7Order) => `${new Date(o.orderSubmittedDate).toISOString()}|${o.id}`;

/** Orders oldest submitted first; the cursor is the last returned order's key (opaque to the app). */
function orderPage(orders: C7Order[], cursor: string | null): Handled {
  const sorted = [...orders].sort((a, b) => (orderKey(a) < orderKey(b) ? -1 : orderKey(a) > orderKey(b) ? 1 : 0));
  const after = !cursor || cursor === "start" ? null : Buffer.from(cursor, "base64url").toString("utf8");
  const rest = after === null ? sorted : sorted.filter((o) => orderKey(o) > after);
  const slice = rest.slice(0, PAGE);
  const next = rest.length > PAGE ? Buffer.from(orderKey(slice.at(-1)!), "utf8").toString("base64url") : null;
  return { status: 200, body: { orders: slice, total: sorted.length, cursor: next } };
}

function page<T>(items: T[], cursor: string | null, key: string): Handled {
  const start = !cursor || cursor === "start" ? 0 : Number(cursor);
  const slice = items.slice(start, start + PAGE);
  const next = start + PAGE < items.length ? String(start + PAGE) : null;
  return { status: 200, body: { [key]: slice, total: items.length, cursor: next } };
}

export type FakeCommerce7 = FakeServer & {
  addTenant(t: FakeC7Tenant): void;
  tenant(id: string): TenantState;
  addClub(tenantId: string, club: { title: string; id?: string }): C7Club;
  addLocation(tenantId: string, location: { title: string; isPickupLocation?: boolean }): C7Location;
  addCustomer(tenantId: string, c: { email: string; firstName?: string; lastName?: string; withAddress?: boolean }): C7Customer;
  memberships(tenantId: string, customerId?: string): C7Membership[];
  /** Adds (or replaces, by id) an order, as a sale or a refund in Commerce7 does. */
  addOrder(tenantId: string, order: C7Order): C7Order;
  orders(tenantId: string): C7Order[];
  /**
   * What each customer paid, net of refunds, in orders submitted at or after
   * `since`: paid orders' subTotal, less their refunds' (never below zero).
   */
  netPaidSpend(tenantId: string, since: Date): Map<string, number>;
  addWebhook(tenantId: string, hook: C7Webhook): void;
  /** Sends the web hooks configured for this object and action; resolves once each delivery is logged. */
  emit(tenantId: string, object: string, action: string, payload: unknown): Promise<C7WebHookLog[]>;
  webHookLogs(tenantId: string): C7WebHookLog[];
  setRateLimit(limit: RateLimit | null): void;
  /** 429s answered for the rate limit since the fake started (or was reset). */
  rateLimited(): number;
};

export async function createFakeCommerce7(opts: { port?: number; tenants?: FakeC7Tenant[]; now?: () => number; rateLimit?: RateLimit } = {}): Promise<FakeCommerce7> {
  const now = opts.now ?? Date.now;
  const tenants = new Map<string, TenantState>();
  let rateLimit: RateLimit | null = opts.rateLimit ?? null;
  let limited = 0;
  const addTenant = (creds: FakeC7Tenant) =>
    tenants.set(creds.tenantId, {
      creds,
      customers: new Map(),
      addresses: new Map(),
      clubs: new Map(),
      locations: new Map(),
      memberships: new Map(),
      orders: new Map(),
      webhooks: [],
      webHookLogs: [],
      hits: [],
    });
  for (const t of opts.tenants ?? []) addTenant(t);
  const iso = () => new Date(now()).toISOString();

  const authenticate = (headers: Record<string, string | string[] | undefined>): TenantState | Handled => {
    const tenantId = String(headers["tenant"] ?? "");
    const auth = String(headers["authorization"] ?? "");
    const t = tenants.get(tenantId);
    const [id, secret] = auth.startsWith("Basic ") ? Buffer.from(auth.slice(6), "base64").toString("utf8").split(":") : [];
    if (!t || t.creds.appId !== id || t.creds.appSecret !== secret) {
      return err(401, "unauthorized", t ? "Invalid app credentials" : "Invalid tenant");
    }
    return t;
  };

  const withAddresses = (t: TenantState, c: C7Customer) => c;

  const handle = async ({ method, url, headers, body }: { method: string; url: URL; headers: Record<string, string | string[] | undefined>; body: unknown }): Promise<Handled> => {
    if (!url.pathname.startsWith("/v1/")) return err(404, "notFound", "Not found");
    const auth = authenticate(headers);
    if ("status" in auth) return auth;
    const t = auth;
    if (rateLimit) {
      // A sliding window per tenant: every request counts, answered or refused.
      const at = Date.now();
      t.hits = t.hits.filter((h) => h > at - rateLimit!.windowMs);
      if (t.hits.length >= rateLimit.requests) {
        limited++;
        const retryAfter = Math.max(1, Math.ceil((t.hits[0]! + rateLimit.windowMs - at) / 1000));
        return { status: 429, body: { statusCode: 429, type: "tooManyRequests", message: "Rate limit exceeded" }, headers: { "Retry-After": String(retryAfter) } };
      }
      t.hits.push(at);
    }
    const parts = url.pathname.slice(4).split("/").filter(Boolean).map(decodeURIComponent);

    if (parts[0] === "web-hook-log" && parts.length === 1 && method === "GET") {
      const q = url.searchParams;
      const since = timeFilter(q.get("updatedAt"));
      const list = t.webHookLogs.filter(
        (l) =>
          (q.get("isSuccess") === null || String(l.isSuccess) === q.get("isSuccess")) &&
          (!q.get("object") || l.object === q.get("object")) &&
          (!q.get("action") || l.action === q.get("action")) &&
          since(Date.parse(l.updatedAt)),
      );
      return page(list, q.get("cursor"), "webHookLogs");
    }
    if (parts[0] === "order" && parts.length === 1 && method === "GET") {
      const q = url.searchParams;
      const submitted = timeFilter(q.get("orderSubmittedDate"));
      const paid = timeFilter(q.get("orderPaidDate"));
      const updated = timeFilter(q.get("updatedAt"));
      const list = [...t.orders.values()].filter(
        (o) =>
          submitted(Date.parse(o.orderSubmittedDate)) &&
          (!q.get("orderPaidDate") || (o.orderPaidDate ? paid(Date.parse(o.orderPaidDate)) : false)) &&
          updated(Date.parse(o.updatedAt ?? o.orderSubmittedDate)),
      );
      return orderPage(list, q.get("cursor"));
    }
    if (parts[0] === "order" && parts.length === 2 && method === "GET") {
      const o = t.orders.get(parts[1]!);
      return o ? { status: 200, body: o } : err(404, "notFound", "Order not found");
    }
    const b = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;

    // /customer, /customer/:id, /customer/:id/address
    if (parts[0] === "customer") {
      if (parts.length === 1 && method === "GET") {
        const q = (url.searchParams.get("q") ?? "").toLowerCase();
        const list = [...t.customers.values()].filter((c) =>
          `${c.firstName} ${c.lastName} ${c.emails.map((e) => e.email).join(" ")}`.toLowerCase().includes(q),
        );
        return page(list.map((c) => withAddresses(t, c)), url.searchParams.get("cursor"), "customers");
      }
      if (parts.length === 1 && method === "POST") {
        const emails = Array.isArray(b.emails) ? (b.emails as { email?: string }[]) : [];
        const errors: { field: string; message: string }[] = [];
        if (!b.firstName && !b.lastName) errors.push({ field: "firstName", message: "firstName or lastName is required" });
        if (!emails.length || !emails[0]?.email?.includes("@")) errors.push({ field: "emails", message: "A valid email is required" });
        const email = emails[0]?.email?.toLowerCase();
        if (email && [...t.customers.values()].some((c) => c.emails.some((e) => e.email === email))) {
          errors.push({ field: "emails", message: "Email already exists" });
        }
        if (errors.length) return err(422, "validationError", errors.map((e) => e.message).join("; "), errors);
        return { status: 200, body: api.addCustomer(t.creds.tenantId, { email: email!, firstName: String(b.firstName ?? ""), lastName: String(b.lastName ?? "") }) };
      }
      const customer = t.customers.get(parts[1] ?? "");
      if (!customer) return err(404, "notFound", "Customer not found");
      if (parts.length === 2 && method === "GET") return { status: 200, body: withAddresses(t, customer) };
      if (parts[2] === "address" && method === "GET") {
        return page([...t.addresses.values()].filter((a) => a.customerId === customer.id), url.searchParams.get("cursor"), "customerAddresses");
      }
      if (parts[2] === "address" && method === "POST") {
        if (!b.address || !b.zipCode) return err(422, "validationError", "address and zipCode are required");
        const a: C7Address = {
          id: randomUUID(),
          customerId: customer.id,
          address: String(b.address),
          address2: String(b.address2 ?? ""),
          city: String(b.city ?? ""),
          stateCode: String(b.stateCode ?? ""),
          zipCode: String(b.zipCode),
          countryCode: String(b.countryCode ?? "US"),
          isDefault: ![...t.addresses.values()].some((x) => x.customerId === customer.id),
        };
        t.addresses.set(a.id, a);
        return { status: 200, body: a };
      }
      return err(404, "notFound", "Not found");
    }

    if (parts[0] === "inventory-location" && parts.length === 1 && method === "GET") {
      return page([...t.locations.values()], url.searchParams.get("cursor"), "inventoryLocations");
    }

    if (parts[0] === "club") {
      if (parts.length === 1 && method === "GET") return page([...t.clubs.values()], url.searchParams.get("cursor"), "clubs");
      const club = t.clubs.get(parts[1] ?? "");
      return club ? { status: 200, body: club } : err(404, "notFound", "Club not found");
    }

    if (parts[0] === "club-membership") {
      if (parts.length === 1 && method === "GET") {
        const customerId = url.searchParams.get("customerId");
        const list = [...t.memberships.values()].filter((m) => !customerId || m.customerId === customerId);
        return page(list, url.searchParams.get("cursor"), "clubMemberships");
      }
      if (parts.length === 1 && method === "POST") {
        const errors: { field: string; message: string }[] = [];
        const customer = t.customers.get(String(b.customerId ?? ""));
        if (!customer) errors.push({ field: "customerId", message: "Customer not found" });
        if (!t.clubs.get(String(b.clubId ?? ""))) errors.push({ field: "clubId", message: "Club not found" });
        const method_ = b.orderDeliveryMethod;
        if (method_ !== "Ship" && method_ !== "Pickup") errors.push({ field: "orderDeliveryMethod", message: "orderDeliveryMethod must be Ship or Pickup" });
        const addressOk = (id: unknown) => {
          const a = t.addresses.get(String(id ?? ""));
          return Boolean(a && customer && a.customerId === customer.id);
        };
        if (!addressOk(b.billToCustomerAddressId)) errors.push({ field: "billToCustomerAddressId", message: "A billing address of this customer is required" });
        if (method_ === "Ship" && !addressOk(b.shipToCustomerAddressId)) {
          errors.push({ field: "shipToCustomerAddressId", message: "A shipping address of this customer is required for Ship" });
        }
        if (method_ === "Pickup" && !t.locations.get(String(b.pickupInventoryLocationId ?? ""))?.isPickupLocation) {
          errors.push({ field: "pickupInventoryLocationId", message: "A pickup location is required for Pickup" });
        }
        if (t.creds.requireCard && !b.customerCreditCardId) {
          errors.push({ field: "customerCreditCardId", message: "A credit card is required for this club membership" });
        }
        if (errors.length) return err(422, "validationError", errors.map((e) => e.message).join("; "), errors);
        const m: C7Membership = {
          id: randomUUID(),
          customerId: customer!.id,
          clubId: String(b.clubId),
          status: "Active",
          orderDeliveryMethod: method_ as "Ship" | "Pickup",
          billToCustomerAddressId: String(b.billToCustomerAddressId),
          shipToCustomerAddressId: b.shipToCustomerAddressId ? String(b.shipToCustomerAddressId) : null,
          pickupInventoryLocationId: b.pickupInventoryLocationId ? String(b.pickupInventoryLocationId) : null,
          signupDate: String(b.signupDate ?? iso()),
          cancelDate: null,
          cancellationReason: null,
          createdAt: iso(),
          updatedAt: iso(),
        };
        t.memberships.set(m.id, m);
        return { status: 200, body: m };
      }
      const m = t.memberships.get(parts[1] ?? "");
      if (!m) return err(404, "notFound", "Club membership not found");
      if (method === "GET") return { status: 200, body: m };
      if (method === "PUT") {
        if (b.cancelDate !== undefined && b.cancelDate !== null) {
          if (Number.isNaN(Date.parse(String(b.cancelDate)))) return err(422, "validationError", "cancelDate must be a date");
          if (!b.cancellationReason) return err(422, "validationError", "cancellationReason is required when cancelling");
          m.cancelDate = String(b.cancelDate);
          m.cancellationReason = String(b.cancellationReason);
          m.status = "Cancelled";
        }
        if (b.orderDeliveryMethod === "Ship" || b.orderDeliveryMethod === "Pickup") m.orderDeliveryMethod = b.orderDeliveryMethod;
        m.updatedAt = iso();
        return { status: 200, body: m };
      }
    }
    return err(404, "notFound", "Not found");
  };

  const deliver = async (t: TenantState, hook: C7Webhook, object: string, action: string, payload: unknown): Promise<C7WebHookLog> => {
    const body = { object, action, payload, user: "staff@winery.example", tenantId: t.creds.tenantId };
    let error: C7WebHookLog["error"] = null;
    try {
      const res = await fetch(hook.url, {
        method: "POST",
        signal: AbortSignal.timeout(10_000),
        headers: { "Content-Type": "application/json", ...(hook.username ? { Authorization: `Basic ${Buffer.from(`${hook.username}:${hook.password ?? ""}`).toString("base64")}` } : {}) },
        body: JSON.stringify(body),
      });
      await res.text();
      if (!res.ok) error = { status: res.status, message: `Request failed with status code ${res.status}` };
    } catch (e) {
      error = { status: null, message: e instanceof Error ? e.message : String(e) };
    }
    const log: C7WebHookLog = { id: randomUUID(), url: hook.url, object, action, payload, user: body.user, isSuccess: !error, error, createdAt: iso(), updatedAt: iso() };
    t.webHookLogs.push(log);
    return log;
  };

  const server = await startFakeServer(handle, {
    port: opts.port,
    authErrorBody: { statusCode: 401, type: "unauthorized", message: "Invalid app credentials" },
    serverErrorBody: { statusCode: 500, type: "serverError", message: "Internal server error" },
    control: async ({ method, what, raw }) => {
      if (what === "emit" && method === "POST") {
        // `{ tenantId, object, action, payload }`: what a sale in Commerce7 sends to its web hooks.
        const b = JSON.parse(raw || "{}") as { tenantId?: string; object?: string; action?: string; payload?: unknown };
        if (!b.tenantId || !tenants.has(b.tenantId) || !b.object || !b.action) return { status: 400, body: { message: "tenantId (a known tenant), object and action are needed" } };
        return { status: 200, body: { webHookLogs: await api.emit(b.tenantId, b.object, b.action, b.payload) } };
      }
      if (what !== "rate-limit" || method !== "POST") return undefined;
      const b = JSON.parse(raw || "{}") as Partial<RateLimit>;
      if (b.requests === undefined) rateLimit = null;
      else if (!(Number.isInteger(b.requests) && b.requests > 0 && Number.isFinite(b.windowMs) && b.windowMs! > 0)) return { status: 400, body: { message: "requests (integer > 0) and windowMs (> 0) are needed" } };
      else rateLimit = { requests: b.requests, windowMs: b.windowMs! };
      return { status: 200, body: { rateLimit } };
    },
    onReset: () => {
      limited = 0;
      for (const t of tenants.values()) {
        t.hits = [];
        t.webHookLogs = [];
        t.customers.clear();
        t.addresses.clear();
        t.memberships.clear();
        t.orders.clear();
      }
    },
  });

  const api: FakeCommerce7 = Object.assign(server, {
    addTenant,
    tenant(id: string) {
      const t = tenants.get(id);
      if (!t) throw new Error(`fake commerce7: unknown tenant ${id}`);
      return t;
    },
    addClub(tenantId: string, club: { title: string; id?: string }) {
      const c: C7Club = { id: club.id ?? randomUUID(), title: club.title, slug: club.title.toLowerCase().replace(/\W+/g, "-"), type: "Traditional" };
      api.tenant(tenantId).clubs.set(c.id, c);
      return c;
    },
    addCustomer(tenantId: string, input: { email: string; firstName?: string; lastName?: string; withAddress?: boolean }) {
      const t = api.tenant(tenantId);
      const c: C7Customer = { id: randomUUID(), firstName: input.firstName ?? "", lastName: input.lastName ?? "", emails: [{ email: input.email.toLowerCase() }], createdAt: iso() };
      t.customers.set(c.id, c);
      if (input.withAddress) {
        const a: C7Address = { id: randomUUID(), customerId: c.id, address: "1 Vineyard Rd", city: "Napa", stateCode: "CA", zipCode: "94558", countryCode: "US", isDefault: true };
        t.addresses.set(a.id, a);
      }
      return c;
    },
    addLocation(tenantId: string, location: { title: string; isPickupLocation?: boolean }) {
      const l: C7Location = { id: randomUUID(), title: location.title, isPickupLocation: location.isPickupLocation ?? true };
      api.tenant(tenantId).locations.set(l.id, l);
      return l;
    },
    memberships(tenantId: string, customerId?: string) {
      return [...api.tenant(tenantId).memberships.values()].filter((m) => !customerId || m.customerId === customerId);
    },
    addWebhook(tenantId: string, hook: C7Webhook) {
      api.tenant(tenantId).webhooks.push(hook);
    },
    addOrder(tenantId: string, order: C7Order) {
      const o = { ...order, updatedAt: order.updatedAt ?? iso() };
      api.tenant(tenantId).orders.set(o.id, o);
      return o;
    },
    orders(tenantId: string) {
      return [...api.tenant(tenantId).orders.values()];
    },
    netPaidSpend(tenantId: string, since: Date) {
      const orders = [...api.tenant(tenantId).orders.values()].filter((o) => Date.parse(o.orderSubmittedDate) >= since.getTime());
      const refunded = new Map<string, number>();
      for (const o of orders) if (o.total < 0 && o.previousOrderId) refunded.set(o.previousOrderId, (refunded.get(o.previousOrderId) ?? 0) + Math.abs(o.subTotal));
      const out = new Map<string, number>();
      for (const o of orders) {
        const customer = o.customerId ?? o.customer?.id;
        const paid = Boolean(o.orderPaidDate) || o.paymentStatus?.toLowerCase() === "paid";
        if (o.total < 0 || !customer || !paid) continue;
        out.set(customer, (out.get(customer) ?? 0) + Math.max(0, o.subTotal - (refunded.get(o.id) ?? 0)));
      }
      return out;
    },
    async emit(tenantId: string, object: string, action: string, payload: unknown) {
      const t = api.tenant(tenantId);
      // A sale in Commerce7 is an order there, listed by GET /order.
      const order = payload as Partial<C7Order> | null;
      if (object === "Order" && order && typeof order.id === "string" && typeof order.orderSubmittedDate === "string") api.addOrder(tenantId, order as C7Order);
      return Promise.all(t.webhooks.filter((h) => h.object === object && h.action === action).map((h) => deliver(t, h, object, action, payload)));
    },
    webHookLogs(tenantId: string) {
      return api.tenant(tenantId).webHookLogs;
    },
    setRateLimit(limit: RateLimit | null) {
      rateLimit = limit;
    },
    rateLimited: () => limited,
  });
  return api;
}
