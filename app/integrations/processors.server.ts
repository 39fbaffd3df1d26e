// Which code runs for which queue item: registered once at boot.
// Every membership action converges the member to its current local state on
// the platform the item was queued for (see each platform's processors.server.ts).
import { readCommerce7History } from "../domain/commerce7-history.server";
import { refreshMembersDisplay, startMemberRefresh } from "../domain/member-display.server";
import { backfillOrders } from "../domain/backfill.server";
import { importMembers } from "../domain/member-import.server";
import { recalculateMembers } from "../domain/recalculation.server";
import { resyncMembers } from "../queue/lifecycle.server";
import { registerProcessor } from "../queue/registry";
import type { QueueAction } from "../queue/types";
import { convergeCommerce7Member } from "./commerce7/processors.server";
import { sendDataExport, sendFailureAlert } from "./email/processors.server";
import { flowTriggerProcessor } from "./shopify/flow.server";
import { convergeShopifyMember, ensureShopifyDiscount, refreshShopifyShopContext } from "./shopify/processors.server";

// leave_platform is a platform switch's removal from the old platform: the
// same convergence, which holds nothing on a platform the shop has left.
const MEMBER_ACTIONS: QueueAction[] = ["add_membership", "upgrade_membership", "cancel_membership", "leave_platform"];

export function registerPlatformProcessors() {
  for (const action of MEMBER_ACTIONS) {
    registerProcessor("shopify", action, ({ db, shop, item, signal }) => convergeShopifyMember({ db, shop, item, signal }));
    registerProcessor("commerce7", action, ({ db, shop, item, signal, prepaidRequests }) => convergeCommerce7Member({ db, shop, item, signal, prepaidRequests }));
  }
  // The member's spend or renewal changed (coalesced per member, ADR 0027): it
  // gives its pending key up first, then converges like any membership item.
  registerProcessor("shopify", "refresh_member", async ({ db, shop, item, signal }) => {
    await startMemberRefresh(db, item);
    return convergeShopifyMember({ db, shop, item, signal });
  });
  // Queued for Shopify shops only; one left from before a switch to Commerce7 has nothing to show there.
  registerProcessor("commerce7", "refresh_member", async ({ db, item }) => {
    await startMemberRefresh(db, item);
    return { result: { skipped: "commerce7" } };
  });
  // A Settings line or a tier changed what members see: each member's refresh (database only).
  registerProcessor("shopify", "refresh_members_display", refreshMembersDisplay);
  registerProcessor("commerce7", "refresh_members_display", refreshMembersDisplay);
  registerProcessor("shopify", "ensure_discount", ({ db, shop, signal }) => ensureShopifyDiscount({ db, shop, signal }));
  // Commerce7 shops price members in Commerce7; there is no Shopify discount to keep.
  registerProcessor("commerce7", "ensure_discount", async () => ({ result: { skipped: "commerce7" } }));
  // Failure alerts go by email whatever the shop's platform.
  registerProcessor("shopify", "send_alert", sendFailureAlert);
  registerProcessor("commerce7", "send_alert", sendFailureAlert);
  registerProcessor("shopify", "send_data_export", sendDataExport);
  registerProcessor("commerce7", "send_data_export", sendDataExport);
  // After a reinstall: queue every active member's resync (database only, either platform).
  registerProcessor("shopify", "resync_members", resyncMembers);
  registerProcessor("commerce7", "resync_members", resyncMembers);
  // A member import's commit (database only, either platform): it queues each member's add_membership.
  registerProcessor("shopify", "import_members", importMembers);
  registerProcessor("commerce7", "import_members", importMembers);
  // The order history backfill reads Shopify's orders, whichever platform holds
  // the members (orders come from Shopify on every shop).
  registerProcessor("shopify", "backfill_orders", backfillOrders);
  registerProcessor("commerce7", "backfill_orders", backfillOrders);
  // A recalculation's Apply (database only; its upgrades and renewals queue their own syncs).
  registerProcessor("shopify", "recalculate_members", recalculateMembers);
  registerProcessor("commerce7", "recalculate_members", recalculateMembers);
  // A Commerce7 shop's year of orders into the spend ledger (only Commerce7 has them).
  registerProcessor("commerce7", "commerce7_history", readCommerce7History);
  // The shop's zone and currency are Shopify's, whichever platform holds the members.
  registerProcessor("shopify", "refresh_shop_context", ({ db, shop, signal }) => refreshShopifyShopContext({ db, shop, signal }));
  registerProcessor("commerce7", "refresh_shop_context", ({ db, shop, signal }) => refreshShopifyShopContext({ db, shop, signal }));
  // Shopify Flow triggers are queued for Shopify-platform shops only, and always run on Shopify (ADR 0028).
  registerProcessor("shopify", "flow_trigger", flowTriggerProcessor);
}
