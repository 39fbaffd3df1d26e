// Per-shop pacing shared by every instance (PaceBucket rows, arithmetic in
// pacing.ts).
//
// Cost: an instance takes tokens in chunks (a quarter second's worth) with one
// read and one version-checked update, and spends them locally for at most
// CHUNK_TTL_MS; unspent tokens lapse (a little throughput lost, never rate
// exceeded). So any window of L seconds carries at most
// burst + rate × (L + CHUNK_TTL_MS/1000) starts of one shop, across instances.
// An empty bucket is remembered until its next token, so a worker scanning its
// buffer asks the database about a paced shop at most once per token.
// Instances' clocks are assumed roughly in step (refill uses the caller's clock).
import { isUniqueViolation, type Db } from "../db.server";
import { burstFor, tryTakeTokens, type PaceRates } from "./pacing";

export const CHUNK_TTL_MS = 250;
const MAX_CONFLICTS = 8;

export class SharedPacer {
  private readonly local = new Map<string, { tokens: number; until: number }>();
  /** When a shop's bucket was last found empty: no need to ask again before this. */
  private readonly notBefore = new Map<string, number>();
  /** One database acquisition per key at a time in this process. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly db: Db,
    private readonly rates: PaceRates,
    private readonly now: () => number = Date.now,
  ) {}

  /** False when no platform is paced (then tryTake always answers 0 at once). */
  get enabled() {
    return Object.values(this.rates).some((r) => Number.isFinite(r) && r > 0);
  }

  /**
   * Shops whose bucket was found empty and has no token yet: a claim leaves
   * their items where they are rather than take items that could not start.
   */
  blockedShops(): string[] {
    const now = this.now();
    const shops: string[] = [];
    for (const [key, until] of this.notBefore) {
      if (until <= now) this.notBefore.delete(key);
      else shops.push(key.slice(key.indexOf(":") + 1));
    }
    return shops;
  }

  /**
   * 0: a token was taken, the item may start now. Otherwise nothing was taken,
   * and this many milliseconds pass before the shop has a token again.
   */
  tryTake(shop: string, crm: string, pace?: { rate: number; burst: number }): Promise<number> {
    // `pace`: this shop's own (a Commerce7 tenant's per-request pace, ADR 0021); else the platform's.
    const rate = pace?.rate ?? this.rates[crm];
    if (rate === undefined || !Number.isFinite(rate) || rate <= 0) return Promise.resolve(0);
    const key = `${crm}:${shop}`;
    const burst = pace?.burst ?? burstFor(rate);
    const run = (this.queues.get(key) ?? Promise.resolve()).then(() => this.take(key, shop, crm, rate, burst));
    this.queues.set(key, run.catch(() => undefined));
    return run;
  }

  private async take(key: string, shop: string, platform: string, rate: number, burst: number): Promise<number> {
    const held = this.local.get(key);
    if (held && held.tokens >= 1 && held.until > this.now()) {
      held.tokens -= 1;
      return 0;
    }
    const blocked = (this.notBefore.get(key) ?? 0) - this.now();
    if (blocked > 0) return blocked;
    const chunk = Math.max(1, Math.ceil(rate * (CHUNK_TTL_MS / 1000)));
    for (let conflict = 0; conflict < MAX_CONFLICTS; conflict++) {
      const row = await this.db.paceBucket.findUnique({ where: { shop_platform: { shop, platform } } });
      const now = this.now();
      if (!row) {
        try {
          await this.db.paceBucket.create({ data: { shop, platform, tokens: burst, at: new Date(now) } });
        } catch (error) {
          if (!isUniqueViolation(error)) throw error; // another instance created it: read it again
        }
        continue;
      }
      const { bucket, granted, waitMs } = tryTakeTokens({ tokens: row.tokens, at: row.at.getTime() }, now, rate, burst, chunk);
      if (granted === 0) {
        this.notBefore.set(key, now + waitMs);
        return waitMs;
      }
      const { count } = await this.db.paceBucket.updateMany({
        where: { shop, platform, version: row.version },
        data: { tokens: bucket.tokens, at: new Date(now), version: { increment: 1 } },
      });
      if (count === 1) {
        this.local.set(key, { tokens: granted - 1, until: now + CHUNK_TTL_MS });
        return 0;
      }
    }
    // Instances keep colliding on this shop's bucket: try again a token's time later.
    return Math.ceil(1000 / rate);
  }
}
