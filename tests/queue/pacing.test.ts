// Per-shop pacing: the token bucket's arithmetic, and the bucket shared by
// several worker instances through the database, so that together they never
// start one shop's items faster than the platform's rate, while another shop
// is not held back.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { queueCrmSync } from "~/queue/enqueue.server";
import { burstFor, tryTakeTokens } from "~/queue/pacing";
import { CHUNK_TTL_MS } from "~/queue/pacing.server";
import { clearProcessors, registerProcessor } from "~/queue/registry";
import { Worker } from "~/queue/worker.server";
import { until } from "./support";

describe("the token bucket", () => {
  it("refills at the rate up to the burst, grants whole tokens up to what is wanted, and with none there takes nothing and says how long", () => {
    const rate = 10;
    expect(tryTakeTokens({ tokens: 10, at: 0 }, 0, rate, burstFor(rate), 3)).toEqual({ bucket: { tokens: 7, at: 0 }, granted: 3, waitMs: 0 });
    expect(tryTakeTokens({ tokens: 0, at: 0 }, 250, rate, 10, 3)).toEqual({ bucket: { tokens: 0.5, at: 250 }, granted: 2, waitMs: 0 });
    expect(tryTakeTokens({ tokens: 0, at: 0 }, 50, rate, 10, 3)).toEqual({ bucket: { tokens: 0.5, at: 50 }, granted: 0, waitMs: 50 });
    expect(tryTakeTokens({ tokens: 0.99, at: 0 }, 0, rate, 10, 3)).toEqual({ bucket: { tokens: 0.99, at: 0 }, granted: 0, waitMs: 1 });
    expect(tryTakeTokens({ tokens: 4, at: 0 }, 60_000, rate, 10, 50)).toMatchObject({ granted: 10, bucket: { tokens: 0 } }); // never above the burst
    expect(burstFor(0.5)).toBe(1);
  });
});

const BUSY = "busy.myshopify.com";
const QUIET = "quiet-pace.myshopify.com";
const RATE = 20;
const starts: { shop: string; at: number }[] = [];
const workers: Worker[] = [];

beforeAll(async () => {
  await prisma.shop.createMany({ data: [{ domain: BUSY }, { domain: QUIET }] });
  clearProcessors();
  registerProcessor("shopify", "add_membership", async ({ item }) => {
    starts.push({ shop: item.shop, at: Date.now() });
    return { result: {} };
  });
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop({ deadlineMs: 2000 })));
});

/** A worker as another app instance would run it: its own process state, the shared database. */
function instance() {
  const w = new Worker({ db: prisma, concurrency: 4, pollIntervalMs: 20, leaseMs: 30_000, backoff: { baseMs: 50, capMs: 500 }, paceRates: { shopify: RATE }, pruneEveryMs: 0 });
  workers.push(w);
  w.start();
  return w;
}

describe("pacing shared by instances", () => {
  it("two instances together start one shop's items no faster than its rate, and another shop is not held back", async () => {
    const N = 60;
    for (let i = 0; i < N; i++) await queueCrmSync({ shop: BUSY, actionType: "add_membership", stageId: "t", customerId: `busy-${i}`, idempotencyKey: `busy-${i}` });
    for (let i = 0; i < 5; i++) await queueCrmSync({ shop: QUIET, actionType: "add_membership", stageId: "t", customerId: `quiet-${i}`, idempotencyKey: `quiet-${i}` });
    instance();
    instance();
    await until(async () => starts.length, (n) => n >= N + 5, 20_000);

    const busy = starts.filter((s) => s.shop === BUSY).map((s) => s.at).sort((a, b) => a - b);
    const quiet = starts.filter((s) => s.shop === QUIET).map((s) => s.at);
    const t0 = busy[0]!;
    // A burst of one second's worth, then RATE per second: (N - burst) / RATE seconds at least.
    const burst = burstFor(RATE);
    expect(busy.at(-1)! - t0).toBeGreaterThanOrEqual(((N - burst) / RATE) * 1000 - CHUNK_TTL_MS);
    // In any one-second window: at most the burst plus a second and a chunk's lifetime of refill.
    const ceiling = burst + RATE * (1 + CHUNK_TTL_MS / 1000);
    for (const from of busy) expect(busy.filter((t) => t >= from && t < from + 1000).length).toBeLessThanOrEqual(ceiling);
    // The quiet shop's items all started before the busy shop was half through
    // (relative, so a loaded machine cannot make it flaky).
    expect(Math.max(...quiet)).toBeLessThan(busy[Math.floor(busy.length / 2)]!);
  });
});
