// Migration of non-expiring offline tokens to expiring ones (ADR 0013).
//
// From 1 January 2027 Shopify refuses non-expiring offline tokens of public
// apps. At boot and then hourly (app/boot.server.ts) every shop whose stored
// offline session has no expiry is exchanged for an expiring pair, one shop at
// a time with a pause between shops.
//
// Idempotent and safe with several instances: each shop is migrated under its
// token lease, after re-reading the session (another instance may have migrated
// it). A lost answer leaves the old token stored; Shopify accepts it for the
// exchange for 7 days, and the Admin client retries the exchange at once when
// Shopify refuses the old token (`offlineAccessToken` below), so the shop keeps
// syncing. A refused exchange is recorded on the shop (home page) and tried again
// next run; the old token keeps working until the cut-off.
import type { Db } from "../../db.server";
import { migrateShopToken, type MigrationOutcome } from "./session.server";

/** Every shop still on a non-expiring token, paced by `paceMs` between shops. */
export async function migrateLegacyTokens(db: Db, { paceMs = 0 }: { paceMs?: number } = {}) {
  // An expiring offline session always has `expires`; only the legacy kind has none.
  const legacy = await db.session.findMany({ where: { isOnline: false, expires: null }, select: { shop: true }, orderBy: { shop: "asc" } });
  const counts: Record<MigrationOutcome, number> = { migrated: 0, already: 0, failed: 0 };
  for (const [i, { shop }] of legacy.entries()) {
    if (i > 0 && paceMs > 0) await new Promise((r) => setTimeout(r, paceMs));
    counts[await migrateShopToken(db, shop)]++;
  }
  return counts;
}
