// The Commerce7 tenant's clubs, for choosing a tier's club: read through the
// integration, cached on the shop row, refreshed on demand. A platform that is
// down leaves the last list in place, with a message saying why it is old.
import { z } from "zod";
import type { Db } from "../db.server";
import { listClubs, type Club } from "../integrations/commerce7/clubs.server";
import { commerce7ClientFor } from "../integrations/commerce7/processors.server";
import { SyncError } from "../queue/errors";

const cached = z.array(z.object({ id: z.string(), title: z.string() }));

export type ClubChoice = { clubs: Club[]; fetchedAt: Date | null; error: string | null };

/** The cached clubs; reads Commerce7 when there is no cache yet or `refresh` is asked. */
export async function shopClubs(db: Db, shop: string, opts: { refresh?: boolean } = {}): Promise<ClubChoice> {
  const row = await db.shop.findUnique({ where: { domain: shop }, select: { c7Clubs: true, c7ClubsAt: true } });
  const parsed = row?.c7Clubs ? cached.safeParse(JSON.parse(row.c7Clubs)) : null;
  const have: ClubChoice = { clubs: parsed?.success ? parsed.data : [], fetchedAt: row?.c7ClubsAt ?? null, error: null };
  if (!opts.refresh && parsed?.success) return have;
  try {
    const clubs = await listClubs(await commerce7ClientFor(db, shop));
    const fetchedAt = new Date();
    await db.shop.updateMany({ where: { domain: shop }, data: { c7Clubs: JSON.stringify(clubs), c7ClubsAt: fetchedAt } });
    return { clubs, fetchedAt, error: null };
  } catch (error) {
    if (!(error instanceof SyncError)) throw error;
    const why = error.kind === "auth" ? error.message : `Commerce7 could not be reached (${error.message}).`;
    return { ...have, error: `${why} ${have.clubs.length ? "Showing the clubs as last read." : "No clubs to choose from yet."}` };
  }
}
