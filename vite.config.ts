import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig, type Plugin, type UserConfig } from "vite";
import tsconfigPaths from "vite-tsconfig-paths";

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}

// `shopify app dev` passes the public tunnel URL as SHOPIFY_APP_URL; HMR must
// go through it when the app is embedded in the Shopify admin.
const appUrl = new URL(process.env.SHOPIFY_APP_URL || "http://localhost");
const hmr =
  appUrl.hostname === "localhost"
    ? { protocol: "ws", host: "localhost", port: 64999, clientPort: 64999 }
    : { protocol: "wss", host: appUrl.hostname, port: Number(process.env.FRONTEND_PORT) || 8002, clientPort: 443 };

// In `vite dev` (what `shopify app dev` runs, see shopify.web.toml), Vite's SSR
// module runner resolves an external bare import from its own folder, where the
// package's "#prisma/*" subpath imports don't exist. Each generated client is
// CommonJS, so it cannot be inlined either: serve a small ESM module that loads
// it with a require() rooted in this package. The build keeps them external.
const PRISMA_CLIENTS = ["#prisma/sqlite", "#prisma/postgresql"];
const prismaClientsInDev: Plugin = {
  name: "club-tiers:prisma-clients-in-dev",
  apply: "serve",
  enforce: "pre",
  config(config) {
    if (config.ssr && Array.isArray(config.ssr.external)) config.ssr.external = config.ssr.external.filter((id) => !PRISMA_CLIENTS.includes(id));
  },
  resolveId(id, _importer, options) {
    return options?.ssr && PRISMA_CLIENTS.includes(id) ? `\0${id}` : undefined;
  },
  load(id) {
    const client = PRISMA_CLIENTS.find((c) => id === `\0${c}`);
    if (!client) return undefined;
    const anchor = JSON.stringify(new URL("./package.json", import.meta.url).href);
    return `import { createRequire } from "node:module";\nconst m = createRequire(${anchor})(${JSON.stringify(client)});\nexport const { PrismaClient, Prisma } = m;\nexport default m;\n`;
  },
};

export default defineConfig({
  server: {
    allowedHosts: [appUrl.hostname],
    cors: { preflightContinue: true },
    port: Number(process.env.PORT || 3000),
    hmr,
    fs: { allow: ["app", "node_modules"] },
  },
  plugins: [
    prismaClientsInDev,
    remix({
      ignoredRouteFiles: ["**/.*", "**/*.test.ts", "**/*.test.tsx"],
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_lazyRouteDiscovery: true,
        v3_singleFetch: true,
        v3_routeConfig: true,
      },
    }),
    tsconfigPaths(),
  ],
  build: {
    assetsInlineLimit: 0,
    // The generated Prisma clients load wasm from their own folders at run time:
    // never bundle them.
    rollupOptions: { external: PRISMA_CLIENTS },
  },
  ssr: { external: [...PRISMA_CLIENTS] },
  optimizeDeps: { include: ["@shopify/app-bridge-react", "@shopify/polaris"] },
}) satisfies UserConfig;
