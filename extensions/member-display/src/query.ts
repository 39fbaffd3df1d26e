// The one Customer Account API (2026-10) query the extensions send: the
// signed-in customer's `$app:membership` metafield, which the app writes
// (app/domain/member-display.ts) and shopify.app.toml declares with
// customer-account read access. Validated against the real schema by
// query.test.ts. A plain literal, so the test reads exactly what ships.
export const MEMBERSHIP_QUERY = `query ClubMembership {
  customer {
    id
    membership: metafield(namespace: "$app", key: "membership") {
      jsonValue
    }
  }
}`;

/** What MEMBERSHIP_QUERY returns (its `data`). */
export type MembershipQueryData = { customer: { id: string; membership: { jsonValue: unknown } | null } | null };
