// Structured logs: one JSON line per event, respecting LOG_LEVEL. Callers pass
// ids, counts and outcomes only — never credentials, tokens or payloads.
import { env } from "./env.server";

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = Exclude<keyof typeof LEVELS, "silent">;

export function log(component: string, level: LogLevel, event: string, fields: Record<string, unknown>) {
  if (LEVELS[level] < LEVELS[env.LOG_LEVEL]) return;
  const line = JSON.stringify({ at: new Date().toISOString(), level, component, event, ...fields });
  if (level === "error" || level === "warn") console.error(line);
  else console.log(line);
}
