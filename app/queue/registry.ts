// Processors by platform and action. The queue knows nothing of Shopify or
// Commerce7; app/integrations/processors.server.ts registers them at boot.
import type { Db } from "../db.server";
import type { QueueAction, QueueItem } from "./types";

export type Crm = "shopify" | "commerce7";

export type ProcessorContext = {
  db: Db;
  item: QueueItem;
  shop: { domain: string; crm: string; timezone: string };
  signal: AbortSignal;
  attempt: number;
  /** Platform requests already paced for this run (the worker took the first one's token). */
  prepaidRequests?: number;
};

/** What a processor hands back; the queue stores it with the completion, under the fence. */
export type ProcessorResult = {
  result?: Record<string, unknown>;
  enrollment?: { platformMembershipId?: string | null };
  /** The customer's id found or created on the item's platform: recorded only where ours is still unknown. */
  customer?: PlatformCustomerIds;
};

export type PlatformCustomerIds = { shopifyCustomerId?: string; commerce7CustomerId?: string };

export type Processor = (ctx: ProcessorContext) => Promise<ProcessorResult>;

const processors = new Map<string, Processor>();

export function registerProcessor(crm: Crm, action: QueueAction, processor: Processor) {
  processors.set(`${crm}:${action}`, processor);
}

export function getProcessor(crm: string, action: string): Processor | undefined {
  return processors.get(`${crm}:${action}`);
}

export function clearProcessors() {
  processors.clear();
}
