// Process-wide background work: started once per server process.
//
// Vite's dev server re-imports modules on every edit; the flag on globalThis
// survives that, so a reload never starts a second worker. Tests and CLIs set
// QUEUE_WORKER_ENABLED=false.
import { env } from "./env.server";

declare global {
  var __clubTiersBackground: { started: boolean; stop?: () => Promise<void> } | undefined;
}

type Starter = () => Promise<() => Promise<void>> | (() => Promise<void>);
const starters: Starter[] = [];

/** Registers a piece of background work (the queue worker, periodic jobs). */
export function registerBackgroundWork(start: Starter) {
  starters.push(start);
}

export function startBackgroundWork() {
  if (!env.QUEUE_WORKER_ENABLED) return;
  const state = (globalThis.__clubTiersBackground ??= { started: false });
  if (state.started) return;
  state.started = true;
  void Promise.all(starters.map((s) => s())).then((stops) => {
    state.stop = async () => {
      await Promise.all(stops.map((stop) => stop()));
    };
  });
}
