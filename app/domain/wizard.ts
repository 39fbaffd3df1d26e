// The enrollment wizard's state lives in the URL (a reload or Back keeps it):
// these are the parameters each step carries forward.
import { ADDRESS_FIELDS } from "./delivery";

export const MEMBER_KEYS = ["email", "firstName", "lastName", "platformId", "tierId"] as const;
export const DELIVERY_KEYS = [
  "needsAddress",
  "deliveryMethod",
  "pickupLocationId",
  "shipSame",
  ...ADDRESS_FIELDS.map((f) => `bill_${f}`),
  ...ADDRESS_FIELDS.map((f) => `ship_${f}`),
] as const;
export const WIZARD_KEYS = [...MEMBER_KEYS, ...DELIVERY_KEYS];

/** The wizard's parameters of `from` (URLSearchParams or form fields), empty ones left out. */
export function wizardParams(from: URLSearchParams | Record<string, unknown>, keys: readonly string[] = WIZARD_KEYS): URLSearchParams {
  const get = (k: string) => (from instanceof URLSearchParams ? from.get(k) : from[k]);
  const out = new URLSearchParams();
  for (const k of keys) {
    const v = get(k);
    if (typeof v === "string" && v !== "") out.set(k, v);
  }
  return out;
}

export function wizardValues(from: URLSearchParams, keys: readonly string[] = WIZARD_KEYS): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, from.get(k) ?? ""]));
}
