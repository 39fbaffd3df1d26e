// Commerce7 REST client: Basic auth (app id : app secret), the `tenant` header,
// JSON, a timeout on every call, and every response parsed with zod.
//
// Failures leave as SyncError (app/queue/errors.ts):
//   network, timeout, 5xx, malformed body → retryable
//   429                                   → throttled, honouring Retry-After
//   400, 404, 422 (and other 4xx)         → permanent, with Commerce7's message
//   401, 403                              → auth: permanent until the credentials change
// Before each request it takes a token of the shop's pace (`gate`).
import { z } from "zod";
import { env } from "../../env.server";
import { SyncError, parseRetryAfter } from "../../queue/errors";
import { networkProblem } from "../network-errors";
import type { RequestGate } from "./pace.server";

export type Commerce7Credentials = { tenant: string; appId: string; appSecret: string };

export type Commerce7Options = {
  baseUrl?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Taken before every request: the shop's pace (pace.server.ts). Absent: unpaced. */
  gate?: RequestGate;
};

const errorBody = z.looseObject({ message: z.string().optional(), errors: z.array(z.unknown()).optional() });

export class Commerce7Error extends SyncError {}

export class Commerce7Client {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly authorization: string;
  private readonly gate?: RequestGate;

  constructor(
    private readonly creds: Commerce7Credentials,
    opts: Commerce7Options = {},
  ) {
    this.baseUrl = (opts.baseUrl ?? env.COMMERCE7_API_URL).replace(/\/$/, "");
    this.timeoutMs = opts.timeoutMs ?? env.COMMERCE7_TIMEOUT_MS;
    this.fetchImpl = opts.fetch ?? fetch;
    this.authorization = `Basic ${Buffer.from(`${creds.appId}:${creds.appSecret}`).toString("base64")}`;
    this.gate = opts.gate;
  }

  get tenant() {
    return this.creds.tenant;
  }

  async request<S extends z.ZodType>(
    method: "GET" | "POST" | "PUT" | "DELETE",
    path: string,
    schema: S,
    opts: { query?: Record<string, string | undefined>; body?: unknown; signal?: AbortSignal } = {},
  ): Promise<z.infer<S>> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const what = `Commerce7 ${method} ${path}`;
    // Every request draws on the shop's pace first, so the tenant's limit
    // holds per request, not per queue item (ADR 0021).
    await this.gate?.(opts.signal);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;

    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, {
        method,
        signal,
        headers: {
          Authorization: this.authorization,
          tenant: this.creds.tenant,
          "Content-Type": "application/json",
          Accept: "application/json",
        },
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
      text = await response.text();
    } catch (error) {
      if (timeout.aborted) throw new Commerce7Error("retryable", `${what}: no answer within ${this.timeoutMs} ms`, { platform: "commerce7", cause: error });
      throw new Commerce7Error("retryable", `${what}: Commerce7 ${networkProblem(error)}`, {
        platform: "commerce7",
        cause: error,
      });
    }

    const status = response.status;
    if (status >= 200 && status < 300) {
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : {};
      } catch (error) {
        throw new Commerce7Error("retryable", `${what}: malformed response (HTTP ${status})`, { platform: "commerce7", httpStatus: status, cause: error });
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        throw new Commerce7Error("permanent", `${what}: unexpected response shape (${parsed.error.issues[0]?.message ?? "invalid"})`, {
          platform: "commerce7",
          httpStatus: status,
        });
      }
      return parsed.data;
    }

    const message = messageOf(text) ?? `HTTP ${status}`;
    const base = { platform: "commerce7", httpStatus: status };
    if (status === 429) {
      throw new Commerce7Error("throttled", `${what}: rate limited`, { ...base, retryAfterMs: parseRetryAfter(response.headers.get("retry-after")) ?? 1000 });
    }
    if (status === 401 || status === 403) {
      throw new Commerce7Error(
        "auth",
        `Commerce7 rejected the credentials (HTTP ${status}): check the tenant, app id and app secret in Settings. (${message})`,
        base,
      );
    }
    if (status >= 500) throw new Commerce7Error("retryable", `${what}: HTTP ${status} ${message}`, base);
    throw new Commerce7Error("permanent", `${what}: ${message}`, base);
  }
}

function messageOf(text: string): string | undefined {
  try {
    const body = errorBody.safeParse(JSON.parse(text));
    return body.success ? body.data.message : undefined;
  } catch {
    return text ? text.slice(0, 200) : undefined;
  }
}
