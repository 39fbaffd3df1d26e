// How a remote call failed, as the queue needs to know it.
//
// Integrations (app/integrations/<platform>/) throw SyncError; the queue turns
// the kind into an outcome:
//   retryable  → attempts + 1, next run after backoff (network, timeout, 5xx)
//   permanent  → failed at once with the message (validation, not found)
//   auth       → failed at once; shown as "check the credentials" (401/403)
//   throttled  → deferred by retryAfterMs without using an attempt (429, THROTTLED)
// Anything else thrown is treated as retryable: an unknown failure must never
// be dropped silently, and the attempt limit still bounds it.

export type SyncErrorKind = "retryable" | "permanent" | "auth" | "throttled";

export class SyncError extends Error {
  readonly kind: SyncErrorKind;
  readonly httpStatus?: number;
  readonly retryAfterMs?: number;
  readonly platform?: string;

  constructor(
    kind: SyncErrorKind,
    message: string,
    opts: { httpStatus?: number; retryAfterMs?: number; platform?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "SyncError";
    this.kind = kind;
    this.httpStatus = opts.httpStatus;
    this.retryAfterMs = opts.retryAfterMs;
    this.platform = opts.platform;
  }
}

export function isSyncError(error: unknown): error is SyncError {
  return error instanceof SyncError;
}

/** Parses an HTTP Retry-After header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
