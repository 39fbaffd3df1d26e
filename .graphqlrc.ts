// Typed Admin GraphQL, as in Shopify's app template: @shopify/api-codegen-preset
// reads every `#graphql` document under app/ and writes app/types/admin.types.d.ts
// (the schema's types) and app/types/admin.generated.d.ts (each document's
// result and variables, keyed by the document's text, added to AdminQueries and
// AdminMutations in app/integrations/shopify/admin-operations.ts).
// ShopifyAdmin.request accepts only those documents (admin.server.ts).
//
// Offline by construction: the schema is the Admin API introspection that ships
// gzipped in @shopify/dev-mcp, unpacked into generated/ (git-ignored) when this
// config loads; the preset's remote schema is replaced, and the config refuses
// to load if any URL is left in it.
//
// `npm run graphql:codegen` regenerates; `npm run graphql:check` (CI) fails when
// the committed types are stale. GRAPHQL_TYPES_DIR writes them elsewhere (the check).
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { gunzipSync } from "node:zlib";
import { ApiType, shopifyApiProject } from "@shopify/api-codegen-preset";
import { ADMIN_API_VERSION } from "./app/integrations/shopify/api-version";

const ROOT = import.meta.dirname;
const SOURCE = join(ROOT, "node_modules/@shopify/dev-mcp/dist/data", `admin_${ADMIN_API_VERSION}.json.gz`);
const SCHEMA = join(ROOT, "generated/shopify", `admin_${ADMIN_API_VERSION}.json`);
const OUTPUT = process.env.GRAPHQL_TYPES_DIR ?? "./app/types";

function unpackSchema() {
  if (!existsSync(SOURCE)) throw new Error(`No Admin API ${ADMIN_API_VERSION} schema in @shopify/dev-mcp (${SOURCE}).`);
  const json = gunzipSync(readFileSync(SOURCE));
  if (existsSync(SCHEMA) && readFileSync(SCHEMA).equals(json)) return;
  mkdirSync(dirname(SCHEMA), { recursive: true });
  writeFileSync(SCHEMA, json);
}

type Target = { schema?: unknown; plugins?: string[] };

function offline<P extends { schema: unknown; extensions: { codegen: { generates: Record<string, Target> } } }>(project: P): P {
  const schema = relative(process.cwd(), SCHEMA);
  project.schema = schema;
  const generates = project.extensions.codegen.generates;
  for (const [file, target] of Object.entries(generates)) {
    // The preset's own step that would download the schema into OUTPUT.
    if (target.plugins?.includes("introspection")) delete generates[file];
    else target.schema = schema;
  }
  const remote = /\bhttps?:\/\//.exec(JSON.stringify(project));
  if (remote) throw new Error(`.graphqlrc.ts: the codegen config still names a remote resource (${remote[0]}…); it must stay offline.`);
  return project;
}

unpackSchema();

export default {
  projects: {
    default: offline(
      shopifyApiProject({
        apiType: ApiType.Admin,
        apiVersion: ADMIN_API_VERSION,
        documents: ["./app/**/*.{ts,tsx}", "!./app/types/**"],
        outputDir: OUTPUT,
        // Our own operation maps (no catch-all string key, unlike
        // @shopify/admin-api-client's), so an unknown document is a type error.
        module: "~/integrations/shopify/admin-operations",
        // String unions rather than TS enums: "PRODUCT" is a DiscountClass.
        enumsAsConst: true,
      }),
    ),
  },
};
