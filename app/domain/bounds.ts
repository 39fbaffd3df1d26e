// Bounds on free text the merchant (or a URL) sends, beyond the wizard's own
// (member-input.ts: email 254, names 100). Search terms are cut to length, a
// search is never refused; notes and reasons longer than the limit are refused
// with a message, nothing written.
export const MAX_SEARCH = 200;
export const MAX_NOTE = 500;

/** A search term as we use it: trimmed, at most MAX_SEARCH characters. */
export function searchTerm(raw: unknown): string {
  return (typeof raw === "string" ? raw : "").trim().slice(0, MAX_SEARCH).trim();
}

/** The refusal for a note or reason over MAX_NOTE characters, or null. */
export function noteTooLong(text: string | undefined, what = "The reason"): string | null {
  return text !== undefined && text.length > MAX_NOTE ? `${what} can be at most ${MAX_NOTE} characters (this one has ${text.length}).` : null;
}
