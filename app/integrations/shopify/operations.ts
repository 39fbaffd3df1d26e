// Every Admin GraphQL operation the app sends, in one place.
//
// Invariant: nothing else in the codebase writes Admin GraphQL. Each document
// is typed from its text: `npm run graphql:codegen` writes its result and
// variables types into app/types/admin.generated.d.ts, and ShopifyAdmin.request
// accepts only documents found there, so a renamed or missing field fails
// `npm run typecheck`, and a stale copy of the types fails `npm run graphql:check`.
// tests/integrations/shopify-operations.test.ts also validates each one against
// the real Admin API schema. (`Customer.email` is deprecated: we read
// `defaultEmailAddress { emailAddress }`.)
//
// Documents are plain literals (no `${}`): the generated types are keyed by the
// exact text, which TypeScript only knows for a literal. So no shared fragments;
// fields a few documents share are repeated, and their types are derived from
// the generated ones where the code needs one name for them.

/** The function's handle (extensions/club-discount/shopify.extension.toml). */
export const DISCOUNT_FUNCTION_HANDLE = "club-tiers-discount";
/** One automatic app discount carries every tier's percentage. */
export const DISCOUNT_TITLE = "Club Tiers member pricing";
export const DISCOUNT_TAG = "club-tiers";
export const APP_NAMESPACE = "$app";
export const MEMBERSHIP_KEY = "membership";
export const TIERS_CONFIG_KEY = "tiers";

export const SHOP_QUERY = `#graphql
  query ClubShop {
    shop { id name myshopifyDomain currencyCode ianaTimezone }
  }
`;

export const CUSTOMER_SEARCH_QUERY = `#graphql
  query ClubCustomerSearch($query: String!, $first: Int!) {
    customers(first: $first, query: $query) {
      nodes { id firstName lastName defaultEmailAddress { emailAddress } tags }
    }
  }
`;

/**
 * Create-or-update by the unique email: the upsert a retry needs. A
 * create whose reply was lost, retried, updates the customer it made instead
 * of failing with "email has already been taken", even before search shows it.
 */
export const CUSTOMER_SET_MUTATION = `#graphql
  mutation ClubCustomerSet($identifier: CustomerSetIdentifiers, $input: CustomerSetInput!) {
    customerSet(identifier: $identifier, input: $input) {
      customer { id firstName lastName defaultEmailAddress { emailAddress } tags }
      userErrors { field message code }
    }
  }
`;

/** The member's current mirrored state: tags and the app-owned membership metafield. */
export const MEMBER_STATE_QUERY = `#graphql
  query ClubMemberState($id: ID!) {
    customer(id: $id) {
      id
      tags
      metafield(namespace: "$app", key: "membership") { id value compareDigest }
    }
  }
`;

export const METAFIELDS_SET_MUTATION = `#graphql
  mutation ClubMetafieldsSet($metafields: [MetafieldsSetInput!]!) {
    metafieldsSet(metafields: $metafields) {
      metafields { id key namespace compareDigest }
      userErrors { field message code }
    }
  }
`;

export const METAFIELDS_DELETE_MUTATION = `#graphql
  mutation ClubMetafieldsDelete($metafields: [MetafieldIdentifierInput!]!) {
    metafieldsDelete(metafields: $metafields) {
      deletedMetafields { key namespace ownerId }
      userErrors { field message }
    }
  }
`;

export const TAGS_ADD_MUTATION = `#graphql
  mutation ClubTagsAdd($id: ID!, $tags: [String!]!) {
    tagsAdd(id: $id, tags: $tags) {
      node { id }
      userErrors { field message }
    }
  }
`;

export const TAGS_REMOVE_MUTATION = `#graphql
  mutation ClubTagsRemove($id: ID!, $tags: [String!]!) {
    tagsRemove(id: $id, tags: $tags) {
      node { id }
      userErrors { field message }
    }
  }
`;

export const DISCOUNT_NODE_QUERY = `#graphql
  query ClubDiscountNode($id: ID!) {
    discountNode(id: $id) {
      id
      discount {
        __typename
        ... on DiscountAutomaticApp { title status discountId }
      }
      metafield(namespace: "$app", key: "tiers") { id compareDigest value }
    }
  }
`;

export const DISCOUNT_NODES_QUERY = `#graphql
  query ClubDiscountNodes($query: String!) {
    discountNodes(first: 10, query: $query) {
      nodes {
        id
        discount {
          __typename
          ... on DiscountAutomaticApp { title status discountId }
        }
        metafield(namespace: "$app", key: "tiers") { id compareDigest value }
      }
    }
  }
`;

export const DISCOUNT_CREATE_MUTATION = `#graphql
  mutation ClubDiscountCreate($discount: DiscountAutomaticAppInput!) {
    discountAutomaticAppCreate(automaticAppDiscount: $discount) {
      automaticAppDiscount { discountId title status }
      userErrors { field message code }
    }
  }
`;

/**
 * The order history backfill (ADR 0023): one bulk query over the orders of
 * the last 12 months. Bulk queries take no variables, so the window is written
 * into the query's search string; the text is built here, sent as the
 * mutation's `query` variable, and validated by the schema test (and by the
 * fake, as Shopify does). One line per order: `refunds` is a list field, not a
 * connection (Shopify refuses connections inside list fields in bulk queries),
 * so each refund's lines are not read; the refunded subtotal is the order's
 * subtotal less its current subtotal (bulk-orders.server.ts).
 */
export function ordersBulkQuery(since: Date): string {
  return `query ClubOrdersBackfill {
  orders(query: "created_at:>='${since.toISOString()}'", sortKey: CREATED_AT) {
    edges {
      node {
        id
        createdAt
        cancelledAt
        test
        email
        displayFinancialStatus
        customer { id firstName lastName defaultEmailAddress { emailAddress } }
        subtotalPriceSet { shopMoney { amount currencyCode } }
        currentSubtotalPriceSet { shopMoney { amount currencyCode } }
        refunds { id createdAt totalRefundedSet { shopMoney { amount currencyCode } } }
      }
    }
  }
}`;
}

export const BULK_RUN_QUERY_MUTATION = `#graphql
  mutation ClubBulkRunQuery($query: String!) {
    bulkOperationRunQuery(query: $query, groupObjects: false) {
      bulkOperation { id status }
      userErrors { field message code }
    }
  }
`;

export const BULK_OPERATION_QUERY = `#graphql
  query ClubBulkOperation($id: ID!) {
    bulkOperation(id: $id) { id status errorCode objectCount rootObjectCount url partialDataUrl completedAt }
  }
`;

/**
 * After a lost reply: is the bulk query running the one we asked for? (The
 * app's latest bulk query; currentBulkOperation is deprecated in this API version.)
 */
export const CURRENT_BULK_OPERATION_QUERY = `#graphql
  query ClubCurrentBulkOperation {
    bulkOperations(first: 1, sortKey: CREATED_AT, reverse: true, query: "operation_type:query") {
      nodes { id status query }
    }
  }
`;

/**
 * Starts the merchant's workflows that begin with one of our Flow triggers
 * (extensions/flow-*). Shopify takes no idempotency key for it: a retry after
 * a lost answer could run a workflow twice, so flow.server.ts never sends one
 * twice unless Shopify surely did not get the first.
 */
export const FLOW_TRIGGER_RECEIVE_MUTATION = `#graphql
  mutation ClubFlowTriggerReceive($handle: String!, $payload: JSON!) {
    flowTriggerReceive(handle: $handle, payload: $payload) {
      userErrors { field message }
    }
  }
`;

/** Every operation, for the schema-validation test. */
export const ALL_OPERATIONS = {
  SHOP_QUERY,
  CUSTOMER_SEARCH_QUERY,
  CUSTOMER_SET_MUTATION,
  MEMBER_STATE_QUERY,
  METAFIELDS_SET_MUTATION,
  METAFIELDS_DELETE_MUTATION,
  TAGS_ADD_MUTATION,
  TAGS_REMOVE_MUTATION,
  DISCOUNT_NODE_QUERY,
  DISCOUNT_NODES_QUERY,
  DISCOUNT_CREATE_MUTATION,
  BULK_RUN_QUERY_MUTATION,
  BULK_OPERATION_QUERY,
  CURRENT_BULK_OPERATION_QUERY,
  ORDERS_BULK_QUERY: ordersBulkQuery(new Date("2025-12-01T08:00:00Z")),
  FLOW_TRIGGER_RECEIVE_MUTATION,
} as const;
