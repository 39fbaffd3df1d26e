// What a Commerce7 club membership needs beyond the customer: a billing
// address, and either a shipping address (Ship) or a pickup location (Pickup).
// Pure validation of the enrollment wizard's delivery step; the addresses are
// created in Commerce7 by the sync (app/integrations/commerce7/).
import { z } from "zod";
import { issueSentence } from "./validation";

export const DELIVERY_METHODS = ["Ship", "Pickup"] as const;
export type DeliveryMethod = (typeof DELIVERY_METHODS)[number];

const line = (max: number) => z.string().trim().max(max).default("");

export const addressInput = z.object({
  address: line(200).pipe(z.string().min(1, "Enter the street address")),
  address2: line(200),
  city: line(100).pipe(z.string().min(1, "Enter the city")),
  stateCode: line(20).pipe(z.string().min(1, "Enter the state or province")),
  zipCode: line(20).pipe(z.string().min(1, "Enter the ZIP or postal code")),
  countryCode: line(2)
    .transform((c) => c.toUpperCase())
    .pipe(z.string().regex(/^[A-Z]{2}$/, "Use the two-letter country code, such as US")),
});
export type AddressInput = z.output<typeof addressInput>;

export const ADDRESS_FIELDS = ["address", "address2", "city", "stateCode", "zipCode", "countryCode"] as const;
export const ADDRESS_LABELS = { address: "Address", address2: "Apartment, suite", city: "City", stateCode: "State", zipCode: "ZIP code", countryCode: "Country" };

/** The delivery step as the wizard's URL carries it (bill_*, ship_* fields). */
export type DeliveryForm = Record<string, string | undefined>;

export type Delivery = {
  method: DeliveryMethod;
  pickupLocationId: string | null;
  // null: use the customer's address already in Commerce7.
  billing: AddressInput | null;
  // null with Ship: ship to the billing address.
  shipping: AddressInput | null;
};

/**
 * Reads and checks the delivery step. `needsAddress`: the customer has no
 * address in Commerce7 (new, or none there), so a billing address is required.
 * Errors are keyed `bill_<field>`, `ship_<field>`, `deliveryMethod`, `pickupLocationId`.
 */
export function parseDelivery(form: DeliveryForm, opts: { needsAddress: boolean; pickupLocations: string[] | null }): { ok: true; value: Delivery } | { ok: false; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const method = form.deliveryMethod === "Pickup" ? "Pickup" : form.deliveryMethod === "Ship" || !form.deliveryMethod ? "Ship" : null;
  if (!method) errors.deliveryMethod = "Choose Ship or Pickup";
  const address = (prefix: string) => {
    const raw = Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, form[`${prefix}_${f}`] ?? ""]));
    const parsed = addressInput.safeParse(raw);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      const key = `${prefix}_${String(issue.path[0])}`;
      errors[key] ??= issueSentence(issue, ADDRESS_LABELS);
    }
    return null;
  };
  const billing = opts.needsAddress ? address("bill") : null;
  const shipping = method === "Ship" && opts.needsAddress && form.shipSame !== "1" ? address("ship") : null;
  let pickupLocationId: string | null = null;
  if (method === "Pickup") {
    pickupLocationId = (form.pickupLocationId ?? "").trim() || null;
    if (!pickupLocationId) errors.pickupLocationId = "Choose a pickup location";
    else if (opts.pickupLocations && !opts.pickupLocations.includes(pickupLocationId)) errors.pickupLocationId = "Choose one of the pickup locations listed";
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, value: { method: method!, pickupLocationId, billing, shipping } };
}

/** One line for the review page. */
export function formatAddress(a: AddressInput): string {
  return [a.address, a.address2, a.city, `${a.stateCode} ${a.zipCode}`, a.countryCode].filter((p) => p.trim()).join(", ");
}
