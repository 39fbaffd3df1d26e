// The real Shopify GraphQL schemas shipped in @shopify/dev-mcp (introspection
// JSON, gzipped), loaded once per process: they are large.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { buildClientSchema, type GraphQLSchema, type IntrospectionQuery } from "graphql";
import { ADMIN_API_VERSION } from "../../app/integrations/shopify/api-version";

/** The Admin API schema of the version the app speaks. */
export const ADMIN_SCHEMA = `admin_${ADMIN_API_VERSION}` as const;
export type ShopifySchemaName = typeof ADMIN_SCHEMA | "functions_discount_2026-10" | "customer_2026-10";

const cache = new Map<ShopifySchemaName, GraphQLSchema>();

export function schemaFile(name: ShopifySchemaName): string {
  return join(import.meta.dirname, "../../node_modules/@shopify/dev-mcp/dist/data", `${name}.json.gz`);
}

export function loadShopifySchema(name: ShopifySchemaName): GraphQLSchema {
  let schema = cache.get(name);
  if (!schema) {
    const json = JSON.parse(gunzipSync(readFileSync(schemaFile(name))).toString("utf8")) as { data?: IntrospectionQuery } & IntrospectionQuery;
    schema = buildClientSchema(json.data ?? json);
    cache.set(name, schema);
  }
  return schema;
}
