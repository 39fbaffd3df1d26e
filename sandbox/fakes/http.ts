// Shared plumbing for the platform fakes: an HTTP server on 127.0.0.1 with
// fault injection, a request log, and a control API under /__fake/.
//
// Faults (per server, matched in order, each for the next `times` requests or
// until cleared):
//   down       the socket is destroyed without an answer (the client sees a reset);
//              `stop()` closes the listener for a true "connection refused"
//   500        HTTP 500 with a JSON error body
//   429        HTTP 429 with `Retry-After: <retryAfter>` seconds
//   slow       the real answer, `delayMs` late (set it above the client's timeout)
//   malformed  HTTP 200 with a truncated, non-JSON body
//   401        HTTP 401 with the platform's auth error body
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type FaultMode = "down" | "500" | "429" | "slow" | "malformed" | "401";

export type Fault = {
  mode: FaultMode;
  /** Apply to the next N matching requests; omitted = until cleared. */
  times?: number;
  /** Only requests whose path (or GraphQL operation name) contains this. */
  match?: string;
  retryAfter?: number;
  delayMs?: number;
};

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

export type Handled = { status: number; body: unknown; headers?: Record<string, string> };

export type Handler = (req: { method: string; url: URL; headers: IncomingMessage["headers"]; body: unknown }) => Handled | Promise<Handled>;

export type FakeServer = {
  url: string;
  port: number;
  faults: { add(fault: Fault): void; clear(): void; list(): Fault[] };
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
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startFakeServer(handler: Handler, opts: FakeOptions): Promise<FakeServer> {
  let faults: (Fault & { remaining?: number })[] = [];
  let log: LoggedRequest[] = [];
  const sockets = new Set<Socket>();

  const takeFault = (label: string): Fault | undefined => {
    const i = faults.findIndex((f) => !f.match || label.includes(f.match));
    if (i < 0) return undefined;
    const f = faults[i]!;
    if (f.remaining !== undefined && --f.remaining <= 0) faults.splice(i, 1);
    return f;
  };

  const send = (res: ServerResponse, handled: Handled) => {
    res.writeHead(handled.status, { "Content-Type": "application/json", ...handled.headers });
    res.end(typeof handled.body === "string" ? handled.body : JSON.stringify(handled.body));
  };

  const control = async (req: IncomingMessage, url: URL, raw: string): Promise<Handled> => {
    const what = url.pathname.slice("/__fake/".length);
    if (what === "faults" && req.method === "POST") {
      const body = JSON.parse(raw || "{}") as Fault | { faults: Fault[] };
      for (const f of "faults" in body ? body.faults : [body]) api.faults.add(f);
      return { status: 200, body: { faults: api.faults.list() } };
    }
    if (what === "faults" && req.method === "DELETE") {
      api.faults.clear();
      return { status: 200, body: { faults: [] } };
    }
    if (what === "faults") return { status: 200, body: { faults: api.faults.list() } };
    if (what === "requests" && req.method === "DELETE") {
      log = [];
      return { status: 200, body: { requests: [] } };
    }
    if (what === "requests") return { status: 200, body: { requests: log } };
    if (what === "reset" && req.method === "POST") {
      faults = [];
      log = [];
      opts.onReset?.();
      return { status: 200, body: { ok: true } };
    }
    return { status: 404, body: { message: "unknown control endpoint" } };
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
    const label = opts.label?.(url.pathname, body) ?? url.pathname;
    const entry: LoggedRequest = {
      at: Date.now(),
      method: req.method ?? "GET",
      path: url.pathname + url.search,
      headers: { ...req.headers },
      body,
      operationName: opts.label?.(url.pathname, body),
      status: 0,
    };
    log.push(entry);

    const fault = takeFault(label);
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
        await new Promise((r) => setTimeout(r, fault.delayMs ?? 30_000));
        if (res.destroyed || req.socket.destroyed) return;
        break;
    }
    try {
      const handled = await handler({ method: req.method ?? "GET", url, headers: req.headers, body });
      entry.status = handled.status;
      send(res, handled);
    } catch (error) {
      entry.status = 500;
      send(res, { status: 500, body: { message: `fake crashed: ${error instanceof Error ? error.message : String(error)}` } });
    }
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
    faults: {
      add: (f) => faults.push({ ...f, remaining: f.times }),
      clear: () => {
        faults = [];
      },
      list: () => faults.map(({ remaining, ...f }) => ({ ...f, times: remaining })),
    },
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
