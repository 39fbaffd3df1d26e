// The Shopify Admin API version, in one place: the library config
// (app/shopify.server.ts), our Admin GraphQL endpoint, the generated GraphQL
// types (.graphqlrc.ts), the fake Admin and its schema, and the webhook
// headers in tests and the sandbox all read it. shopify.app.toml cannot import
// it; tests/conventions/graphql-types.test.ts checks that it says the same.
//
// Moving to a new version: change it here and in shopify.app.toml, then
// `npm run graphql:codegen` (the schema comes from @shopify/dev-mcp's data).
import type { ApiVersion } from "@shopify/shopify-api";

export const ADMIN_API_VERSION = "2026-10" satisfies `${ApiVersion}`;
