// Preloaded (node --require) into Prisma CLI runs started by scripts/db.mjs and
// the test suite.
//
// Prisma 6.19's wasm schema engine arms a 10 s timer per command and never
// clears it, so every `migrate deploy` / `db push` on PostgreSQL lingers 10 s
// after it has finished. Timers of 10 s or more in a one-shot CLI process are
// guards, never the work itself, so letting them not hold the process open is
// safe: anything still in progress keeps its sockets, which keep the process
// alive.
const originalSetTimeout = global.setTimeout;
global.setTimeout = function setTimeoutUnrefLong(fn, ms, ...args) {
  const timer = originalSetTimeout(fn, ms, ...args);
  if (typeof ms === "number" && ms >= 10_000 && timer && typeof timer.unref === "function") timer.unref();
  return timer;
};
