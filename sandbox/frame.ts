// A local stand-in for the Shopify Admin around an embedded app: a page per
// shop with the app's navigation, the app in an iframe opened with a valid
// session token, /id-token for fresh tokens, and /app-bridge.js (the stub).
// Sandbox tools beside the navigation: send an orders/create webhook as a
// checkout would (/sandbox/orders), and read the alert emails (/sandbox/mail).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { appBridgeStub } from "./app-bridge-stub";
import { sessionToken } from "./jwt";

export type FrameOptions = {
  port: number;
  appUrl: string;
  apiKey: string;
  apiSecret: string;
  shops: { domain: string; label: string }[];
  /** Simulates a checkout: sends orders/create for `email` with this subtotal. */
  sendOrder?: (shop: string, email: string, subtotal: string) => Promise<{ status: number; body: unknown }>;
  /** The emails the app sent (the sandbox's SMTP server). */
  mail?: () => { to: string[]; subject: string; text: string }[];
};

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function embeddedAppUrl(opts: Pick<FrameOptions, "appUrl" | "apiKey" | "apiSecret">, shop: string, path = "/app") {
  const url = new URL(path, opts.appUrl);
  url.searchParams.set("embedded", "1");
  url.searchParams.set("shop", shop);
  url.searchParams.set("host", Buffer.from(`admin.shopify.com/store/${shop.replace(".myshopify.com", "")}`).toString("base64url"));
  url.searchParams.set("locale", "en");
  url.searchParams.set("id_token", sessionToken({ shop, apiKey: opts.apiKey, apiSecret: opts.apiSecret }));
  return url.toString();
}

function adminPage(opts: FrameOptions, shop: string, path: string) {
  const others = opts.shops.map((s) => `<a href="/admin/${esc(s.domain)}"${s.domain === shop ? ' aria-current="page"' : ""}>${esc(s.label)}</a>`).join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sandbox admin · ${esc(shop)}</title>
<style>
  body{margin:0;font:14px system-ui,sans-serif;display:grid;grid-template-columns:240px 1fr;grid-template-rows:48px 1fr;height:100vh;background:#f1f1f1}
  header{grid-column:1/3;background:#1a1a1a;color:#fff;display:flex;align-items:center;gap:16px;padding:0 16px}
  header a{color:#bbb;text-decoration:none}header a[aria-current]{color:#fff;font-weight:600}
  body>nav{padding:12px;border-right:1px solid #ddd;background:#ebebeb}
  body>nav h2{font-size:13px;margin:8px 0;color:#555}body>nav a{display:block;padding:6px 8px;border-radius:6px;color:#303030;text-decoration:none}
  body>nav a.active{background:#fff;font-weight:600}
  #tools{margin-top:24px;border-top:1px solid #ddd;padding-top:8px}#tools label{display:block;margin:6px 0 2px;color:#555;font-size:12px}
  #tools input{width:100%;box-sizing:border-box;padding:4px}#tools button{margin-top:6px}#order-result{margin:6px 0;font-size:12px;white-space:pre-wrap}
  main{display:flex;flex-direction:column}
  #title-bar{display:flex;align-items:center;gap:8px;padding:8px 16px;min-height:32px}
  #title-bar h1{margin:0;font-weight:600;font-size:16px;flex:1}#breadcrumb button{border:0;background:none;color:#005bd3;cursor:pointer;font:inherit;padding:0}
  #title-actions{display:flex;gap:8px}#title-actions button{padding:6px 12px;border-radius:8px;border:1px solid #ccc;background:#fff;cursor:pointer}
  #title-actions button.primary{background:#303030;color:#fff;border-color:#303030}
  iframe{flex:1;border:0;background:#fff;position:relative;z-index:2}
  #shade{display:none;position:fixed;inset:0;background:rgba(0,0,0,.5);z-index:1}body.modal-open #shade{display:block}
</style></head><body>
<header><strong>Sandbox Shopify admin</strong>${others}</header>
<nav aria-label="App navigation"><h2>Club Tiers</h2><div id="app-nav"></div>
<section id="tools" aria-label="Sandbox tools"><h2>Sandbox</h2>
<form id="order-form"><strong>Simulate a checkout</strong>
<label for="order-email">Customer email</label><input id="order-email" name="email" type="email" required>
<label for="order-subtotal">Subtotal (USD)</label><input id="order-subtotal" name="subtotal" value="100.00" required>
<button type="submit">Send orders/create</button></form>
<div id="order-result" role="status" data-testid="order-result"></div>
<a href="/sandbox/mail" target="_blank">Alert emails sent</a></section></nav>
<main><div id="title-bar" data-testid="admin-title-bar"><nav id="breadcrumb" aria-label="Breadcrumb"></nav><h1 id="title" data-testid="admin-title"></h1><div id="title-actions" role="group" aria-label="Page actions"></div></div>
<iframe id="app" title="Club Tiers" src="${esc(embeddedAppUrl(opts, shop, path))}"></iframe></main><div id="shade"></div>
<script>
  const APP = ${JSON.stringify(new URL(opts.appUrl).origin)};
  const frame = document.getElementById("app");
  const nav = document.getElementById("app-nav");
  document.getElementById("order-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const out = document.getElementById("order-result");
    out.textContent = "Sending…";
    const form = new FormData(e.target);
    const res = await fetch("/sandbox/orders", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ shop: ${JSON.stringify(shop)}, email: form.get("email"), subtotal: form.get("subtotal") }) });
    const { status, body } = await res.json();
    out.textContent = status === 200 ? describe(body) : "HTTP " + status + ": " + JSON.stringify(body);
  });
  // What the admin draws from the app's <ui-title-bar>: a breadcrumb, the
  // title, the secondary actions and the primary one; a click is sent back to
  // the app, which clicks its own element.
  function renderTitleBar(bar) {
    document.getElementById("title").textContent = bar ? bar.title : "";
    const crumbs = [], actions = [];
    (bar ? bar.actions : []).forEach((action, index) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = action.label;
      b.disabled = action.disabled;
      if (action.variant === "primary") b.className = "primary";
      b.addEventListener("click", () => frame.contentWindow.postMessage({ type: "title-bar-action", index: index, label: action.label }, APP));
      if (action.variant === "breadcrumb") crumbs.push(b);
      else actions.push(b);
    });
    actions.sort((a, b) => (a.className === "primary") - (b.className === "primary"));
    document.getElementById("breadcrumb").replaceChildren(...crumbs.flatMap((b) => [b, document.createTextNode(" › ")]));
    document.getElementById("title-actions").replaceChildren(...actions);
  }
  function describe(r) {
    if (r.status === "recorded") return "Recorded $" + (r.amountCents / 100).toFixed(2) + " (12-month spend $" + (r.spendCents / 100).toFixed(2) + "); membership: " + r.membership;
    return r.status + (r.reason ? " (" + r.reason + ")" : "");
  }
  window.addEventListener("message", (event) => {
    if (event.origin !== APP || !event.data) return;
    if (event.data.type === "modal") document.body.classList.toggle("modal-open", !!event.data.open);
    if (event.data.type === "app-state") {
      renderTitleBar(event.data.titleBar);
      // Keep the admin URL on the app's current page, so a reload stays there
      // (the admin then opens that page with a fresh session token).
      const appUrl = new URL(event.data.path, APP);
      for (const p of ["embedded", "id_token", "shop", "host", "locale", "hmac", "timestamp", "session"]) appUrl.searchParams.delete(p);
      const sub = appUrl.pathname.startsWith("/app") ? appUrl.pathname.slice(4) : appUrl.pathname;
      history.replaceState(null, "", "/admin/" + ${JSON.stringify(shop)} + sub + appUrl.search);
      nav.replaceChildren(...event.data.links.map((link) => {
        const a = document.createElement("a");
        a.href = "#"; a.textContent = link.label; a.dataset.href = link.href;
        const here = event.data.path.split("?")[0];
        if (here === link.href || (link.rel !== "home" && here.startsWith(link.href))) a.className = "active";
        a.addEventListener("click", (e) => { e.preventDefault(); frame.contentWindow.postMessage({ type: "navigate", href: link.href }, APP); });
        return a;
      }));
    }
  });
</script></body></html>`;
}

export async function startFrameServer(opts: FrameOptions): Promise<{ url: string; close: () => Promise<void> }> {
  let frameOrigin = "";
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const appOrigin = new URL(opts.appUrl).origin;
    if (url.pathname === "/app-bridge.js") {
      res.writeHead(200, { "Content-Type": "text/javascript", "Access-Control-Allow-Origin": "*" });
      return res.end(appBridgeStub(frameOrigin));
    }
    if (url.pathname === "/id-token") {
      const shop = url.searchParams.get("shop") ?? "";
      if (!opts.shops.some((s) => s.domain === shop)) {
        res.writeHead(404, { "Access-Control-Allow-Origin": appOrigin });
        return res.end();
      }
      res.writeHead(200, { "Content-Type": "application/json", "Access-Control-Allow-Origin": appOrigin });
      return res.end(JSON.stringify({ token: sessionToken({ shop, apiKey: opts.apiKey, apiSecret: opts.apiSecret }) }));
    }
    if (url.pathname === "/sandbox/orders" && req.method === "POST" && opts.sendOrder) {
      let raw = "";
      req.on("data", (c: Buffer) => (raw += c.toString("utf8")));
      req.on("end", () => {
        const { shop, email, subtotal } = JSON.parse(raw || "{}") as { shop?: string; email?: string; subtotal?: string };
        const send = shop && email && subtotal && opts.shops.some((s) => s.domain === shop) ? opts.sendOrder!(shop, email, subtotal) : Promise.resolve({ status: 400, body: "shop, email and subtotal are required" });
        send
          .then((result) => {
            res.writeHead(200, { "Content-Type": "application/json" });
            res.end(JSON.stringify(result));
          })
          .catch((error: unknown) => {
            res.writeHead(500, { "Content-Type": "application/json" });
            res.end(JSON.stringify({ status: 500, body: String(error) }));
          });
      });
      return;
    }
    if (url.pathname === "/sandbox/mail") {
      const mails = opts.mail?.() ?? [];
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      return res.end(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Alert emails</title></head><body style="font:14px system-ui;margin:24px">` +
          `<h1>Alert emails (${mails.length})</h1>` +
          (mails.length ? "" : "<p>None yet. A sync that fails permanently sends one to the shop's alert email.</p>") +
          mails.map((m) => `<article><h2>${esc(m.subject)}</h2><p>To: ${esc(m.to.join(", "))}</p><pre>${esc(m.text)}</pre></article>`).join("") +
          "</body></html>",
      );
    }
    const m = /^\/admin\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (m && opts.shops.some((s) => s.domain === m[1])) {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      return res.end(adminPage(opts, m[1]!, `/app${m[2] && m[2] !== "/" ? m[2] : ""}${url.search}`));
    }
    if (url.pathname === "/") {
      res.writeHead(302, { Location: `/admin/${opts.shops[0]!.domain}` });
      return res.end();
    }
    res.writeHead(404);
    res.end("not found");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, "127.0.0.1", () => resolve());
  });
  frameOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: frameOrigin, close: () => new Promise((r) => server.close(() => r())) };
}
