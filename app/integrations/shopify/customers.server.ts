// Shopify customers: search for the enrollment wizard, find-or-create for sync.
import { SyncError } from "../../queue/errors";
import { assertNoUserErrors, type ShopifyAdmin } from "./admin.server";
import type { AdminData } from "./admin-operations";
import { CUSTOMER_SEARCH_QUERY, CUSTOMER_SET_MUTATION } from "./operations";

export type PlatformCustomer = { platformId: string; email: string; firstName: string; lastName: string };

/** A customer as both documents select it (the search's node; customerSet's customer has the same fields). */
type CustomerNode = AdminData<typeof CUSTOMER_SEARCH_QUERY>["customers"]["nodes"][number];

function toPlatform(node: CustomerNode): PlatformCustomer {
  return {
    platformId: node.id,
    email: (node.defaultEmailAddress?.emailAddress ?? "").toLowerCase(),
    firstName: node.firstName ?? "",
    lastName: node.lastName ?? "",
  };
}

/** Shopify search syntax: quote the value so spaces and colons in it are literal. */
function quoted(value: string) {
  return `"${value.replace(/["\\]/g, "")}"`;
}

export async function searchCustomers(admin: ShopifyAdmin, text: string, first = 10): Promise<PlatformCustomer[]> {
  const term = text.trim();
  if (!term) return [];
  const query = term.includes("@") ? `email:${quoted(term)}` : term.replace(/["\\]/g, "");
  const res = await admin.request(CUSTOMER_SEARCH_QUERY, { query, first });
  return res.customers.nodes.map(toPlatform);
}

/**
 * The customer with exactly this email, or a new one. Idempotent even when a
 * reply is lost: search first (an existing customer is used as it is, its
 * names untouched), then `customerSet` upserting by the email, which finds a
 * customer an earlier, timed-out try created although Shopify's search index
 * does not show it yet. Never a second customer, never "email has already been taken".
 */
export async function findOrCreateCustomer(
  admin: ShopifyAdmin,
  input: { email: string; firstName: string; lastName: string },
  opts: { signal?: AbortSignal } = {},
): Promise<PlatformCustomer> {
  const email = input.email.trim().toLowerCase();
  const found = await admin.request(CUSTOMER_SEARCH_QUERY, { query: `email:${quoted(email)}`, first: 5 }, opts);
  const match = found.customers.nodes.map(toPlatform).find((c) => c.email === email);
  if (match) return match;
  const res = await admin.request(
    CUSTOMER_SET_MUTATION,
    { identifier: { email }, input: { email, firstName: input.firstName, lastName: input.lastName } },
    opts,
  );
  assertNoUserErrors("customerSet", res.customerSet?.userErrors);
  const customer = res.customerSet?.customer;
  if (!customer) throw new SyncError("retryable", "Shopify customerSet returned no customer", { platform: "shopify" });
  return toPlatform(customer);
}
