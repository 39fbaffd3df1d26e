// The one gateway for Admin GraphQL: pages and the queue worker alike.
//
// Built on graphql-request with the shop's offline access token: a fixed one, or
// a source asked before every request (offlineAdmin: renewed when it nears its
// expiry). A 401 is retried once when the source has a different token by then
// (another instance renewed or migrated it mid-flight). Every failure
// leaves as a SyncError the queue understands (app/queue/errors.ts):
//   network, timeout, 5xx, malformed body, INTERNAL_SERVER_ERROR → retryable
//   HTTP 429, GraphQL THROTTLED                               → throttled (no attempt used)
//   HTTP 401/403                                              → auth
//   other GraphQL errors, HTTP 4xx                            → permanent
// Mutations' `userErrors` are permanent too; see `assertNoUserErrors`.
//
// `request` takes only documents from the generated types (operations.ts,
// admin-operations.ts): their variables and results are typed from the text.
//
// SHOPIFY_ADMIN_ORIGIN (sandbox and tests only) redirects every call to a fake
// Admin; `{shop}` in it is replaced by the shop's domain.
import { ClientError, GraphQLClient } from "graphql-request";
import { env } from "../../env.server";
import { SyncError, parseRetryAfter } from "../../queue/errors";
import type { AdminData, AdminDocument, AdminVariables } from "./admin-operations";
import { ADMIN_API_VERSION } from "./api-version";
import { RECONNECT } from "./oauth.server";
import { throttleBook, type ThrottleBook, type ThrottleStatus } from "./throttle";
import { networkProblem } from "../network-errors";

export type AdminOptions = {
  /** Overrides SHOPIFY_ADMIN_ORIGIN (tests). */
  origin?: string;
  timeoutMs?: number;
  /** Longest a call waits in-process for the bucket before handing back to the queue as `throttled`. */
  maxInlineWaitMs?: number;
  book?: ThrottleBook;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  fetch?: typeof fetch;
};

export type RequestOptions = { signal?: AbortSignal };
/** Variables may be left out only for a document that declares none. */
type RequestArgs<D extends AdminDocument> =
  Record<string, never> extends AdminVariables<D> ? [variables?: AdminVariables<D>, opts?: RequestOptions] : [variables: AdminVariables<D>, opts?: RequestOptions];

type GraphQLErrorLike = { message: string; extensions?: { code?: string } };
type CostExtension = { cost?: { requestedQueryCost?: number; actualQueryCost?: number; throttleStatus?: ThrottleStatus } };

export function adminEndpoint(shop: string, originOverride = env.SHOPIFY_ADMIN_ORIGIN): string {
  const origin = originOverride ? originOverride.replace("{shop}", shop) : `https://${shop}`;
  return `${origin.replace(/\/$/, "")}/admin/api/${ADMIN_API_VERSION}/graphql.json`;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function operationName(document: string): string {
  return /(?:query|mutation)\s+(\w+)/.exec(document)?.[1] ?? "anonymous";
}

/** A fixed token, or a source asked before each request (and again, with the token Shopify refused, after a 401). */
export type AccessTokenSource = string | ((rejected?: string) => Promise<string>);

export class ShopifyAdmin {
  private readonly client: GraphQLClient;
  private readonly token: (rejected?: string) => Promise<string>;
  private readonly timeoutMs: number;
  private readonly maxInlineWaitMs: number;
  private readonly book: ThrottleBook;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(
    readonly shop: string,
    accessToken: AccessTokenSource,
    opts: AdminOptions = {},
  ) {
    this.token = typeof accessToken === "string" ? () => Promise.resolve(accessToken) : accessToken;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.maxInlineWaitMs = opts.maxInlineWaitMs ?? 5_000;
    this.book = opts.book ?? throttleBook;
    this.sleep = opts.sleep ?? abortableSleep;
    this.client = new GraphQLClient(adminEndpoint(shop, opts.origin ?? env.SHOPIFY_ADMIN_ORIGIN), {
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      errorPolicy: "all",
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
  }

  /**
   * Sends one operation and returns its `data`. Waits for the bucket first when
   * needed; retries a THROTTLED answer once after the computed wait when that
   * wait is short, and otherwise throws `throttled` with the wait as retryAfterMs.
   */
  async request<D extends AdminDocument>(document: D, ...[variables = {}, opts = {}]: RequestArgs<D>): Promise<AdminData<D>> {
    const name = operationName(document);
    for (let throttledRetries = 0; ; throttledRetries++) {
      const cost = this.book.estimate(name, /^\s*(#graphql\s*)?[\s\S]*?\bmutation\b/.test(document) ? 10 : 5);
      const wait = this.book.waitFor(this.shop, cost);
      if (wait > this.maxInlineWaitMs) {
        throw new SyncError("throttled", `Shopify rate limit: waiting ${wait} ms for ${name}`, { retryAfterMs: wait, platform: "shopify" });
      }
      if (wait > 0) await this.sleep(wait, opts.signal);
      this.book.reserve(this.shop, cost);

      let response: Awaited<ReturnType<typeof this.send<AdminData<D>>>>;
      try {
        response = await this.send<AdminData<D>>(name, document, variables as Record<string, unknown>, opts.signal);
      } catch (error) {
        this.book.settle(this.shop, cost);
        throw error;
      }
      const ext = response.extensions as CostExtension | undefined;
      this.book.settle(this.shop, cost, ext?.cost?.throttleStatus);
      if (ext?.cost?.requestedQueryCost !== undefined) this.book.recordCost(name, ext.cost.requestedQueryCost);

      const errors = (response.errors ?? []) as GraphQLErrorLike[];
      if (errors.some((e) => e.extensions?.code === "THROTTLED")) {
        const status = ext?.cost?.throttleStatus;
        const requested = ext?.cost?.requestedQueryCost ?? cost;
        const retryAfterMs =
          status && status.restoreRate > 0
            ? Math.ceil((Math.max(0, requested - status.currentlyAvailable) / status.restoreRate) * 1000)
            : 1000;
        if (throttledRetries === 0 && retryAfterMs <= this.maxInlineWaitMs) {
          await this.sleep(retryAfterMs, opts.signal);
          continue;
        }
        throw new SyncError("throttled", `Shopify throttled ${name}`, { retryAfterMs, platform: "shopify" });
      }
      if (errors.length) {
        const message = errors.map((e) => e.message).join("; ");
        const retryable = errors.some((e) => e.extensions?.code === "INTERNAL_SERVER_ERROR");
        throw new SyncError(retryable ? "retryable" : "permanent", `Shopify ${name}: ${message}`, { platform: "shopify" });
      }
      if (response.data == null) throw new SyncError("retryable", `Shopify ${name}: empty response`, { platform: "shopify" });
      return response.data;
    }
  }

  private async send<T>(name: string, document: string, variables: Record<string, unknown>, signal?: AbortSignal) {
    let token = await this.token();
    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(this.timeoutMs);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      try {
        return await this.client.rawRequest<T>({ query: document, variables, signal: combined, requestHeaders: { "X-Shopify-Access-Token": token } });
      } catch (error) {
        const failure = this.classify(name, error, timeout);
        if (failure.kind === "auth" && attempt === 0) {
          const next = await this.token(token);
          if (next !== token) {
            token = next;
            continue;
          }
        }
        throw failure;
      }
    }
  }

  private classify(name: string, error: unknown, timeout: AbortSignal): SyncError {
    const opts = { platform: "shopify", cause: error };
    if (error instanceof ClientError) {
      const status = error.response.status;
      if (status === 429) {
        const retryAfter = parseRetryAfter(error.response.headers?.get?.("retry-after")) ?? 1000;
        return new SyncError("throttled", `Shopify ${name}: HTTP 429`, { ...opts, httpStatus: status, retryAfterMs: retryAfter });
      }
      if (status === 401 || status === 403) {
        return new SyncError(
          "auth",
          `Shopify rejected the app's access token (HTTP ${status}): ${RECONNECT}.`,
          { ...opts, httpStatus: status },
        );
      }
      if (status >= 500) return new SyncError("retryable", `Shopify ${name}: HTTP ${status}`, { ...opts, httpStatus: status });
      return new SyncError("permanent", `Shopify ${name}: HTTP ${status}`, { ...opts, httpStatus: status });
    }
    if (timeout.aborted) return new SyncError("retryable", `Shopify ${name}: no answer within ${this.timeoutMs} ms`, opts);
    if (error instanceof Error && error.name === "AbortError") return new SyncError("retryable", `Shopify ${name}: aborted`, opts);
    if (error instanceof SyntaxError) return new SyncError("retryable", `Shopify ${name}: malformed response`, opts);
    return new SyncError("retryable", `Shopify ${name}: Shopify ${networkProblem(error)}`, opts);
  }
}

/**
 * A mutation's payload. The schema types every payload as nullable; in an
 * answer without errors (request() has thrown on those) it is always present,
 * so a missing one is an incomplete answer: retryable, like a malformed body.
 */
export function payloadOf<T>(operation: string, payload: T | null | undefined): T {
  if (payload == null) throw new SyncError("retryable", `Shopify ${operation}: the answer has no payload`, { platform: "shopify" });
  return payload;
}

/** Throws a permanent SyncError carrying Shopify's messages when a mutation reports userErrors. */
export function assertNoUserErrors(operation: string, userErrors: { field?: string[] | null; message: string; code?: string | null }[] | undefined) {
  if (userErrors && userErrors.length) {
    const message = userErrors.map((e) => (e.field?.length ? `${e.field.join(".")}: ${e.message}` : e.message)).join("; ");
    throw new SyncError("permanent", `Shopify ${operation}: ${message}`, { platform: "shopify" });
  }
}
