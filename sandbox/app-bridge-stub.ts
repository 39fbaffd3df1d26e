// What App Bridge's CDN script provides an embedded app, for the offline
// sandbox: `window.shopify` (idToken, toast, modal no-ops), session tokens on
// the app's own fetches, and the nav menu and title bar reported to the framing
// page. Served by the frame server as /app-bridge.js.
export function appBridgeStub(frameOrigin: string): string {
  return `(() => {
  "use strict";
  const FRAME = ${JSON.stringify(frameOrigin)};
  const script = document.currentScript;
  const params = new URLSearchParams(location.search);
  const shop = params.get("shop") || sessionStorage.getItem("sandbox-shop") || "";
  if (shop) sessionStorage.setItem("sandbox-shop", shop);
  const originalFetch = window.fetch.bind(window);
  let token = params.get("id_token");
  let tokenAt = token ? Date.now() : 0;

  async function idToken() {
    if (!token || Date.now() - tokenAt > 30000) {
      const res = await originalFetch(FRAME + "/id-token?shop=" + encodeURIComponent(shop));
      token = (await res.json()).token;
      tokenAt = Date.now();
    }
    return token;
  }

  // Like App Bridge: same-origin requests carry the session token.
  window.fetch = async (input, init) => {
    const url = new URL(typeof input === "string" || input instanceof URL ? String(input) : input.url, location.href);
    if (url.origin === location.origin) {
      const headers = new Headers((init && init.headers) || (input instanceof Request ? input.headers : undefined));
      if (!headers.has("Authorization")) headers.set("Authorization", "Bearer " + (await idToken()));
      init = Object.assign({}, init, { headers });
    }
    return originalFetch(input, init);
  };

  function showToast(message, opts) {
    let box = document.getElementById("sandbox-toast");
    if (!box) {
      box = document.createElement("div");
      box.id = "sandbox-toast";
      box.setAttribute("role", "status");
      box.setAttribute("data-testid", "toast");
      box.style.cssText = "position:fixed;bottom:24px;left:50%;transform:translateX(-50%);background:#303030;color:#fff;padding:10px 16px;border-radius:8px;z-index:99999;font:14px system-ui";
      document.body.appendChild(box);
    }
    box.textContent = message;
    if (opts && opts.isError) box.style.background = "#8e1f0b";
    window.parent.postMessage({ type: "toast", message: message }, FRAME);
    clearTimeout(showToast.timer);
    showToast.timer = setTimeout(() => box && box.remove(), (opts && opts.duration) || 5000);
  }

  window.shopify = {
    config: { apiKey: script && script.dataset.apiKey, shop: shop, host: params.get("host") },
    environment: { embedded: true, mobile: false, pos: false },
    idToken: idToken,
    toast: { show: showToast, hide: () => {} },
    loading: () => {},
    modal: { show: async () => {}, hide: async () => {}, toggle: async () => {} },
    saveBar: { show: async () => {}, hide: async () => {}, toggle: async () => {} },
  };

  // App Bridge's web components: the admin draws the menu and the title bar,
  // so inside the app they render nothing.
  for (const name of ["ui-nav-menu", "ui-title-bar", "ui-save-bar"]) {
    if (!customElements.get(name)) {
      customElements.define(name, class extends HTMLElement {
        connectedCallback() { this.style.display = "none"; }
      });
    }
  }

  function report() {
    const links = Array.from(document.querySelectorAll("ui-nav-menu a")).map((a) => ({
      href: a.getAttribute("href"),
      label: (a.textContent || "").trim(),
      rel: a.getAttribute("rel"),
    }));
    const bar = document.querySelector("ui-title-bar");
    window.parent.postMessage({ type: "app-state", links: links, title: bar ? bar.getAttribute("title") : null, path: location.pathname + location.search }, FRAME);
  }
  let pending = 0;
  new MutationObserver(() => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(report);
  }).observe(document.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ["title", "href"] });
  addEventListener("DOMContentLoaded", report);

  // The admin's navigation asks the app to route, as App Bridge does.
  addEventListener("message", (event) => {
    if (event.origin !== FRAME || !event.data || event.data.type !== "navigate") return;
    const a = document.createElement("a");
    a.setAttribute("href", event.data.href);
    document.body.appendChild(a);
    a.dispatchEvent(new Event("shopify:navigate", { bubbles: true }));
    a.remove();
  });
})();
`;
}
