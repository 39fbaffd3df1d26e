import { PassThrough } from "node:stream";
import { createReadableStreamFromReadable, type EntryContext, type HandleDataRequestFunction, type HandleErrorFunction } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { addDocumentResponseHeaders } from "./shopify.server";
import { startBackgroundWork } from "./boot.server";
import { databaseUnavailableResponse, isDatabaseUnavailable } from "./db.server";
import { env } from "./env.server";
import { log } from "./log.server";

// server/index.mjs reaches the HTTP metric through the build's entry module.
export { observeHttpRequest } from "./metrics.server";

export const streamTimeout = 5000;

// Importing this module means a real server is running (dev or production),
// so this is where the queue worker and periodic jobs start, once per process.
startBackgroundWork();

// Requests whose loader or action met an unavailable database (SQLite locked
// by another process, PostgreSQL unreachable). Remix reports every such error
// to handleError first; the response is then replaced by a short 503, for
// documents (handleRequest) and data requests (handleDataRequest) alike, so a
// busy database is never a 500. Resource routes answer for themselves
// (webhooks.server.ts, health).
const unavailable = new WeakSet<Request>();

export const handleError: HandleErrorFunction = (error, { request }) => {
  if (isDatabaseUnavailable(error)) {
    unavailable.add(request);
    log("app", "warn", "database_unavailable", { path: new URL(request.url).pathname, error: error instanceof Error ? error.message.split("\n").pop() : String(error) });
    return;
  }
  if (!request.signal.aborted) console.error(error);
};

export const handleDataRequest: HandleDataRequestFunction = (response, { request }) =>
  unavailable.has(request) ? databaseUnavailableResponse() : response;

export default async function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
) {
  if (unavailable.has(request)) return databaseUnavailableResponse();
  addDocumentResponseHeaders(request, responseHeaders);
  if (env.SANDBOX_FRAME_ORIGIN) allowSandboxFrame(responseHeaders, env.SANDBOX_FRAME_ORIGIN);
  const callbackName = isbot(request.headers.get("user-agent") ?? "") ? "onAllReady" : "onShellReady";

  return new Promise((resolve, reject) => {
    const { pipe, abort } = renderToPipeableStream(<RemixServer context={remixContext} url={request.url} />, {
      [callbackName]: () => {
        const body = new PassThrough();
        const stream = createReadableStreamFromReadable(body);
        responseHeaders.set("Content-Type", "text/html");
        resolve(new Response(stream, { headers: responseHeaders, status: responseStatusCode }));
        pipe(body);
      },
      onShellError(error) {
        reject(error);
      },
      onError(error) {
        responseStatusCode = 500;
        console.error(error);
      },
    });
    setTimeout(abort, streamTimeout + 1000);
  });
}

// The sandbox's stand-in admin page frames the app from a local origin, which
// Shopify's frame-ancestors policy would otherwise refuse. Only set in the sandbox.
function allowSandboxFrame(headers: Headers, origin: string) {
  const csp = headers.get("Content-Security-Policy");
  const frameAncestors = `frame-ancestors ${new URL(origin).origin}`;
  headers.set(
    "Content-Security-Policy",
    csp && /frame-ancestors/.test(csp) ? csp.replace(/frame-ancestors([^;]*)/, `frame-ancestors$1 ${new URL(origin).origin}`) : frameAncestors,
  );
}
