// One structured JSON line per attempt (and per notable queue event).
// Never includes credentials or payloads.
import { log, type LogLevel } from "../log.server";

export function queueLog(level: LogLevel, event: string, fields: Record<string, unknown>) {
  log("queue", level, event, fields);
}
