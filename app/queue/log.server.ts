// One structured JSON line per attempt (and per notable queue event),
// respecting LOG_LEVEL. Never includes credentials or payloads.
import { env } from "../env.server";

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
type Level = Exclude<keyof typeof LEVELS, "silent">;

export function queueLog(level: Level, event: string, fields: Record<string, unknown>) {
  if (LEVELS[level] < LEVELS[env.LOG_LEVEL]) return;
  const line = JSON.stringify({ at: new Date().toISOString(), level, component: "queue", event, ...fields });
  if (level === "error" || level === "warn") console.error(line);
  else console.log(line);
}
