// What App Bridge's CDN script provides an embedded app, for the offline
// sandbox: `window.shopify` (idToken, toast, modal), session tokens on the
// app's own fetches, the nav menu and the title bar (title and actions)
// reported to the framing page, which draws them, and `ui-modal` drawn as a
// dialog. Served by the frame server as /app-bridge.js.
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
    modal: {
      show: async (id) => { const m = document.getElementById(id); if (m && m.show) await m.show(); },
      hide: async (id) => { const m = document.getElementById(id); if (m && m.hide) await m.hide(); },
      toggle: async (id) => { const m = document.getElementById(id); if (m && m.toggle) await m.toggle(); },
    },
    saveBar: { show: async () => {}, hide: async () => {}, toggle: async () => {} },
  };

  // A title bar's actions: its button and anchor children, and those of its
  // <section> groups, in document order.
  function barActions(bar) {
    const out = [];
    for (const child of Array.from(bar.children)) {
      if (child.tagName === "SECTION") out.push(...Array.from(child.children).filter((c) => c.tagName === "A" || c.tagName === "BUTTON"));
      else if (child.tagName === "A" || child.tagName === "BUTTON") out.push(child);
    }
    return out;
  }
  function describeAction(el) {
    return {
      label: (el.textContent || "").trim(),
      variant: el.getAttribute("variant") || null,
      tone: el.getAttribute("tone") || null,
      disabled: el.hasAttribute("disabled"),
      href: el.tagName === "A" ? el.getAttribute("href") : null,
    };
  }
  // The page's title bar, not one that configures a modal.
  function pageTitleBar() {
    return Array.from(document.querySelectorAll("ui-title-bar")).find((el) => !el.closest("ui-modal")) || null;
  }

  // App Bridge's web components. The admin draws the menu, the title bar and
  // modals, so the elements themselves render nothing inside the app.
  for (const name of ["ui-nav-menu", "ui-title-bar", "ui-save-bar"]) {
    if (!customElements.get(name)) {
      customElements.define(name, class extends HTMLElement {
        connectedCallback() { this.style.display = "none"; }
      });
    }
  }

  // ui-modal: \`content\` is where App Bridge's React <Modal> portals its
  // children; show() draws them in a dialog over the app, with the modal's own
  // <ui-title-bar> as the dialog's heading and its buttons as the footer (a
  // click on a footer button clicks the app's button, as App Bridge does).
  // Shopify draws this over the whole admin; here the app's part is drawn in
  // the frame and the admin page shades the rest.
  if (!customElements.get("ui-modal")) {
    customElements.define("ui-modal", class extends HTMLElement {
      connectedCallback() { this.style.display = "none"; }
      disconnectedCallback() { this.hide(); }
      get content() {
        if (!this._content) this._content = document.createElement("div");
        return this._content;
      }
      async show() {
        if (this._overlay) return;
        const overlay = document.createElement("div");
        overlay.style.cssText = "position:fixed;inset:0;background:rgba(0,0,0,.5);z-index:99990;display:flex;align-items:flex-start;justify-content:center;padding-top:10vh";
        const dialog = document.createElement("div");
        const titleId = "ui-modal-title-" + Math.random().toString(36).slice(2);
        dialog.setAttribute("role", "dialog");
        dialog.setAttribute("aria-modal", "true");
        dialog.setAttribute("aria-labelledby", titleId);
        dialog.dataset.testid = "app-bridge-modal";
        dialog.style.cssText = "background:#fff;border-radius:12px;min-width:420px;max-width:620px;box-shadow:0 8px 32px rgba(0,0,0,.3);font:14px system-ui";
        const header = document.createElement("div");
        header.style.cssText = "display:flex;align-items:center;justify-content:space-between;padding:12px 16px;border-bottom:1px solid #e3e3e3;background:#f7f7f7;border-radius:12px 12px 0 0";
        const heading = document.createElement("h2");
        heading.id = titleId;
        heading.style.cssText = "margin:0;font-size:14px;font-weight:650";
        const close = document.createElement("button");
        close.type = "button";
        close.setAttribute("aria-label", "Close");
        close.textContent = "\u00d7";
        close.style.cssText = "border:0;background:none;font-size:20px;cursor:pointer";
        close.addEventListener("click", () => this.hide());
        header.append(heading, close);
        const footer = document.createElement("div");
        footer.style.cssText = "display:flex;justify-content:flex-end;gap:8px;padding:12px 16px;border-top:1px solid #e3e3e3";
        dialog.append(header, this.content, footer);
        overlay.appendChild(dialog);
        overlay.addEventListener("keydown", (e) => { if (e.key === "Escape") this.hide(); });
        this._overlay = overlay;
        this._parts = { heading: heading, footer: footer };
        this._render();
        this._observer = new MutationObserver(() => this._render());
        this._observer.observe(this, { subtree: true, childList: true, attributes: true, characterData: true });
        document.body.appendChild(overlay);
        const first = dialog.querySelector("input, select, textarea");
        if (first) first.focus();
        window.parent.postMessage({ type: "modal", open: true }, FRAME);
        this.dispatchEvent(new Event("show"));
      }
      async hide() {
        if (!this._overlay) return;
        this._observer.disconnect();
        this._overlay.remove();
        this._overlay = null;
        window.parent.postMessage({ type: "modal", open: false }, FRAME);
        this.dispatchEvent(new Event("hide"));
      }
      async toggle() { return this._overlay ? this.hide() : this.show(); }
      _render() {
        const bar = Array.from(this.children).find((c) => c.tagName === "UI-TITLE-BAR");
        this._parts.heading.textContent = (bar && bar.getAttribute("title")) || "";
        const actions = bar ? barActions(bar) : [];
        // Secondary actions first, the primary one last (rightmost), as Shopify lays them out.
        actions.sort((a, b) => (a.getAttribute("variant") === "primary") - (b.getAttribute("variant") === "primary"));
        this._parts.footer.replaceChildren(...actions.map((el) => {
          const d = describeAction(el);
          const b = document.createElement("button");
          b.type = "button";
          b.textContent = d.label;
          b.disabled = d.disabled;
          const bg = d.variant === "primary" ? (d.tone === "critical" ? "#c70a24" : "#303030") : "#fff";
          b.style.cssText = "padding:6px 12px;border-radius:8px;border:1px solid #ccc;cursor:pointer;background:" + bg + ";color:" + (d.variant === "primary" ? "#fff" : "#303030");
          b.addEventListener("click", () => el.click());
          return b;
        }));
      }
    });
  }

  function report() {
    const links = Array.from(document.querySelectorAll("ui-nav-menu a")).map((a) => ({
      href: a.getAttribute("href"),
      label: (a.textContent || "").trim(),
      rel: a.getAttribute("rel"),
    }));
    const bar = pageTitleBar();
    const titleBar = bar ? { title: bar.getAttribute("title") || "", actions: barActions(bar).map(describeAction) } : null;
    window.parent.postMessage({ type: "app-state", links: links, titleBar: titleBar, path: location.pathname + location.search }, FRAME);
  }
  let pending = 0;
  new MutationObserver(() => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(report);
  }).observe(document.documentElement, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["title", "href", "disabled", "variant", "tone"] });
  addEventListener("DOMContentLoaded", report);

  // The admin's navigation asks the app to route, as App Bridge does.
  // A click on a title bar action in the admin clicks the app's element (a
  // Remix <Link> then routes, a <button> runs its handler), as App Bridge does.
  addEventListener("message", (event) => {
    if (event.origin !== FRAME || !event.data) return;
    if (event.data.type === "title-bar-action") {
      const bar = pageTitleBar();
      const el = bar ? barActions(bar)[event.data.index] : undefined;
      if (el && !el.hasAttribute("disabled") && (el.textContent || "").trim() === event.data.label) el.click();
      return;
    }
    if (event.data.type !== "navigate") return;
    const a = document.createElement("a");
    a.setAttribute("href", event.data.href);
    document.body.appendChild(a);
    a.dispatchEvent(new Event("shopify:navigate", { bubbles: true }));
    a.remove();
  });
})();
`;
}
