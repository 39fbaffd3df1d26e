// The `flow_trigger` queue item: sends one membership event to Shopify Flow
// with flowTriggerReceive (ADR 0028).
//
// Unlike the member sync, this is not a convergence: each send may start the
// merchant's workflows (an email to the member), and Shopify takes no
// idempotency key for it. So a trigger is sent at most once:
// - before the request, the event's `sendStartedAt` is set and committed
//   (conditionally: two runs of one item cannot both send);
// - when the request surely did not reach Shopify (refused connection, name
//   lookup failed, Shopify answered with an error status, THROTTLED, a GraphQL
//   or user error) it is cleared and the queue retries as usual;
// - when it may have reached Shopify (the connection dropped, no answer in
//   time, an unreadable answer) or a run finds it set (an earlier run died
//   mid-request), the item fails permanently with a sentence saying so, and
//   the mark is cleared: the merchant's Retry, a deliberate choice, sends it.
// Paced like every Shopify item of the shop (the worker's per-shop bucket and
// the Admin client's throttle book).
import type { Db } from "../../db.server";
import { FLOW_TRIGGER_NAMES, flowCustomerId, type MembershipEventKind } from "../../domain/flow-triggers";
import { SyncError } from "../../queue/errors";
import type { ProcessorContext, ProcessorResult } from "../../queue/registry";
import { assertNoUserErrors, payloadOf, type ShopifyAdmin } from "./admin.server";
import { findOrCreateCustomer } from "./customers.server";
import { FLOW_TRIGGER_RECEIVE_MUTATION } from "./operations";
import { offlineAdmin } from "./session.server";

// Transport failures before anything was sent: the request never left.
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT", "CERT_HAS_EXPIRED", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_VERIFY_LEAF_SIGNATURE"]);

function causeCode(error: unknown): string | null {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e && typeof e === "object"; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/** Whether Shopify surely did not act on the request that failed with `error`. */
export function surelyNotReceived(error: unknown): boolean {
  if (!(error instanceof SyncError)) return false;
  // An answer: an error status, THROTTLED, a GraphQL error, user errors.
  if (error.kind === "throttled" || error.kind === "auth" || error.kind === "permanent" || error.httpStatus !== undefined) return true;
  const code = causeCode(error.cause);
  return code !== null && NOT_SENT.has(code);
}

export type FlowTriggerInput = { db: Db; shop: { domain: string }; item: { stageId: string; customerId: string }; signal?: AbortSignal; admin?: ShopifyAdmin };

export async function sendFlowTrigger(input: FlowTriggerInput): Promise<ProcessorResult> {
  const { db, shop, item, signal } = input;
  const event = await db.membershipEvent.findFirst({ where: { id: item.stageId, shop: shop.domain } });
  if (!event) throw new SyncError("permanent", "This Flow trigger's event no longer exists (the customer's data was erased)", { platform: "shopify" });
  const name = FLOW_TRIGGER_NAMES[event.kind as MembershipEventKind] ?? event.kind;
  if (event.sentAt) return { result: { handle: event.handle, sentAt: event.sentAt.toISOString(), already: true } };
  const unconfirmed = (why: string) =>
    new SyncError(
      "permanent",
      `Shopify Flow trigger "${name}": ${why}, so Shopify may or may not have started its workflows. It was not sent again, so that no workflow runs twice: check the workflow's recent runs in Shopify Flow; Retry sends it again.`,
      { platform: "shopify" },
    );
  if (event.sendStartedAt) {
    await db.membershipEvent.updateMany({ where: { id: event.id, shop: shop.domain, sentAt: null }, data: { sendStartedAt: null } });
    throw unconfirmed("an earlier attempt stopped while sending it");
  }

  const customer = await db.customer.findFirst({ where: { id: item.customerId, shop: shop.domain } });
  if (!customer) throw new SyncError("permanent", `Customer ${item.customerId} no longer exists in this shop`, { platform: "shopify" });
  const admin = input.admin ?? (await offlineAdmin(db, shop.domain));
  // Known once the member's sync (queued before this item) ran; found or made here otherwise.
  let shopifyCustomerId = customer.shopifyCustomerId;
  if (!shopifyCustomerId) {
    shopifyCustomerId = (await findOrCreateCustomer(admin, { email: customer.email, firstName: customer.firstName, lastName: customer.lastName }, { signal })).platformId;
  }
  const customerRef = flowCustomerId(shopifyCustomerId);
  if (customerRef === null) throw new SyncError("permanent", `Shopify Flow trigger "${name}": ${shopifyCustomerId} is not a Shopify customer id`, { platform: "shopify" });
  const payload = { customer_id: customerRef, ...(JSON.parse(event.payload) as Record<string, unknown>) };

  const { count } = await db.membershipEvent.updateMany({ where: { id: event.id, shop: shop.domain, sendStartedAt: null, sentAt: null }, data: { sendStartedAt: new Date() } });
  // Another run of this item got there first (a lease taken over): it sends, or has.
  if (count !== 1) throw new SyncError("retryable", `Shopify Flow trigger "${name}" is being sent by another run`, { platform: "shopify" });
  try {
    const res = await admin.request(FLOW_TRIGGER_RECEIVE_MUTATION, { handle: event.handle, payload }, { signal });
    assertNoUserErrors("flowTriggerReceive", payloadOf("flowTriggerReceive", res.flowTriggerReceive).userErrors);
  } catch (error) {
    await db.membershipEvent.updateMany({ where: { id: event.id, shop: shop.domain, sentAt: null }, data: { sendStartedAt: null } });
    if (surelyNotReceived(error)) throw error;
    throw unconfirmed(`the request failed after it was sent (${error instanceof Error ? error.message : String(error)})`);
  }
  const sentAt = new Date();
  await db.membershipEvent.updateMany({ where: { id: event.id, shop: shop.domain }, data: { sentAt } });
  return {
    result: { handle: event.handle, sentAt: sentAt.toISOString() },
    customer: customer.shopifyCustomerId ? undefined : { shopifyCustomerId },
  };
}

export const flowTriggerProcessor = ({ db, shop, item, signal }: ProcessorContext) => sendFlowTrigger({ db, shop, item, signal });
