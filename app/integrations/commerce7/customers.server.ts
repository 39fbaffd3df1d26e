// Commerce7 customers: search for the enrollment wizard, find-or-create for sync.
import { z } from "zod";
import type { Commerce7Client } from "./client.server";

const customerSchema = z.looseObject({
  id: z.string(),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  emails: z.array(z.looseObject({ email: z.string() })).default([]),
});
const customerList = z.looseObject({ customers: z.array(customerSchema) });

export type PlatformCustomer = { platformId: string; email: string; firstName: string; lastName: string };

function toPlatform(c: z.infer<typeof customerSchema>): PlatformCustomer {
  return { platformId: c.id, email: (c.emails[0]?.email ?? "").toLowerCase(), firstName: c.firstName ?? "", lastName: c.lastName ?? "" };
}

export async function searchCustomers(client: Commerce7Client, text: string, signal?: AbortSignal): Promise<PlatformCustomer[]> {
  const q = text.trim();
  if (!q) return [];
  const res = await client.request("GET", "/customer", customerList, { query: { q }, signal });
  return res.customers.map(toPlatform);
}

/** The customer with exactly this email, or a new one. A retry finds what the first try created. */
export async function findOrCreateCustomer(
  client: Commerce7Client,
  input: { email: string; firstName: string; lastName: string },
  signal?: AbortSignal,
): Promise<PlatformCustomer> {
  const email = input.email.trim().toLowerCase();
  const found = await client.request("GET", "/customer", customerList, { query: { q: email }, signal });
  const match = found.customers.find((c) => c.emails.some((e) => e.email.toLowerCase() === email));
  if (match) return toPlatform(match);
  const created = await client.request("POST", "/customer", customerSchema, {
    body: { firstName: input.firstName, lastName: input.lastName, emails: [{ email }] },
    signal,
  });
  return toPlatform(created);
}
