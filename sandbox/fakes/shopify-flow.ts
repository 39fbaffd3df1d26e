// Shopify Flow's side of flowTriggerReceive, for the fake Admin API: the
// triggers an app declares (its extensions' shopify.extension.toml, read
// here, so a payload is checked against what the app would deploy, not
// against the app's own idea of it), the checks on a payload, and a record of
// the triggers received.
//
// What Flow documents, and what the fake assumes where it does not:
// - `handle` must be one of the app's flow_trigger extensions.
// - The payload is a JSON object under 50,000 bytes.
// - A reference field is keyed `<object>_id` (customer_reference: customer_id)
//   and carries the numeric id; assumed: the customer must exist in the shop
//   (a digit string or a number is taken).
// - Custom fields are keyed by their `key`; single_line_text_field is a
//   string without a line break, number_decimal a JSON number, boolean a
//   boolean, email and url strings of their shape.
// - Assumed: every declared field must be present, and no undeclared key.
// A refusal is a userError, as flowTriggerReceive reports them.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";

export type FlowTriggerField = { type: string; key: string };
export type FlowTriggerDefinition = { handle: string; name: string; fields: FlowTriggerField[] };
export type ReceivedFlowTrigger = { shop: string; handle: string; payload: Record<string, unknown>; at: number };
export type FlowUserError = { field: string[]; message: string };

export const FLOW_PAYLOAD_MAX_BYTES = 50_000;
const REFERENCE = /^(customer|order|product|company|company_contact)_reference$/;

/** Every flow_trigger extension under `dir` (default: the repository's extensions/), by handle. */
export function loadFlowTriggers(dir = join(import.meta.dirname, "../../extensions")): Map<string, FlowTriggerDefinition> {
  const out = new Map<string, FlowTriggerDefinition>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const file = join(dir, name, "shopify.extension.toml");
    if (!existsSync(file)) continue;
    const toml = parse(readFileSync(file, "utf8")) as {
      extensions?: { type?: string; handle?: string; name?: string }[];
      settings?: { fields?: { type: string; key?: string }[] };
    };
    const ext = toml.extensions?.[0];
    if (ext?.type !== "flow_trigger" || !ext.handle) continue;
    const fields = (toml.settings?.fields ?? []).map((f) => {
      const ref = REFERENCE.exec(f.type);
      return { type: f.type, key: ref ? `${ref[1]}_id` : (f.key ?? "") };
    });
    out.set(ext.handle, { handle: ext.handle, name: ext.name ?? ext.handle, fields });
  }
  return out;
}

function typeProblem(type: string, value: unknown): string | null {
  switch (type) {
    case "customer_reference":
    case "order_reference":
    case "product_reference":
    case "company_reference":
    case "company_contact_reference":
      return (typeof value === "number" && Number.isSafeInteger(value) && value > 0) || (typeof value === "string" && /^\d+$/.test(value)) ? null : "must be a numeric id";
    case "single_line_text_field":
      return typeof value === "string" && !/[\r\n]/.test(value) ? null : "must be a single line of text";
    case "number_decimal":
      return typeof value === "number" && Number.isFinite(value) ? null : "must be a number";
    case "boolean":
      return typeof value === "boolean" ? null : "must be true or false";
    case "email":
      return typeof value === "string" && /^[^@\s]+@[^@\s]+$/.test(value) ? null : "must be an email address";
    case "url":
      return typeof value === "string" && URL.canParse(value) ? null : "must be a URL";
    default:
      return null; // schema.<type>: not checked by the fake
  }
}

/**
 * The userErrors flowTriggerReceive gives this payload (none: accepted).
 * `customerExists` answers for a customer_id.
 */
export function checkFlowPayload(
  triggers: Map<string, FlowTriggerDefinition>,
  handle: string | null | undefined,
  payload: unknown,
  customerExists: (numericId: string) => boolean,
): FlowUserError[] {
  const def = handle ? triggers.get(handle) : undefined;
  if (!def) return [{ field: ["handle"], message: `Could not find a trigger with handle ${JSON.stringify(handle ?? "")}` }];
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) return [{ field: ["payload"], message: "Payload must be a JSON object" }];
  if (Buffer.byteLength(JSON.stringify(payload)) >= FLOW_PAYLOAD_MAX_BYTES) return [{ field: ["payload"], message: `Payload must be under ${FLOW_PAYLOAD_MAX_BYTES} bytes` }];
  const body = payload as Record<string, unknown>;
  const errors: FlowUserError[] = [];
  const declared = new Set(def.fields.map((f) => f.key));
  for (const f of def.fields) {
    if (!(f.key in body) || body[f.key] === null || body[f.key] === undefined) {
      errors.push({ field: ["payload", f.key], message: `${f.key} is required` });
      continue;
    }
    const problem = typeProblem(f.type, body[f.key]);
    if (problem) errors.push({ field: ["payload", f.key], message: `${f.key} ${problem}` });
    else if (f.type === "customer_reference" && !customerExists(String(body[f.key]))) errors.push({ field: ["payload", f.key], message: `Customer ${String(body[f.key])} does not exist` });
  }
  for (const key of Object.keys(body)) if (!declared.has(key)) errors.push({ field: ["payload", key], message: `${key} is not a field of trigger ${def.handle}` });
  return errors;
}
