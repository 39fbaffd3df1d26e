// Per-shop pacing: a token bucket per (shop, platform), so one shop's items
// never go out faster than that platform allows for it, and a busy shop cannot
// hold the workers (it waits for its own tokens; other shops do not).
//
// The bucket lives in the database (pacing.server.ts) so every app instance
// draws from the same one. This file is the arithmetic. Pure.

export type PaceRates = Record<string, number>; // requests per second, by CRM

export type Bucket = { tokens: number; at: number };

/**
 * Refills `bucket` to `now` (at most `burst` tokens) and takes up to `want`
 * whole tokens. With less than one token there, it takes nothing and says how
 * long until one is: an item never holds a worker while it waits for its shop.
 * Tokens never go below zero, so no window of L seconds sees more than
 * burst + rate × L grants.
 */
export function tryTakeTokens(bucket: Bucket, now: number, rate: number, burst: number, want: number): { bucket: Bucket; granted: number; waitMs: number } {
  const refilled = Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * rate);
  if (refilled < 1) return { bucket: { tokens: refilled, at: now }, granted: 0, waitMs: Math.max(1, Math.ceil(((1 - refilled) / rate) * 1000 - 1e-6)) };
  const granted = Math.min(want, Math.floor(refilled));
  return { bucket: { tokens: refilled - granted, at: now }, granted, waitMs: 0 };
}

/** A second's worth of requests may go out at once; never less than one. */
export const burstFor = (rate: number) => Math.max(1, rate);

/**
 * A rate and burst that keep any window of `windowMs` under `limit` requests,
 * however the platform counts its window (fixed or sliding), when tokens may
 * be spent up to `slackMs` after they were taken (pacing.server.ts's chunks):
 * burst + rate × (window + slack) ≤ limit. A tenth of the limit may go at
 * once (at least one); the rest is spread over the window. `limit` ≥ 2.
 */
export function windowPace(limit: number, windowMs: number, slackMs: number): { rate: number; burst: number } {
  const burst = Math.max(1, Math.floor(limit / 10));
  return { rate: Math.max(0, limit - burst) / ((windowMs + slackMs) / 1000), burst };
}
