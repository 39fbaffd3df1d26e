// Our customer rows and the platforms' ids for them.
//
// Invariants:
// - A customer has one id per platform, side by side (Customer.shopifyCustomerId,
//   Customer.commerce7CustomerId), each unique in the shop. Each platform's
//   code reads and writes only its own; a shop that switches platforms keeps
//   both, and never sends one platform's id to the other.
// - A platform id we know names our row for good: the platform's current email
//   and name update that row, never start a second one (the email is a contact
//   detail that customers change; the platform id does not change).
import type { Tx } from "../db.server";
import { log } from "../log.server";
import type { Platform } from "./platforms";

export { asPlatform, type Platform } from "./platforms";

/** The `where`/`data` fragment for a customer's id on `platform`. */
export function platformIdField(platform: Platform, id: string | null): { shopifyCustomerId: string | null } | { commerce7CustomerId: string | null } {
  return platform === "commerce7" ? { commerce7CustomerId: id } : { shopifyCustomerId: id };
}

/** Our id for the customer on `platform`, or null while it is unknown there. */
export function platformIdOf(customer: { shopifyCustomerId: string | null; commerce7CustomerId: string | null }, platform: Platform): string | null {
  return platform === "commerce7" ? customer.commerce7CustomerId : customer.shopifyCustomerId;
}

export const searchTextOf = (c: { firstName: string; lastName: string; email: string }) => `${c.firstName} ${c.lastName} ${c.email}`.toLowerCase().trim();

export type CustomerRow = NonNullable<Awaited<ReturnType<Tx["customer"]["findFirst"]>>>;

/**
 * The row we know by its id on `platform`, brought up to what the platform
 * says now (email, and names when given). The caller holds the member's lock
 * (lockMember) and passes the row re-read under it.
 *
 * When the new email already belongs to ANOTHER of our customers, the row
 * keeps its old email and that other row is left alone: the platform id is
 * the identity, so the caller goes on with this row (its memberships and
 * spend), and two rows are never merged behind the merchant's back (the other
 * one may hold its own memberships and orders). The email moves over once it
 * is free. Logged, so the duplicate can be looked into.
 */
export async function refreshContact(tx: Tx, shop: string, platform: Platform, row: CustomerRow, now: { email: string; firstName?: string; lastName?: string }): Promise<CustomerRow> {
  let email = row.email;
  const wanted = now.email.trim().toLowerCase();
  if (wanted && wanted !== row.email) {
    const holder = await tx.customer.findUnique({ where: { shop_email: { shop, email: wanted } }, select: { id: true } });
    if (holder) log("customers", "warn", "email_held_by_another_customer", { shop, platform, customer: row.id, other: holder.id });
    else email = wanted;
  }
  const firstName = now.firstName || row.firstName;
  const lastName = now.lastName || row.lastName;
  if (email === row.email && firstName === row.firstName && lastName === row.lastName) return row;
  return tx.customer.update({ where: { id: row.id }, data: { email, firstName, lastName, searchText: searchTextOf({ firstName, lastName, email }) } });
}
