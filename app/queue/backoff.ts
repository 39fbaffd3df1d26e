// Retry delays: min(cap, base·2^(attempt−1)), with "equal jitter".
//
// The delay is uniformly distributed in [d/2, d] where d is the exponential
// value: half of it is guaranteed (so retries really back off), half is random
// (so many items that failed together do not retry together). Defaults: base
// 30 s, cap 1 h (QUEUE_BACKOFF_BASE_MS / QUEUE_BACKOFF_CAP_MS). Pure.

export type BackoffPolicy = { baseMs: number; capMs: number };

export function backoffCeiling(attempt: number, policy: BackoffPolicy): number {
  const exp = policy.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 40));
  return Math.min(policy.capMs, exp);
}

export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const d = backoffCeiling(attempt, policy);
  return Math.round(d / 2 + random() * (d / 2));
}

/** Bounds a test can assert: every delay for `attempt` lies in [min, max]. */
export function backoffBounds(attempt: number, policy: BackoffPolicy): { min: number; max: number } {
  const d = backoffCeiling(attempt, policy);
  return { min: Math.floor(d / 2), max: Math.ceil(d) };
}
