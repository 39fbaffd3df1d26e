// Shopify customers: search for the enrollment wizard, find-or-create for sync.
import { SyncError } from "../../queue/errors";
import { assertNoUserErrors, type ShopifyAdmin } from "./admin.server";
import type { AdminData } from "./admin-operations";
import { CUSTOMER_CREATE_MUTATION, CUSTOMER_SEARCH_QUERY } from "./operations";

export type PlatformCustomer = { platformId: string; email: string; firstName: string; lastName: string };

/** A customer as both documents select it (the search's node; customerCreate's customer has the same fields). */
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

/** The customer with exactly this email, or a new one. Idempotent: a retry finds what the first try created. */
export async function findOrCreateCustomer(
  admin: ShopifyAdmin,
  input: { email: string; firstName: string; lastName: string },
  opts: { signal?: AbortSignal } = {},
): Promise<PlatformCustomer> {
  const email = input.email.trim().toLowerCase();
  const found = await admin.request(
    CUSTOMER_SEARCH_QUERY,
    { query: `email:${quoted(email)}`, first: 5 },
    opts,
  );
  const match = found.customers.nodes.map(toPlatform).find((c) => c.email === email);
  if (match) return match;
  const res = await admin.request(CUSTOMER_CREATE_MUTATION, { input: { email, firstName: input.firstName, lastName: input.lastName } }, opts);
  assertNoUserErrors("customerCreate", res.customerCreate?.userErrors);
  const customer = res.customerCreate?.customer;
  if (!customer) throw new SyncError("retryable", "Shopify customerCreate returned no customer", { platform: "shopify" });
  return toPlatform(customer);
}
