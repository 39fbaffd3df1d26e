// One structured JSON line per attempt (and per notable queue event).
// Never includes credentials or payloads.
import { log, type LogLevel } from "../log.server";

export function queueLog(level: LogLevel, event: string, fields: Record<string, unknown>) {
  log("queue", level, event, fields);
}

/**
 * A repeated error is logged once per interval with a count: the first
 * occurrence at once, then at most one line per `intervalMs` saying how many
 * happened since, and one line when it stops (`resolved`). An outage of the
 * database therefore costs a handful of lines, not thousands per second.
 */
export class RepeatLog {
  private readonly open = new Map<string, { since: number; lastLine: number; count: number }>();

  constructor(
    private readonly event: string,
    private readonly intervalMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  error(message: string, fields: Record<string, unknown> = {}) {
    const t = this.now();
    const hit = this.open.get(message);
    if (!hit) {
      this.open.set(message, { since: t, lastLine: t, count: 1 });
      queueLog("error", this.event, { ...fields, error: message });
      return;
    }
    hit.count++;
    if (t - hit.lastLine >= this.intervalMs) {
      queueLog("error", this.event, { ...fields, error: message, repeated: hit.count, sinceMs: t - hit.since });
      hit.lastLine = t;
    }
  }

  /** The operation worked again: one line per error that was open, with its count. */
  resolved(fields: Record<string, unknown> = {}) {
    if (this.open.size === 0) return;
    const t = this.now();
    for (const [message, hit] of this.open) {
      queueLog("info", `${this.event}_resolved`, { ...fields, error: message, occurrences: hit.count, forMs: t - hit.since });
    }
    this.open.clear();
  }
}
