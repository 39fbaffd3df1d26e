// The real Shopify GraphQL schemas, as shipped in @shopify/dev-mcp (introspection
// JSON, gzipped). Loaded once per process; they are large.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { buildClientSchema, type GraphQLSchema, type IntrospectionQuery } from "graphql";
import { ROOT } from "./databases";

const cache = new Map<string, GraphQLSchema>();

export function loadShopifySchema(name: "admin_2026-10" | "functions_discount_2026-10"): GraphQLSchema {
  let schema = cache.get(name);
  if (!schema) {
    const file = join(ROOT, "node_modules/@shopify/dev-mcp/dist/data", `${name}.json.gz`);
    const json = JSON.parse(gunzipSync(readFileSync(file)).toString("utf8")) as { data?: IntrospectionQuery } & IntrospectionQuery;
    schema = buildClientSchema(json.data ?? json);
    cache.set(name, schema);
  }
  return schema;
}
