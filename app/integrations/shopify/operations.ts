// Every Admin GraphQL operation the app sends, in one place.
//
// Invariant: nothing else in the codebase writes Admin GraphQL. The test
// tests/integrations/shopify-operations.test.ts validates each document here
// against the real Admin API 2026-10 schema, so a typo or a removed field fails
// in CI, not in a merchant's store. (`Customer.email` is deprecated: we read
// `defaultEmailAddress { emailAddress }`.)

export const ADMIN_API_VERSION = "2026-10";

/** The function's handle (extensions/club-discount/shopify.extension.toml). */
export const DISCOUNT_FUNCTION_HANDLE = "club-tiers-discount";
/** One automatic app discount carries every tier's percentage. */
export const DISCOUNT_TITLE = "Club Tiers member pricing";
export const DISCOUNT_TAG = "club-tiers";
export const APP_NAMESPACE = "$app";
export const MEMBERSHIP_KEY = "membership";
export const TIERS_CONFIG_KEY = "tiers";

const CUSTOMER_FIELDS = `#graphql
  fragment ClubCustomer on Customer {
    id
    firstName
    lastName
    defaultEmailAddress { emailAddress }
    tags
  }
`;

export const SHOP_QUERY = `#graphql
  query ClubShop {
    shop { id name myshopifyDomain currencyCode ianaTimezone }
  }
`;

export const CUSTOMER_SEARCH_QUERY = `#graphql
  ${CUSTOMER_FIELDS}
  query ClubCustomerSearch($query: String!, $first: Int!) {
    customers(first: $first, query: $query) {
      nodes { ...ClubCustomer }
    }
  }
`;

export const CUSTOMER_CREATE_MUTATION = `#graphql
  ${CUSTOMER_FIELDS}
  mutation ClubCustomerCreate($input: CustomerInput!) {
    customerCreate(input: $input) {
      customer { ...ClubCustomer }
      userErrors { field message }
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

const DISCOUNT_FIELDS = `#graphql
  fragment ClubDiscountNode on DiscountNode {
    id
    discount {
      __typename
      ... on DiscountAutomaticApp { title status discountId }
    }
    metafield(namespace: "$app", key: "tiers") { id compareDigest value }
  }
`;

export const DISCOUNT_NODE_QUERY = `#graphql
  ${DISCOUNT_FIELDS}
  query ClubDiscountNode($id: ID!) {
    discountNode(id: $id) { ...ClubDiscountNode }
  }
`;

export const DISCOUNT_NODES_QUERY = `#graphql
  ${DISCOUNT_FIELDS}
  query ClubDiscountNodes($query: String!) {
    discountNodes(first: 10, query: $query) {
      nodes { ...ClubDiscountNode }
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

/** Every operation, for the schema-validation test. */
export const ALL_OPERATIONS = {
  SHOP_QUERY,
  CUSTOMER_SEARCH_QUERY,
  CUSTOMER_CREATE_MUTATION,
  MEMBER_STATE_QUERY,
  METAFIELDS_SET_MUTATION,
  METAFIELDS_DELETE_MUTATION,
  TAGS_ADD_MUTATION,
  TAGS_REMOVE_MUTATION,
  DISCOUNT_NODE_QUERY,
  DISCOUNT_NODES_QUERY,
  DISCOUNT_CREATE_MUTATION,
} as const;
