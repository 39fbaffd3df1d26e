// Shared plumbing for the platform fakes: an HTTP server on 127.0.0.1 with
// fault injection, a request log, and a control API under /__fake/.
//
// Faults (per server; the first one that matches a request applies, for the
// next `times` matching requests or until cleared):
//   down       the socket is destroyed without an answer (the client sees a reset);
//              `stop()` closes the listener for a true "connection refused"
//   500        HTTP 500 with a JSON error body
//   429        HTTP 429 with `Retry-After: <retryAfter>` seconds
//   slow       the real answer, `delayMs` late (set it above the client's timeout)
//   malformed  HTTP 200 with a truncated, non-JSON body
//   401        HTTP 401 with the platform's auth error body
//   ghost      the request IS applied (the platform did the work), then the reply
//              is lost: `lose: "drop"` (default) destroys the connection,
//              `lose: "late"` answers `delayMs` (default 30 s) later, after the
//              client has given up. This is what a timed-out call looks like on
//              a real network, and what retries must converge under.
// A fault targets requests by `match` (a substring of the path OR of the label,
// e.g. the GraphQL operation name) and/or `method` (e.g. "POST").
//
// Over HTTP: `POST /__fake/faults` with one fault, or `{ "faults": [...] }`,
// REPLACES the current faults, so the last one posted is the one in force;
// `"add": true` in the body appends instead. `DELETE` clears, `GET` lists.
// In-process, `faults.set()` replaces and `faults.add()` appends.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Readable } from "node:stream";

export const FAULT_MODES = ["down", "500", "429", "slow", "malformed", "401", "ghost"] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export type Fault<M extends string = FaultMode> = {
  mode: M;
  /** Apply to the next N matching requests; omitted = until cleared. */
  times?: number;
  /** Only requests whose path or label (GraphQL operation name) contains this. */
  match?: string;
  /** Only requests with this HTTP method. */
  method?: string;
  retryAfter?: number;
  delayMs?: number;
  /** ghost only: how the reply is lost. */
  lose?: "drop" | "late";
};

/** What a fault is matched against. */
export type FaultTarget = { path: string; label?: string; method?: string };

/**
 * A fake's fault list. The same list (and the same HTTP control API) serves
 * the HTTP fakes and the SMTP fake, each with its own modes.
 */
export class FaultList<M extends string = FaultMode> {
  private faults: (Fault<M> & { remaining?: number })[] = [];
  /** `onChange` runs after every change (the SMTP fake opens or closes its listener for `down`). */
  constructor(
    private readonly modes: readonly M[],
    private readonly onChange?: () => void | Promise<void>,
  ) {}

  add(fault: Fault<M>) {
    this.faults.push({ ...this.check(fault), remaining: fault.times });
    return this.onChange?.();
  }
  set(...faults: Fault<M>[]) {
    const checked = faults.map((f) => this.check(f));
    this.faults = checked.map((f) => ({ ...f, remaining: f.times }));
    return this.onChange?.();
  }
  clear() {
    this.faults = [];
    return this.onChange?.();
  }
  has(mode: M): boolean {
    return this.faults.some((f) => f.mode === mode);
  }
  list(): Fault<M>[] {
    return this.faults.map(({ remaining, ...f }) => ({ ...f, ...(remaining !== undefined ? { times: remaining } : {}) }));
  }
  /** The fault in force for this request (counting it against `times`), if any; `modes` narrows the candidates. */
  take(target: FaultTarget, modes?: readonly M[]): Fault<M> | undefined {
    const i = this.faults.findIndex((f) => matches(f, target) && (!modes || modes.includes(f.mode)));
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    if (f.remaining !== undefined && --f.remaining <= 0) {
      this.faults.splice(i, 1);
      void this.onChange?.();
    }
    return f;
  }

  /** Validates a fault from outside (HTTP or a test): a typo must not silently do nothing. */
  check(f: Fault<M>): Fault<M> {
    if (!f || typeof f !== "object" || !this.modes.includes(f.mode)) {
      throw new FaultError(`unknown fault mode ${JSON.stringify(f?.mode)}; one of ${this.modes.join(", ")}`);
    }
    if (f.times !== undefined && !(Number.isInteger(f.times) && f.times > 0)) throw new FaultError("times must be a positive integer");
    if (f.delayMs !== undefined && !(Number.isFinite(f.delayMs) && f.delayMs >= 0)) throw new FaultError("delayMs must be a number of milliseconds");
    if (f.lose !== undefined && f.lose !== "drop" && f.lose !== "late") throw new FaultError('lose must be "drop" or "late"');
    return f;
  }

  /** `POST /__fake/faults`: replace unless `add: true`. */
  async applyPosted(raw: string): Promise<Fault<M>[]> {
    let body: unknown;
    try {
      body = JSON.parse(raw || "{}");
    } catch {
      throw new FaultError("the body is not JSON");
    }
    const b = (body ?? {}) as Fault<M> & { faults?: Fault<M>[]; add?: boolean };
    const { add, faults: many, ...one } = b;
    const posted = Array.isArray(many) ? many : [one as Fault<M>];
    for (const f of posted) this.check(f);
    if (add === true) for (const f of posted) await this.add(f);
    else await this.set(...posted);
    return this.list();
  }
}

export class FaultError extends Error {}

function matches(f: Fault<string>, t: FaultTarget): boolean {
  if (f.method && f.method.toUpperCase() !== (t.method ?? "").toUpperCase()) return false;
  if (f.match && !t.path.includes(f.match) && !(t.label ?? "").includes(f.match)) return false;
  return true;
}

export type LoggedRequest = {
  at: number;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  operationName?: string;
  status: number;
  fault?: FaultMode;
};

/** `stream` (lines of text, written as they come, with backpressure) replaces `body`: a large file never held whole. */
export type Handled = { status: number; body: unknown; headers?: Record<string, string>; stream?: Iterable<string> | AsyncIterable<string> };

export type Handler = (req: { method: string; url: URL; headers: IncomingMessage["headers"]; body: unknown }) => Handled | Promise<Handled>;

/** A fake's own control endpoints under /__fake/ (e.g. search-lag); undefined = not one of its own. */
export type ControlHandler = (req: { method: string; what: string; raw: string }) => Handled | undefined | Promise<Handled | undefined>;

export type FakeServer = {
  url: string;
  port: number;
  faults: FaultList;
  requests(): LoggedRequest[];
  clearRequests(): void;
  /** Stop listening (clients get ECONNREFUSED) and start again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
};

export type FakeOptions = {
  port?: number;
  /** Extracts a label used by `match` and the log (e.g. the GraphQL operation name). */
  label?: (path: string, body: unknown) => string | undefined;
  authErrorBody: unknown;
  serverErrorBody: unknown;
  onReset?: () => void;
  control?: ControlHandler;
};

/** Answers the /__fake/faults endpoints for any fault list; undefined when `what` is not "faults". */
export async function faultsControl<M extends string>(faults: FaultList<M>, method: string, what: string, raw: string): Promise<Handled | undefined> {
  if (what !== "faults") return undefined;
  try {
    if (method === "POST") return { status: 200, body: { faults: await faults.applyPosted(raw) } };
  } catch (e) {
    if (e instanceof FaultError) return { status: 400, body: { message: e.message } };
    throw e;
  }
  if (method === "DELETE") {
    await faults.clear();
    return { status: 200, body: { faults: [] } };
  }
  return { status: 200, body: { faults: faults.list() } };
}

/**
 * An HTTP server that answers only /__fake/ control requests, for a fake that
 * does not speak HTTP itself (the SMTP server).
 */
export async function startControlServer(control: ControlHandler, port = 0): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const raw = await readBody(req);
    const what = url.pathname.startsWith("/__fake/") ? url.pathname.slice("/__fake/".length) : "";
    const handled = (what && (await control({ method: req.method ?? "GET", what, raw }))) || { status: 404, body: { message: "unknown control endpoint" } };
    res.writeHead(handled.status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(handled.body));
  });
  const bound = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startFakeServer(handler: Handler, opts: FakeOptions): Promise<FakeServer> {
  const faults = new FaultList<FaultMode>(FAULT_MODES);
  let log: LoggedRequest[] = [];
  const sockets = new Set<Socket>();

  const send = (res: ServerResponse, handled: Handled) => {
    if (res.destroyed) return;
    res.writeHead(handled.status, { "Content-Type": "application/json", ...handled.headers });
    if (handled.stream) {
      Readable.from(handled.stream).pipe(res);
      return;
    }
    res.end(typeof handled.body === "string" ? handled.body : JSON.stringify(handled.body));
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const control = async (req: IncomingMessage, url: URL, raw: string): Promise<Handled> => {
    const what = url.pathname.slice("/__fake/".length);
    const method = req.method ?? "GET";
    const own = (await faultsControl(faults, method, what, raw)) ?? (await opts.control?.({ method, what, raw }));
    if (own) return own;
    if (what === "requests" && method === "DELETE") {
      log = [];
      return { status: 200, body: { requests: [] } };
    }
    if (what === "requests") return { status: 200, body: { requests: log } };
    if (what === "reset" && method === "POST") {
      await faults.clear();
      log = [];
      opts.onReset?.();
      return { status: 200, body: { ok: true } };
    }
    return { status: 404, body: { message: "unknown control endpoint" } };
  };

  const run = async (req: IncomingMessage, url: URL, body: unknown): Promise<Handled> => {
    try {
      return await handler({ method: req.method ?? "GET", url, headers: req.headers, body });
    } catch (error) {
      return { status: 500, body: { message: `fake crashed: ${error instanceof Error ? error.message : String(error)}` } };
    }
  };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const raw = await readBody(req);
    if (url.pathname.startsWith("/__fake/")) return send(res, await control(req, url, raw));

    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      /* handlers answer malformed bodies themselves */
    }
    const label = opts.label?.(url.pathname, body);
    const entry: LoggedRequest = {
      at: Date.now(),
      method: req.method ?? "GET",
      path: url.pathname + url.search,
      headers: { ...req.headers },
      body,
      operationName: label,
      status: 0,
    };
    log.push(entry);

    const fault = faults.take({ path: url.pathname, label, method: req.method });
    if (fault) entry.fault = fault.mode;
    switch (fault?.mode) {
      case "down":
        entry.status = -1;
        req.socket.destroy();
        return;
      case "500":
        entry.status = 500;
        return send(res, { status: 500, body: opts.serverErrorBody });
      case "429":
        entry.status = 429;
        return send(res, { status: 429, body: { message: "Too many requests" }, headers: { "Retry-After": String(fault.retryAfter ?? 2) } });
      case "malformed":
        entry.status = 200;
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end('{"data": {"trunc');
        return;
      case "401":
        entry.status = 401;
        return send(res, { status: 401, body: opts.authErrorBody });
      case "slow":
        await sleep(fault.delayMs ?? 30_000);
        if (res.destroyed || req.socket.destroyed) return;
        break;
      case "ghost": {
        // Applied first, whatever happens to the reply.
        const handled = await run(req, url, body);
        entry.status = handled.status;
        if ((fault.lose ?? "drop") === "drop") {
          req.socket.destroy();
          return;
        }
        await sleep(fault.delayMs ?? 30_000);
        return send(res, handled);
      }
    }
    const handled = await run(req, url, body);
    entry.status = handled.status;
    send(res, handled);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
    });
  const port = await listen(opts.port ?? 0);
  const shutdown = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });

  const api: FakeServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    faults,
    requests: () => log,
    clearRequests: () => {
      log = [];
    },
    stop: shutdown,
    start: async () => {
      await listen(port);
    },
    close: shutdown,
  };
  return api;
}
