// Commerce7 clubs: listed to test a connection and to map tiers to clubs.
import { z } from "zod";
import type { Commerce7Client } from "./client.server";

const clubSchema = z.looseObject({ id: z.string(), title: z.string().nullish(), name: z.string().nullish() });
const clubList = z.looseObject({ clubs: z.array(clubSchema) });

export type Club = { id: string; title: string };

export async function listClubs(client: Commerce7Client, signal?: AbortSignal): Promise<Club[]> {
  const res = await client.request("GET", "/club", clubList, { signal });
  return res.clubs.map((c) => ({ id: c.id, title: c.title ?? c.name ?? c.id }));
}
