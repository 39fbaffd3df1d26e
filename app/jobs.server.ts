// A periodic in-process job: runs once at start, then every `intervalMs`
// after the previous run ENDS (runs never overlap within a process). A failing
// run is logged and retried at the next tick; it never crashes the server.
import { log } from "./log.server";

export class PeriodicJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    private readonly run: () => Promise<unknown>,
  ) {}

  start() {
    this.stopped = false;
    this.tick();
  }

  /** Stops scheduling, and waits for a run in progress to end. */
  async stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private tick() {
    if (this.stopped) return;
    const started = Date.now();
    this.running = this.run()
      .then((result) => log("jobs", "info", `${this.name}_done`, { ms: Date.now() - started, result }))
      .catch((error: unknown) => log("jobs", "error", `${this.name}_failed`, { ms: Date.now() - started, error: error instanceof Error ? error.message : String(error) }))
      .finally(() => {
        this.running = null;
        if (this.stopped) return;
        this.timer = setTimeout(() => this.tick(), this.intervalMs);
        this.timer.unref();
      });
  }
}
