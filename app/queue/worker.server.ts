// The in-process worker: polls for due items, is woken at once by enqueues in
// this process, runs up to `concurrency` items at a time, takes back items
// whose lease expired, paces each shop, and shuts down gracefully.
import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Db } from "../db.server";
import type { BackoffPolicy } from "./backoff";
import { claimDue, recoverExpiredLeases } from "./claim.server";
import { SuccessBatcher, recordRelease } from "./finish.server";
import { queueLog } from "./log.server";
import { onWake } from "./notifier";
import type { PaceRates } from "./pacing";
import { SharedPacer } from "./pacing.server";
import { runItem, type RunOutcome } from "./run.server";
import type { QueueItem } from "./types";

export type WorkerOptions = {
  db: Db;
  workerId?: string;
  concurrency: number;
  pollIntervalMs: number;
  leaseMs: number;
  backoff: BackoffPolicy;
  /** Per-item processor deadline; kept below the lease so a slow call can't outlive it. */
  processorTimeoutMs?: number;
  /** Most items of one shop claimed per round (fairness). */
  perShop?: number;
  paceRates?: PaceRates;
  random?: () => number;
  /** How often to delete old completed items (0 = never). */
  pruneEveryMs?: number;
  pruneOlderThanDays?: number;
};

export type WorkerEvents = {
  outcome: [item: QueueItem, outcome: RunOutcome];
  permanentFailure: [item: QueueItem, reason: string];
};

export const DEFAULT_PACE: PaceRates = { shopify: 10, commerce7: 5 };

export class Worker extends EventEmitter<WorkerEvents> {
  readonly id: string;
  private running = false;
  private claiming = true;
  private readonly inflight = new Map<string, { item: QueueItem; promise: Promise<void>; abort: AbortController }>();
  private readonly pacer: SharedPacer;
  private readonly pacing: boolean;
  private signal: (() => void) | null = null;
  /** Set by a nudge that arrives while the loop is busy, so it is not lost. */
  private woken = false;
  /** Claimed but not yet started: a claim fetches several items at once. */
  private readonly buffer: QueueItem[] = [];
  private readonly shops = new Map<string, { row: { domain: string; crm: string; timezone: string } | null; at: number }>();
  private loopDone: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;
  private lastPrune = 0;
  private readonly successes: SuccessBatcher;

  constructor(private readonly o: WorkerOptions) {
    super();
    this.id = o.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
    this.pacer = new SharedPacer(o.db, o.paceRates ?? DEFAULT_PACE);
    this.pacing = this.pacer.enabled;
    this.successes = new SuccessBatcher(o.db);
  }

  /** Items whose processor is running (the concurrency limit); recording their outcome may lag. */
  private active = 0;

  get busy() {
    return this.inflight.size;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.claiming = true;
    this.unsubscribe = onWake(() => this.nudge());
    this.loopDone = this.loop();
  }

  /** Wakes the loop now (an enqueue, a finished item). */
  nudge() {
    this.woken = true;
    const s = this.signal;
    this.signal = null;
    s?.();
  }

  private wait(ms: number) {
    return new Promise<void>((resolve) => {
      if (this.woken) return resolve();
      const timer = setTimeout(() => {
        this.signal = null;
        resolve();
      }, ms);
      this.signal = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async loop() {
    let lastRecovery = 0;
    while (this.running && this.claiming) {
      this.woken = false;
      let claimed = 0;
      let pacedMs = Infinity;
      try {
        const now = new Date();
        if (now.getTime() - lastRecovery >= Math.min(this.o.pollIntervalMs, 1000)) {
          lastRecovery = now.getTime();
          for (const item of await recoverExpiredLeases(this.o.db, now)) {
            queueLog("warn", "lease_expired", { shop: item.shop, item: item.id, action: item.actionType, status: item.status });
          }
        }
        // Refill the buffer when it runs low: one claim serves several items.
        const batch = this.o.concurrency * 8;
        if (this.buffer.length < this.o.concurrency * 2 && this.claiming) {
          const items = await claimDue(this.o.db, {
            workerId: this.id,
            limit: batch - this.buffer.length,
            // Paced shops get a few items at a time, so their waiting items never
            // fill the buffer ahead of other shops'.
            perShop: this.o.perShop ?? (this.pacing ? this.o.concurrency * 2 : batch),
            leaseMs: this.o.leaseMs,
            now,
          });
          claimed = items.length;
          this.buffer.push(...items);
        }
        while (this.buffer.length && this.active < this.o.concurrency) {
          if (!this.pacing) {
            this.launch(this.buffer.shift()!);
            continue;
          }
          const next = await this.nextToStart();
          if (!next.item) {
            pacedMs = next.waitMs;
            break;
          }
          this.launch(next.item);
        }
        await this.maybePrune();
      } catch (error) {
        queueLog("error", "poll_failed", { worker: this.id, error: error instanceof Error ? error.message : String(error) });
      }
      // Keep going while there is work and room; otherwise sleep until an
      // enqueue, a finished item, or the poll interval.
      if ((claimed === 0 && this.buffer.length === 0) || this.active >= this.o.concurrency) await this.wait(this.o.pollIntervalMs);
      // Everything claimed belongs to shops waiting for their pace: sleep until the first may go.
      else if (pacedMs < Infinity) await this.wait(Math.min(this.o.pollIntervalMs, pacedMs));
    }
    // Claimed but never started: hand back at once (no attempt used).
    for (const item of this.buffer.splice(0)) {
      await recordRelease(this.o.db, item, { workerId: this.id, startedAt: new Date(), durationMs: 0, error: "released at shutdown" });
    }
  }

  /**
   * The first buffered item whose shop has a pace token (taken now), in claim
   * order; items of a shop that must wait stay buffered, and other shops go
   * first. No item is started, or holds a worker, while its shop waits.
   */
  private async nextToStart(): Promise<{ item: QueueItem | null; waitMs: number }> {
    let soonest = Infinity;
    const waiting = new Set<string>();
    for (let i = 0; i < this.buffer.length; i++) {
      const item = this.buffer[i]!;
      if (waiting.has(item.shop)) continue;
      const shop = await this.shopRow(item.shop);
      const waitMs = await this.pacer.tryTake(item.shop, shop?.crm ?? "shopify");
      if (waitMs === 0) {
        this.buffer.splice(i, 1);
        return { item, waitMs: 0 };
      }
      waiting.add(item.shop);
      soonest = Math.min(soonest, waitMs);
    }
    return { item: null, waitMs: soonest };
  }

  private launch(item: QueueItem) {
    const abort = new AbortController();
    this.active++;
    let slotFreed = false;
    // The slot frees when the processor returns; recording the outcome (group
    // commit) overlaps with the next items. `inflight` still tracks the item
    // until its outcome is recorded, for shutdown.
    const freeSlot = () => {
      if (slotFreed) return;
      slotFreed = true;
      this.active--;
      this.nudge();
    };
    const promise = (async () => {
      const shop = await this.shopRow(item.shop);
      const outcome = await runItem(this.o.db, item, {
        shop,
        recordSuccess: (success) => this.successes.record(success),
        onProcessed: freeSlot,
        workerId: this.id,
        backoff: this.o.backoff,
        timeoutMs: this.o.processorTimeoutMs ?? Math.max(1000, this.o.leaseMs - 5000),
        random: this.o.random,
        signal: abort.signal,
        onPermanentFailure: (i, reason) => {
          queueLog("error", "permanent_failure", { shop: i.shop, item: i.id, action: i.actionType, reason });
          this.emit("permanentFailure", i, reason);
        },
      });
      if (outcome === "aborted") {
        await recordRelease(this.o.db, item, { workerId: this.id, startedAt: new Date(), durationMs: 0, error: "released at shutdown" });
      }
      this.emit("outcome", item, outcome);
    })()
      .catch((error) => queueLog("error", "run_failed", { item: item.id, error: error instanceof Error ? error.message : String(error) }))
      .finally(() => {
        freeSlot();
        this.inflight.delete(item.id);
        this.nudge();
      });
    this.inflight.set(item.id, { item, promise, abort });
  }

  /** Shop rows change rarely (CRM choice, time zone): cached for a few seconds. */
  private async shopRow(domain: string) {
    const hit = this.shops.get(domain);
    if (hit && Date.now() - hit.at < 5000) return hit.row;
    const row = await this.o.db.shop.findUnique({ where: { domain }, select: { domain: true, crm: true, timezone: true } });
    this.shops.set(domain, { row, at: Date.now() });
    return row;
  }

  private async maybePrune() {
    const every = this.o.pruneEveryMs ?? 3_600_000;
    if (!every || Date.now() - this.lastPrune < every) return;
    this.lastPrune = Date.now();
    const { pruneCompleted } = await import("./stats.server");
    await pruneCompleted(this.o.db, { olderThanDays: this.o.pruneOlderThanDays ?? 30 });
  }

  /**
   * Stops claiming at once, lets in-flight items finish until `deadlineMs`,
   * then aborts the rest; aborted items are released (pending again, no
   * attempt used), never failed.
   */
  async stop({ deadlineMs = 10_000 }: { deadlineMs?: number } = {}) {
    this.claiming = false;
    this.unsubscribe?.();
    this.nudge();
    await this.loopDone;
    const all = () => Promise.all([...this.inflight.values()].map((f) => f.promise));
    const timedOut = await Promise.race([all().then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), deadlineMs))]);
    if (timedOut) {
      for (const f of this.inflight.values()) f.abort.abort(new Error("shutdown"));
      await all();
    }
    this.running = false;
  }
}
