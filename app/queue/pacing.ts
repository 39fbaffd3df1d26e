// Per-shop pacing: a token bucket per (shop, platform) so one shop's items
// never go out faster than that platform allows for it. Buckets are per
// process; with N instances a shop's ceiling is N × rate, which is why the
// platform clients also obey the platform's own throttle signals.

export type PaceRates = Record<string, number>; // requests per second, by CRM

export class ShopPacer {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly rates: PaceRates,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds to wait before this item may start; reserves its token. */
  reserve(shop: string, crm: string): number {
    const rate = this.rates[crm] ?? Infinity;
    if (!Number.isFinite(rate)) return 0;
    const key = `${crm}:${shop}`;
    const t = this.now();
    const burst = Math.max(1, rate);
    const b = this.buckets.get(key) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * rate);
    b.at = t;
    b.tokens -= 1;
    this.buckets.set(key, b);
    return b.tokens >= 0 ? 0 : Math.ceil((-b.tokens / rate) * 1000);
  }
}
