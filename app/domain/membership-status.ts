// How a membership stands, or how it ended: the one vocabulary of
// Enrollment.status, with the words the merchant sees.
export const ENDED_AS = ["upgraded", "moved_down", "cancelled", "expired"] as const;
export const STATUSES = ["active", ...ENDED_AS] as const;
export type MembershipStatus = (typeof STATUSES)[number];

const LABELS: Record<MembershipStatus, string> = {
  active: "active",
  upgraded: "upgraded",
  moved_down: "moved down",
  cancelled: "cancelled",
  expired: "expired",
};

export function statusLabel(status: string): string {
  return LABELS[status as MembershipStatus] ?? status;
}

/** How a move from one tier to another ends the old membership: up the upgrade order, or down. */
export function tierChangeEnd(from: { rank: number }, to: { rank: number }): "upgraded" | "moved_down" {
  return to.rank > from.rank ? "upgraded" : "moved_down";
}
