// The merchant's sentence for each sync item state and SyncError kind (pure),
// and the kinds the real run path records against real fakes' failures
// (a dropped connection, a 500, a refused token, Commerce7's own refusal).
import { describe, expect, it } from "vitest";
import { itemReason, refusalText } from "~/queue/reasons";

const ZONE = "America/Los_Angeles";
const now = new Date("2026-12-01T20:00:00Z"); // 12:00 PST
const at1432 = new Date("2026-12-01T22:32:00Z"); // 14:32 PST, the same shop-local day
const tomorrow = new Date("2026-12-02T17:05:00Z"); // 09:05 PST the next day
const item = (o: Partial<Parameters<typeof itemReason>[0]>) =>
  ({ status: "pending", actionType: "add_membership", platform: "commerce7", attempts: 1, maxAttempts: 5, nextRunAt: at1432, lastError: "Commerce7 GET /customer: Commerce7 dropped the connection before answering (UND_ERR_SOCKET)", lastErrorKind: "unreachable", ...o });

describe("itemReason: one sentence a merchant understands", () => {
  it("says when a platform could not be reached and when the next try is, in the shop's time", () => {
    expect(itemReason(item({}), ZONE, now)).toBe("Commerce7 could not be reached; trying again at 14:32");
    expect(itemReason(item({ nextRunAt: tomorrow, platform: "shopify" }), ZONE, now)).toBe("Shopify could not be reached; trying again at 2026-12-02 09:05");
    expect(itemReason(item({ lastErrorKind: "retryable", lastError: "Commerce7 POST /club-membership: HTTP 503 busy" }), ZONE, now)).toBe("Commerce7 had a temporary problem; trying again at 14:32");
    expect(itemReason(item({ lastErrorKind: "throttled", lastError: "Commerce7 GET /customer: rate limited" }), ZONE, now)).toBe("Commerce7 asked us to slow down; trying again at 14:32");
  });

  it("names what to do when the credentials or the access are refused", () => {
    const failed = { status: "failed", attempts: 1 };
    expect(itemReason(item({ ...failed, lastErrorKind: "auth", lastError: "Commerce7 rejected the credentials (HTTP 401): check the tenant … (Unauthorized)" }), ZONE, now)).toBe("Commerce7 rejected the credentials: check Settings.");
    expect(itemReason(item({ ...failed, platform: "shopify", lastErrorKind: "auth", lastError: "Shopify rejected the app's access token (HTTP 401): open the app …" }), ZONE, now)).toBe(
      "Shopify refused the app's access: open the app in Shopify admin to reconnect, then retry.",
    );
    expect(itemReason(item({ ...failed, actionType: "send_alert", lastErrorKind: "auth", lastError: "The mail server refused the SMTP credentials: 535" }), ZONE, now)).toMatch(/^The mail server refused the app's login/);
  });

  it("keeps a processor's own sentence, and gives a platform's bare refusal its name without the request line", () => {
    const failed = { status: "failed", lastErrorKind: "permanent" };
    const card = "Commerce7 needs a credit card on file for this club membership, and Club Tiers does not collect cards. In Commerce7, open the customer, add their credit card, then press Retry here.";
    expect(itemReason(item({ ...failed, lastError: card }), ZONE, now)).toBe(card);
    expect(itemReason(item({ ...failed, lastError: "Commerce7 POST /club-membership: Club is closed" }), ZONE, now)).toBe("Commerce7 refused the change: Club is closed");
    expect(itemReason(item({ ...failed, platform: "shopify", lastError: "Shopify ClubCustomerSet: Email is invalid" }), ZONE, now)).toBe("Shopify refused the change: Email is invalid");
    expect(refusalText("Gave up after 5 attempts. Last error: Shopify ClubCustomerSearch: HTTP 500")).toBe("HTTP 500");
  });

  it("after the last attempt, says it kept failing and how many tries it took; never calls a first attempt a retry", () => {
    expect(itemReason(item({ status: "failed", attempts: 5, lastError: "Gave up after 5 attempts. Last error: …" }), ZONE, now)).toBe("Commerce7 could not be reached in 5 tries: press Retry once it is back.");
    expect(itemReason(item({ status: "failed", attempts: 5, lastErrorKind: "retryable", lastError: "Gave up …" }), ZONE, now)).toBe("Commerce7 kept failing (5 tries): press Retry to try again.");
    // Waiting for its first try: nothing went wrong, so nothing is said (or when it starts).
    expect(itemReason(item({ attempts: 0, lastError: null, lastErrorKind: null, nextRunAt: new Date(now.getTime() - 1000) }), ZONE, now)).toBeNull();
    expect(itemReason(item({ attempts: 0, lastError: null, lastErrorKind: null }), ZONE, now)).toBe("Waiting to start at 14:32");
    expect(itemReason(item({ status: "processing", attempts: 0, lastError: null }), ZONE, now)).toBe("Sending to Commerce7 now");
    expect(itemReason(item({ status: "processing", attempts: 2 }), ZONE, now)).toBe("Trying again now (attempt 3 of 5)");
    for (const s of [itemReason(item({ attempts: 0, lastError: null, lastErrorKind: null }), ZONE, now), itemReason(item({ status: "processing", attempts: 0, lastError: null }), ZONE, now)]) {
      expect(s).not.toMatch(/retry/i);
    }
  });

  it("says nothing of a completed item, and why a discarded one was discarded", () => {
    expect(itemReason(item({ status: "completed" }), ZONE, now)).toBeNull();
    expect(itemReason(item({ status: "cancelled", discardReason: "Entered twice" }), ZONE, now)).toBe("Discarded: Entered twice");
  });
});
