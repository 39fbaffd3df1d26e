// The queue's vocabulary, shared by the queue, the processors and the UI.
export const ACTIONS = ["add_membership", "cancel_membership", "upgrade_membership", "leave_platform", "ensure_discount", "send_alert", "send_data_export", "resync_members", "refresh_shop_context", "import_members", "refresh_member", "refresh_members_display", "backfill_orders", "recalculate_members", "commerce7_history", "flow_trigger"] as const;
export type QueueAction = (typeof ACTIONS)[number];

/** What merchants read for each action (queue screen, alert emails). */
export const ACTION_LABELS: Record<QueueAction, string> = {
  add_membership: "Add membership",
  upgrade_membership: "Change tier",
  cancel_membership: "Cancel membership",
  leave_platform: "Remove from previous platform",
  ensure_discount: "Update member discount",
  send_alert: "Failure alert email",
  send_data_export: "Customer data request",
  resync_members: "Resync every member (after reinstall)",
  refresh_shop_context: "Read the shop's time zone and currency",
  import_members: "Import members (CSV)",
  refresh_member: "Update the member's spend and dates",
  refresh_members_display: "Update what members see in their accounts",
  backfill_orders: "Read a year of orders from Shopify",
  recalculate_members: "Apply the tier rules to every member",
  commerce7_history: "Read a year of orders from Commerce7",
  flow_trigger: "Shopify Flow trigger",
};

/**
 * Membership work: the items that put one member's membership on the
 * platform. Everything else (the member discount, alert emails, customer data
 * requests, resyncs, the shop's context) is the app's own upkeep: the queue
 * screen filters on this and shows the upkeep muted.
 */
export const MEMBER_ACTIONS: readonly QueueAction[] = ["add_membership", "cancel_membership", "upgrade_membership", "leave_platform", "refresh_member"];
export const INTERNAL_ACTIONS: readonly QueueAction[] = ACTIONS.filter((a) => !MEMBER_ACTIONS.includes(a));
export const isMemberAction = (action: string) => (MEMBER_ACTIONS as readonly string[]).includes(action);

/** The platforms an item runs against (CrmSyncQueue.platform). */
export const PLATFORMS = ["shopify", "commerce7"] as const;
export const PLATFORM_LABELS: Record<(typeof PLATFORMS)[number], string> = { shopify: "Shopify", commerce7: "Commerce7" };

/**
 * How the last attempt failed (CrmSyncQueue.lastErrorKind): the SyncError
 * kinds, with "retryable" split so a merchant reads "could not be reached"
 * only when nothing answered (network, timeout).
 */
export const ERROR_KINDS = ["unreachable", "retryable", "permanent", "auth", "throttled"] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export const STATUSES = ["pending", "processing", "completed", "failed", "cancelled"] as const;
export type QueueStatus = (typeof STATUSES)[number];

/** Outcomes recorded per attempt (SyncAttempt.outcome). */
export type AttemptOutcome = "success" | "retry" | "failed" | "throttled" | "released" | "lease_expired";

/** A queue row as the worker sees it (dates as Date on both providers). */
export type QueueItem = {
  id: string;
  shop: string;
  enrollmentId: string | null;
  customerId: string;
  actionType: string;
  stageId: string;
  oldStageId: string | null;
  /** The platform the item was queued for, and runs against ("shopify" | "commerce7"). */
  platform: string;
  status: string;
  attempts: number;
  maxAttempts: number;
  throttleDeferrals: number;
  nextRunAt: Date;
  lockedBy: string | null;
  leaseUntil: Date | null;
  fence: number;
  lastError: string | null;
  idempotencyKey: string;
  createdAt: Date;
};
