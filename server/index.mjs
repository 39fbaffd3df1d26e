// The production HTTP server (`npm start`): remix-serve's setup (compression,
// immutable assets, the Remix handler), but with our own request log, because
// remix-serve's logs every URL whole — and embedded-app URLs carry the session
// token (`id_token`) and Shopify's `hmac`. See server/redact.mjs.
import { createRequestHandler } from "@remix-run/express";
import { installGlobals } from "@remix-run/node";
import compression from "compression";
import express from "express";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { requestLogLine } from "./redact.mjs";

process.env.NODE_ENV = process.env.NODE_ENV ?? "production";
const buildPath = resolve(process.argv[2] ?? "build/server/index.js");
const build = await import(pathToFileURL(buildPath).href);
installGlobals({ nativeFetch: build.future.v3_singleFetch });

const level = process.env.LOG_LEVEL ?? "info";
const logRequests = level === "debug" || level === "info";

const app = express();
app.disable("x-powered-by");
app.use(compression());
app.use(build.publicPath, express.static(build.assetsBuildDirectory, { immutable: true, maxAge: "1y" }));
app.use(express.static("public", { maxAge: "1h" }));
// Request durations for GET /metrics (app/metrics.server.ts, reached through the build's entry module).
const observeHttp = build.entry?.module?.observeHttpRequest;
if (typeof observeHttp === "function") {
  app.use((req, res, next) => {
    const started = performance.now();
    res.on("finish", () => observeHttp(req.method, req.path, res.statusCode, (performance.now() - started) / 1000));
    next();
  });
}
if (logRequests) {
  app.use((req, res, next) => {
    const started = performance.now();
    res.on("finish", () => console.log(requestLogLine({ method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(performance.now() - started) })));
    next();
  });
}
app.all("*", createRequestHandler({ build, mode: process.env.NODE_ENV }));

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST;
const onListen = () => console.log(JSON.stringify({ at: new Date().toISOString(), level: "info", component: "http", event: "listening", port, host: host ?? null }));
const server = host ? app.listen(port, host, onListen) : app.listen(port, onListen);
// The sync worker's own SIGTERM handler (app/boot.server.ts) drains and exits.
for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, () => server.close());
