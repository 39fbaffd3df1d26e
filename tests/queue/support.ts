// Test harness for the queue: a real HTTP "platform" that keeps per-member
// state (PUT is idempotent: the same state twice is one effective change), a
// processor that converges it to the member's current enrollment, and seeding.
import type { Db } from "~/db.server";
import { getCommerce7Credentials, setCommerce7Credentials } from "~/domain/shops.server";
import { SyncError, parseRetryAfter } from "~/queue/errors";
import { registerProcessor, type ProcessorContext } from "~/queue/registry";
import { startFakeServer, type FakeServer } from "../../sandbox/fakes/http";

export type Change = { key: string; state: unknown; item: string; shop: string; auth: string; at: number; worker?: string };

export type Platform = FakeServer & { state: Map<string, unknown>; changes: Change[]; calls: Change[] };

export async function startPlatform(): Promise<Platform> {
  const state = new Map<string, unknown>();
  const changes: Change[] = [];
  const calls: Change[] = [];
  const server = await startFakeServer(
    async ({ method, url, headers, body }) => {
      if (method !== "PUT") return { status: 404, body: {} };
      const key = decodeURIComponent(url.pathname.slice(1));
      const b = body as { state: unknown; item: string; shop: string; worker?: string; holdMs?: number };
      const call = { key, state: b.state, item: b.item, shop: b.shop, auth: String(headers.authorization ?? ""), at: Date.now(), worker: b.worker };
      calls.push(call);
      if (b.holdMs) await new Promise((r) => setTimeout(r, b.holdMs));
      if (JSON.stringify(state.get(key)) !== JSON.stringify(b.state)) {
        state.set(key, b.state);
        changes.push(call);
      }
      return { status: 200, body: { ok: true } };
    },
    { authErrorBody: { message: "unauthorized" }, serverErrorBody: { message: "boom" } },
  );
  return Object.assign(server, { state, changes, calls });
}

/** HTTP answer → SyncError, the way the real integrations classify. */
function classify(res: Response, text: string): SyncError | null {
  if (res.ok) return null;
  if (res.status === 429) return new SyncError("throttled", "rate limited", { httpStatus: 429, retryAfterMs: parseRetryAfter(res.headers.get("retry-after")) });
  if (res.status === 401 || res.status === 403) return new SyncError("auth", "credentials refused", { httpStatus: res.status });
  if (res.status >= 500) return new SyncError("retryable", `HTTP ${res.status}`, { httpStatus: res.status });
  return new SyncError("permanent", `HTTP ${res.status}: ${text}`, { httpStatus: res.status });
}

/**
 * A converging processor: PUTs the member's CURRENT state (its active
 * enrollment's tier, or null) using the shop's own stored credentials.
 */
export function convergingProcessor(platformUrl: () => string, opts: { holdMs?: () => number; worker?: string } = {}) {
  return async ({ db, item, signal }: ProcessorContext) => {
    const active = await db.enrollment.findFirst({ where: { shop: item.shop, customerId: item.customerId, status: "active" }, include: { tier: true } });
    const creds = await getCommerce7Credentials(db, item.shop);
    let res: Response;
    try {
      res = await fetch(`${platformUrl()}/${encodeURIComponent(`${item.shop}/${item.customerId}`)}`, {
        method: "PUT",
        signal,
        headers: { "Content-Type": "application/json", authorization: `${creds?.tenant}:${creds?.appId}` },
        body: JSON.stringify({ state: active ? active.tier.handle : null, item: item.id, shop: item.shop, worker: opts.worker, holdMs: opts.holdMs?.() }),
      });
    } catch (e) {
      throw new SyncError("retryable", `network: ${(e as Error).message}`);
    }
    const err = classify(res, await res.text());
    if (err) throw err;
    return { result: { state: active?.tier.handle ?? null } };
  };
}

export function registerConverging(platformUrl: () => string, opts: { holdMs?: () => number; worker?: string } = {}) {
  for (const action of ["add_membership", "upgrade_membership", "cancel_membership"] as const) {
    registerProcessor("commerce7", action, convergingProcessor(platformUrl, opts));
  }
}

let n = 0;
export async function seedMember(db: Db, shop = "queue.myshopify.com", tierHandle = "silver") {
  n++;
  await setCommerce7Credentials(db, shop, { tenant: `tenant-${shop}`, appId: `app-${shop}`, appSecret: "s" });
  await db.shop.update({ where: { domain: shop }, data: { crm: "commerce7" } });
  const tier =
    (await db.tier.findFirst({ where: { shop, handle: tierHandle } })) ??
    (await db.tier.create({
      data: { shop, name: tierHandle, handle: tierHandle, rank: 100 + n, annualThresholdCents: 0, initialPurchaseCents: 0, durationMonths: 12 },
    }));
  const customer = await db.customer.create({ data: { shop, email: `m${n}-${Math.random()}@example.com` } });
  const enrollment = await db.enrollment.create({ data: { shop, customerId: customer.id, tierId: tier.id, expiresAt: new Date(Date.now() + 1e10) } });
  return { tier, customer, enrollment };
}

/** Polls `fn` until `ok` holds (real time; throws with the last value after `timeoutMs`). */
export async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
