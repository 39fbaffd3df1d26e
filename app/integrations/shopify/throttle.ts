// Shopify's cost-based leaky bucket, as last reported, per shop.
//
// Shopify reports `extensions.cost.throttleStatus` with every response; we keep
// the latest per shop (in this process) and, before a call, compute how much the
// bucket has refilled since. A call whose estimated cost exceeds what is
// available waits first, so we never send a request into an empty bucket. The
// bucket's size and restore rate are read from responses, never hard-coded.

export type ThrottleStatus = { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };

type Entry = ThrottleStatus & { at: number };

/**
 * Invariant: `currentlyAvailable` in the book = what Shopify last reported,
 * refilled since, minus the cost of this process's requests still in flight
 * (Shopify's figure cannot include them yet). Without that, concurrent calls
 * would each see the same headroom and overdraw the bucket together.
 */
export class ThrottleBook {
  private readonly shops = new Map<string, Entry>();
  private readonly costs = new Map<string, number>();
  private readonly inflight = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records Shopify's report for a finished request that had reserved `cost`. */
  settle(shop: string, cost: number, status?: ThrottleStatus) {
    const remaining = Math.max(0, (this.inflight.get(shop) ?? 0) - cost);
    this.inflight.set(shop, remaining);
    if (status) this.shops.set(shop, { ...status, currentlyAvailable: status.currentlyAvailable - remaining, at: this.now() });
  }

  /** Remembers what an operation asked for last time: the best estimate of its next cost. */
  recordCost(operation: string, requestedQueryCost: number) {
    this.costs.set(operation, requestedQueryCost);
  }

  estimate(operation: string, fallback: number): number {
    return this.costs.get(operation) ?? fallback;
  }

  available(shop: string): number | undefined {
    const e = this.shops.get(shop);
    if (!e) return undefined;
    const refilled = e.currentlyAvailable + (e.restoreRate * (this.now() - e.at)) / 1000;
    return Math.min(e.maximumAvailable, refilled);
  }

  /** Milliseconds to wait before a call of `cost` fits in the bucket (0 when it fits now or nothing is known). */
  waitFor(shop: string, cost: number): number {
    const e = this.shops.get(shop);
    const available = this.available(shop);
    if (!e || available === undefined || available >= cost || e.restoreRate <= 0) return 0;
    return Math.ceil(((Math.min(cost, e.maximumAvailable) - available) / e.restoreRate) * 1000);
  }

  /** Spends `cost` locally before sending; `settle` releases it when Shopify answers. */
  reserve(shop: string, cost: number) {
    this.inflight.set(shop, (this.inflight.get(shop) ?? 0) + cost);
    const e = this.shops.get(shop);
    const available = this.available(shop);
    if (!e || available === undefined) return;
    this.shops.set(shop, { ...e, currentlyAvailable: available - cost, at: this.now() });
  }
}

/** The process-wide book: every Admin client for a shop shares its view of the bucket. */
export const throttleBook = new ThrottleBook();
