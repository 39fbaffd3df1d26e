// The in-process worker: polls for due items, is woken at once by enqueues in
// this process, runs up to `concurrency` items at a time, takes back items
// whose lease expired, paces each shop, and shuts down gracefully.
//
// Invariants (docs/decisions/0005-sync-queue.md):
// - Claim only what can start. A claim asks for the free slots, plus a small
//   prefetch sized so that every prefetched item starts within `handBackMs`
//   (measured from how long items take). A claimed item is running, or it is
//   handed back (pending again, no attempt used) before `handBackMs` passes,
//   which is well inside its lease; nothing waits in this process while its
//   lease runs out.
// - Right before an item starts, its claim is known to be ours: it was claimed
//   or re-checked in the database (id, fence, still processing, lease not over)
//   within VERIFY_MS, and by this process's clock its lease has more than the
//   safety margin left.
// - The processor's deadline counts from the claim: lease end minus the safety
//   margin, so a run can never outlive its lease.
// - One process never runs two copies of one item (run.server.ts keeps the set
//   of items running in this process, for every worker and the inline sync).
// - A failed poll backs off (bounded, with jitter) and is logged once per
//   interval with a count; the loop resumes on its own when the database does.
import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Db } from "../db.server";
import { observeLeaseExpiries } from "../metrics.server";
import type { BackoffPolicy } from "./backoff";
import { claimDue, handBack, recoverExpiredLeases, repairReady, stillHeld } from "./claim.server";
import { SuccessBatcher, recordRelease } from "./finish.server";
import { RepeatLog, queueLog } from "./log.server";
import { onWake } from "./notifier";
import type { PaceRates } from "./pacing";
import { SharedPacer } from "./pacing.server";
import { COMMERCE7_PACE_KEY, DEFAULT_COMMERCE7_REQUESTS_PER_MINUTE, commerce7Pace } from "../integrations/commerce7/pace.server";
import { runItem, type RunOutcome } from "./run.server";
import type { QueueItem } from "./types";

export type WorkerOptions = {
  db: Db;
  workerId?: string;
  concurrency: number;
  pollIntervalMs: number;
  leaseMs: number;
  backoff: BackoffPolicy;
  /** Per-item processor deadline; never beyond the claim's lease minus the safety margin. */
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

// Commerce7: each shop's own pace, per request (Shop.c7RequestsPerMinute,
// integrations/commerce7/pace.server.ts, ADR 0021); its entry here only turns
// it on: an item starts once it has its first request's token.
export const DEFAULT_PACE: PaceRates = { shopify: 10, commerce7: 100 / 60 };

/** A buffered item's database check older than this is renewed before it starts. */
const VERIFY_MS = 50;
/** After a failed poll: wait base·2^(n−1), up to the cap (at least the poll interval), with equal jitter. */
const ERROR_BACKOFF_BASE_MS = 200;
const ERROR_BACKOFF_CAP_MS = 5_000;

/** How far back the periodic repair of `ready` looks (claim.server.ts, repairReady). */
const REPAIR_WINDOW_MS = 5 * 60_000;

type Held = { item: QueueItem; claimedAt: number; leaseEnd: number; verifiedAt: number; prepaid?: number };

/** Time kept free at the end of a lease: for recording the outcome, and for clocks a little apart. */
export function leaseSafetyMs(leaseMs: number) {
  return Math.min(5_000, Math.max(100, Math.floor(leaseMs / 5)));
}

/** How long a claimed item may wait in a worker's buffer before it is handed back. */
export function handBackMs(leaseMs: number) {
  return Math.min(2_000, Math.floor(leaseMs / 4));
}

export class Worker extends EventEmitter<WorkerEvents> {
  readonly id: string;
  private running = false;
  private claiming = true;
  private readonly inflight = new Map<string, { item: QueueItem; promise: Promise<void>; abort: AbortController }>();
  private readonly pacer: SharedPacer;
  private readonly pacing: boolean;
  private signal: (() => void) | null = null;
  private stopSignal: (() => void) | null = null;
  /** Set by a nudge that arrives while the loop is busy, so it is not lost. */
  private woken = false;
  /** Claimed, not started yet; each is started or handed back within handBackMs. */
  private buffer: Held[] = [];
  private readonly shops = new Map<string, { row: { domain: string; crm: string; timezone: string; c7RequestsPerMinute: number } | null; at: number }>();
  private loopDone: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;
  private lastPrune = 0;
  private readonly successes: SuccessBatcher;
  private readonly pollErrors = new RepeatLog("poll_failed");
  private readonly runErrors = new RepeatLog("run_failed");
  /** Moving average of how long a processor takes (ms), for the prefetch size. */
  private runMs: number | null = null;
  private readonly safetyMs: number;
  private readonly handBackAfterMs: number;

  constructor(private readonly o: WorkerOptions) {
    super();
    this.id = o.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
    this.pacer = new SharedPacer(o.db, o.paceRates ?? DEFAULT_PACE);
    this.pacing = this.pacer.enabled;
    this.successes = new SuccessBatcher(o.db);
    this.safetyMs = leaseSafetyMs(o.leaseMs);
    this.handBackAfterMs = handBackMs(o.leaseMs);
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

  /** Sleeps `ms`; a nudge ends it early unless `nudgeable` is false (error backoff). stop() always does. */
  private wait(ms: number, nudgeable = true) {
    return new Promise<void>((resolve) => {
      if (!this.claiming || (nudgeable && this.woken)) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.signal = null;
        this.stopSignal = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (nudgeable) this.signal = done;
      this.stopSignal = done;
    });
  }

  /**
   * How many items may wait in the buffer: as many as the slots start within
   * half the hand-back time at the measured pace. Zero until a pace is known,
   * and zero for a slow platform: then the worker claims only free slots.
   */
  private prefetch(): number {
    if (this.runMs === null) return 0;
    const startable = Math.floor((this.o.concurrency * (this.handBackAfterMs / 2)) / Math.max(this.runMs, 0.05));
    return Math.max(0, Math.min(this.o.concurrency * 7, startable));
  }

  private async loop() {
    let lastRecovery = 0;
    let failures = 0;
    let repaired = false;
    while (this.running && this.claiming) {
      this.woken = false;
      let full = false;
      let pacedMs = Infinity;
      try {
        const now = new Date();
        if (now.getTime() - lastRecovery >= Math.min(this.o.pollIntervalMs, 1000)) {
          lastRecovery = now.getTime();
          const expired = await recoverExpiredLeases(this.o.db, now);
          observeLeaseExpiries(expired.length);
          for (const item of expired) {
            queueLog("warn", "lease_expired", { shop: item.shop, item: item.id, action: item.actionType, status: item.status });
          }
          // Heads a race left unmarked: every waiting item once, then recent ones.
          await repairReady(this.o.db, repaired ? new Date(now.getTime() - REPAIR_WINDOW_MS) : null);
          repaired = true;
        }
        await this.handBackOverdue(now.getTime());
        const room = this.o.concurrency - this.active - this.buffer.length + Math.max(0, this.prefetch() - this.buffer.length);
        if (room > 0 && this.claiming) {
          const items = await claimDue(this.o.db, {
            workerId: this.id,
            limit: room,
            // Paced shops get a few items at a time, so their waiting items never
            // fill a claim ahead of other shops'; shops known to be out of
            // tokens are left out of the claim altogether.
            perShop: this.o.perShop ?? (this.pacing ? this.o.concurrency * 2 : room),
            leaseMs: this.o.leaseMs,
            now,
            excludeShops: this.pacing ? this.pacer.blockedShops() : [],
          });
          const at = now.getTime();
          for (const item of items) this.buffer.push({ item, claimedAt: at, leaseEnd: at + this.o.leaseMs, verifiedAt: at });
          full = items.length === room;
        }
        pacedMs = await this.startReady();
        await this.maybePrune();
        failures = 0;
        this.pollErrors.resolved({ worker: this.id });
      } catch (error) {
        failures++;
        this.pollErrors.error(error instanceof Error ? error.message : String(error), { worker: this.id });
        // Back off; nudges (finished items, enqueues) do not cut it short, so
        // a database that keeps failing cannot make the loop spin.
        const ceiling = Math.min(Math.max(ERROR_BACKOFF_CAP_MS, this.o.pollIntervalMs), ERROR_BACKOFF_BASE_MS * 2 ** Math.min(failures - 1, 20));
        await this.wait(ceiling / 2 + Math.random() * (ceiling / 2), false);
        continue;
      }
      // Keep going while the claim came back full and there is room; otherwise
      // sleep until an enqueue, a finished item, the first paced shop's token,
      // or the poll interval.
      if (this.active >= this.o.concurrency) await this.wait(this.o.pollIntervalMs);
      else if (pacedMs < Infinity) await this.wait(Math.min(this.o.pollIntervalMs, pacedMs));
      else if (!full) await this.wait(this.o.pollIntervalMs);
    }
    // Claimed but never started: hand back at once (never attempted, so no attempt row).
    const left = this.buffer.splice(0);
    if (left.length) await handBack(this.o.db, this.id, left.map((h) => h.item)).catch((error) => this.pollErrors.error(String(error), { worker: this.id }));
  }

  /** Buffered items that could not start in time go back to pending, in one statement. */
  private async handBackOverdue(now: number) {
    const overdue = this.buffer.filter((h) => now - h.claimedAt >= this.handBackAfterMs);
    if (!overdue.length) return;
    this.buffer = this.buffer.filter((h) => now - h.claimedAt < this.handBackAfterMs);
    await handBack(this.o.db, this.id, overdue.map((h) => h.item));
  }

  /** Re-checks in the database that every buffered item whose check is older than VERIFY_MS is still ours. */
  private async verifyBuffer(now: number) {
    const stale = this.buffer.filter((h) => now - h.verifiedAt > VERIFY_MS);
    if (!stale.length) return;
    const held = await stillHeld(this.o.db, this.id, stale.map((h) => h.item), new Date(now));
    for (const h of stale) {
      if (held.has(h.item.id)) h.verifiedAt = now;
      else queueLog("warn", "claim_lost", { worker: this.id, item: h.item.id, shop: h.item.shop });
    }
    this.buffer = this.buffer.filter((h) => h.verifiedAt === now || !stale.includes(h));
  }

  /**
   * Starts buffered items while there are free slots, in claim order; with
   * pacing, the first item whose shop has a token (taken now) goes, items of a
   * shop that must wait stay buffered, and other shops go first. Returns how
   * long until the first paced shop has a token (Infinity: none waits).
   */
  private async startReady(): Promise<number> {
    let soonest = Infinity;
    const waiting = new Set<string>();
    let i = 0;
    while (i < this.buffer.length && this.active < this.o.concurrency) {
      const now = Date.now();
      await this.verifyBuffer(now);
      const h = this.buffer[i];
      if (!h) break;
      if (h.leaseEnd - this.safetyMs - now < this.o.leaseMs / 2) {
        // Too little of the lease left to start it (the machine stalled): hand it back.
        this.buffer.splice(i, 1);
        await handBack(this.o.db, this.id, [h.item]);
        continue;
      }
      if (this.pacing) {
        if (waiting.has(h.item.shop)) {
          i++;
          continue;
        }
        // Paced per (shop, platform): the platform the item runs against. A
        // Commerce7 item takes its first request's token from the shop's own
        // per-request bucket and hands it to its client (prepaid).
        const c7 = h.item.platform === "commerce7" && this.o.paceRates?.commerce7 !== undefined;
        const pace = c7 ? commerce7Pace((await this.shopRow(h.item.shop))?.c7RequestsPerMinute ?? DEFAULT_COMMERCE7_REQUESTS_PER_MINUTE) : undefined;
        const waitMs = await this.pacer.tryTake(h.item.shop, c7 ? COMMERCE7_PACE_KEY : h.item.platform, pace);
        if (waitMs > 0) {
          waiting.add(h.item.shop);
          soonest = Math.min(soonest, waitMs);
          i++;
          continue;
        }
        if (c7) h.prepaid = 1;
      }
      this.buffer.splice(i, 1);
      this.launch(h);
    }
    return soonest;
  }

  private launch(h: Held) {
    const { item } = h;
    const abort = new AbortController();
    this.active++;
    let slotFreed = false;
    const startedAt = performance.now();
    // The slot frees when the processor returns; recording the outcome (group
    // commit) overlaps with the next items. `inflight` still tracks the item
    // until its outcome is recorded, for shutdown.
    const freeSlot = () => {
      if (slotFreed) return;
      slotFreed = true;
      this.active--;
      const took = performance.now() - startedAt;
      this.runMs = this.runMs === null ? took : this.runMs * 0.8 + took * 0.2;
      this.nudge();
    };
    // The deadline counts from the claim, not from now.
    const budget = h.leaseEnd - this.safetyMs - Date.now();
    const promise = (async () => {
      const shop = await this.shopRow(item.shop);
      const outcome = await runItem(this.o.db, item, {
        shop,
        recordSuccess: (success) => this.successes.record(success),
        prepaidRequests: h.prepaid,
        onProcessed: freeSlot,
        workerId: this.id,
        backoff: this.o.backoff,
        timeoutMs: Math.max(1, Math.min(this.o.processorTimeoutMs ?? Infinity, budget)),
        recordDeadline: h.leaseEnd - Math.floor(this.safetyMs / 2),
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
      .then(() => this.runErrors.resolved({ worker: this.id }))
      .catch((error) => this.runErrors.error(error instanceof Error ? error.message : String(error), { worker: this.id, item: item.id }))
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
    const row = await this.o.db.shop.findUnique({ where: { domain }, select: { domain: true, crm: true, timezone: true, c7RequestsPerMinute: true } });
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
    this.stopSignal?.();
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
