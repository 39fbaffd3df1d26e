// Who did it. The staff user behind an embedded admin request is its session
// token's `sub`: Shopify's numeric user id. Sessions are offline, so that id is
// all we have (no name or email); the history shows it as it is. Changes the
// app makes itself (worker, webhooks, jobs, uninstall) record no one (null).

/** The staff user id of an admin request's session token, or null when it carries none. */
export function staffUserId(sessionToken: { sub?: unknown } | null | undefined): string | null {
  const sub = typeof sessionToken?.sub === "string" ? sessionToken.sub.trim() : "";
  return /^\d{1,20}$/.test(sub) ? sub : null;
}

/** How a page names who made a change: "staff 12345"; a value recorded before ids were (e.g. "merchant") as it is; null for the app. */
export function staffLabel(by: string | null | undefined): string | null {
  if (!by) return null;
  return /^\d+$/.test(by) ? `staff ${by}` : by;
}
