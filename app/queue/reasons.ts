// What a merchant reads about a sync item: one sentence from its state and
// how its last attempt failed (CrmSyncQueue.lastErrorKind, the SyncError kind
// as run.server.ts recorded it), never the transport's own words. The raw
// error stays on the item and on each attempt, for the detail view and the
// logs. Pure: the clock and the shop's zone are passed in.
//
//   unreachable → "Commerce7 could not be reached; trying again at 14:32"
//   retryable   → "Commerce7 had a temporary problem; trying again at 14:32"
//   throttled   → "Commerce7 asked us to slow down; trying again at 14:32"
//   auth        → "Commerce7 rejected the credentials: check Settings"
//   permanent   → the platform's refusal, without the request line
//                 (processors already word these for merchants)
// A first attempt is never called a retry.
import { localClock } from "../domain/dates";
import { ACTION_LABELS, PLATFORM_LABELS, type ErrorKind, type QueueAction } from "./types";

export type ReasonInput = {
  status: string;
  actionType: string;
  platform: string;
  attempts: number;
  maxAttempts: number;
  nextRunAt: Date;
  lastError: string | null;
  lastErrorKind: string | null;
  discardReason?: string | null;
};

const EMAIL_ACTIONS = new Set(["send_alert", "send_data_export"]);

/** Who the item talks to, as the sentence names it. */
export function counterpart(item: Pick<ReasonInput, "actionType" | "platform">): string {
  if (EMAIL_ACTIONS.has(item.actionType)) return "The mail server";
  return PLATFORM_LABELS[item.platform as keyof typeof PLATFORM_LABELS] ?? item.platform;
}

/** The technical request line integrations open their messages with: "Commerce7 POST /club-membership: ", "Shopify CustomerSet: ". */
const REQUEST_LINE = /^(?:Shopify|Commerce7)(?: (?:GET|POST|PUT|DELETE) \S+| [A-Z][A-Za-z]+):\s*/;
const GAVE_UP = /^Gave up after \d+ attempts\. Last error: /;

/** The platform's own words of a refusal, without our request line. */
export function refusalText(message: string): string {
  return message.replace(GAVE_UP, "").replace(REQUEST_LINE, "").trim();
}

function authSentence(who: string, item: Pick<ReasonInput, "actionType" | "platform">): string {
  if (EMAIL_ACTIONS.has(item.actionType)) return "The mail server refused the app's login: ask whoever runs the app to check its mail settings (SMTP_URL).";
  if (item.platform === "commerce7") return "Commerce7 rejected the credentials: check Settings.";
  if (item.platform === "shopify") return "Shopify refused the app's access: open the app in Shopify admin to reconnect, then retry.";
  return `${who} refused the app's access: check Settings.`;
}

/**
 * The sentence for an item, or null when there is nothing to say (completed,
 * or waiting for its first try). `timeZone` is the shop's.
 */
export function itemReason(item: ReasonInput, timeZone: string, now: Date = new Date()): string | null {
  const who = counterpart(item);
  const at = () => localClock(item.nextRunAt, timeZone, now);
  const kind = item.lastErrorKind as ErrorKind | null;
  switch (item.status) {
    case "completed":
      return null;
    case "cancelled":
      return item.discardReason ? `Discarded: ${item.discardReason}` : "Discarded";
    case "processing":
      return item.attempts === 0 ? `Sending to ${who === "The mail server" ? "the mail server" : who} now` : `Trying again now (attempt ${item.attempts + 1} of ${item.maxAttempts})`;
    case "pending": {
      if (!item.lastError) return item.nextRunAt.getTime() > now.getTime() ? `Waiting to start at ${at()}` : null;
      if (kind === "unreachable") return `${who} could not be reached; trying again at ${at()}`;
      if (kind === "retryable") return `${who} had a temporary problem; trying again at ${at()}`;
      if (kind === "throttled") return `${who} asked us to slow down; trying again at ${at()}`;
      // Not a platform's failure (the worker stopped, an older row): our own sentence.
      return item.lastError;
    }
    case "failed": {
      if (!item.lastError) return "Failed";
      if (kind === "auth") return authSentence(who, item);
      if (kind === "unreachable") return `${who} could not be reached in ${item.attempts} tries: press Retry once it is back.`;
      if (kind === "retryable" || kind === "throttled") return `${who} kept failing (${item.attempts} tries): press Retry to try again.`;
      if (kind === "permanent") {
        const text = refusalText(item.lastError);
        // Processors word their own refusals for merchants ("…, then press Retry."); a platform's bare message gets its name.
        return REQUEST_LINE.test(item.lastError.replace(GAVE_UP, "")) ? `${who} refused the change: ${text}` : text;
      }
      return item.lastError;
    }
    default:
      return item.lastError;
  }
}

/** "Add membership", or the raw action for one this version does not know. */
export function actionLabel(actionType: string): string {
  return ACTION_LABELS[actionType as QueueAction] ?? actionType;
}

export type MemberSyncMessage = { tone: "success" | "info" | "warning" | "critical" | undefined; text: string; final: boolean };

/**
 * The member page's sentence for where their membership stands on the
 * platform, from the enrollment's sync state and its latest item (the item
 * that state was computed from): never from what a URL says happened.
 */
export function memberSyncMessage(
  syncState: string,
  latest: (ReasonInput & { status: string }) | null,
  platform: string,
  timeZone: string,
  now: Date = new Date(),
): MemberSyncMessage {
  const who = PLATFORM_LABELS[platform as keyof typeof PLATFORM_LABELS] ?? platform;
  if (syncState === "synced") return { tone: "success", text: `Synced to ${who}`, final: true };
  if (syncState === "failed") return { tone: "critical", text: (latest && itemReason(latest, timeZone, now)) ?? `The sync to ${who} failed`, final: true };
  if (syncState === "discarded") return { tone: undefined, text: latest?.discardReason ? `Not synced to ${who}: discarded (${latest.discardReason})` : `Not synced to ${who}: discarded`, final: true };
  if (latest?.status === "processing") return { tone: "info", text: `Sending the membership to ${who} now`, final: false };
  if (latest?.status === "pending" && latest.lastError) return { tone: "warning", text: itemReason(latest, timeZone, now) ?? `Sending the membership to ${who}`, final: false };
  return { tone: "info", text: `Sending the membership to ${who}`, final: false };
}
