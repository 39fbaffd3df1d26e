// Our pace for each shop's Commerce7 tenant, held per REQUEST (ADR 0021).
//
// Commerce7 limits every tenant (100 requests per minute, documented), and one
// queue item makes several requests (find the customer, list memberships,
// create, cancel…), so the client takes a token before each request, from the
// shop's bucket shared by every instance (queue/pacing.server.ts). The worker
// takes the first token of an item before starting it (so a tenant with no
// token left holds no worker slot) and hands it over as `prepaid`.
//
// Invariants:
// - Any window of COMMERCE7_RATE_WINDOW_MS (a minute; tests scale it) carries
//   at most the shop's Shop.c7RequestsPerMinute requests of ours, whatever
//   calls them (queue items, the wizard, Settings, the catch-up): windowPace.
// - A request never waits past the caller's signal, nor longer than
//   MAX_WAIT_MS: past that it fails as `throttled` (the queue defers the item
//   without using an attempt), and nothing was sent.
import type { Db } from "../../db.server";
import { env } from "../../env.server";
import { SyncError } from "../../queue/errors";
import { windowPace } from "../../queue/pacing";
import { CHUNK_TTL_MS, SharedPacer } from "../../queue/pacing.server";

export const COMMERCE7_PACE_KEY = "commerce7";
export const DEFAULT_COMMERCE7_REQUESTS_PER_MINUTE = 100;
/** The longest a request waits for the shop's next token before it gives up as throttled. */
export const MAX_WAIT_MS = 10_000;

/** Takes one request's token (resolves when it may go), or throws a throttled SyncError. */
export type RequestGate = (signal?: AbortSignal) => Promise<void>;

const pacers = new WeakMap<Db, SharedPacer>();
function pacerFor(db: Db) {
  let p = pacers.get(db);
  if (!p) pacers.set(db, (p = new SharedPacer(db, {})));
  return p;
}

/** The token bucket that keeps `perMinute` per window. */
export function commerce7Pace(perMinute: number) {
  return windowPace(Math.max(2, perMinute), env.COMMERCE7_RATE_WINDOW_MS, CHUNK_TTL_MS);
}

export function commerce7Gate(db: Db, shop: string, perMinute: number, prepaid = 0): RequestGate {
  let credit = prepaid;
  const pace = commerce7Pace(perMinute);
  return async (signal) => {
    if (credit > 0) {
      credit--;
      return;
    }
    const deadline = Date.now() + MAX_WAIT_MS;
    for (;;) {
      const waitMs = await pacerFor(db).tryTake(shop, COMMERCE7_PACE_KEY, pace);
      if (waitMs === 0) return;
      if (Date.now() + waitMs > deadline) {
        throw new SyncError("throttled", `Commerce7: this shop's pace (${perMinute} requests per minute) has no request free for ${waitMs} ms`, { platform: "commerce7", retryAfterMs: waitMs });
      }
      await sleep(waitMs, signal);
    }
  };
}

function sleep(ms: number, signal?: AbortSignal) {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", abort);
      resolve();
    }, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", abort, { once: true });
  });
}
