// The members list as filtered, as a CSV file, streamed (issue 15 item 2);
// POSTed with `ids`, the members selected on the list (issue 17 item 2).
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import prisma from "~/db.server";
import { csvResponse } from "~/domain/csv";
import { localDate } from "~/domain/dates";
import { MAX_BULK_MEMBERS } from "~/domain/enrollments.server";
import { exportMembers } from "~/domain/member-export.server";
import { shopTimeZone } from "~/domain/shops.server";
import { authenticate } from "~/shopify.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const params = Object.fromEntries(new URL(request.url).searchParams);
  const today = localDate(new Date(), await shopTimeZone(prisma, session.shop));
  return csvResponse(exportMembers(prisma, session.shop, params), `members-${today}.csv`);
};

// The selection as the list posts it: this shop's enrollment ids (the export reads only the shop's).
const selectionInput = z.array(z.string().min(1).max(100)).min(1).max(MAX_BULK_MEMBERS);

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const ids = selectionInput.safeParse((await request.formData()).getAll("ids").map(String));
  if (!ids.success) return new Response(`Select between 1 and ${MAX_BULK_MEMBERS} members to export.`, { status: 400 });
  const params = Object.fromEntries(new URL(request.url).searchParams);
  const today = localDate(new Date(), await shopTimeZone(prisma, session.shop));
  return csvResponse(exportMembers(prisma, session.shop, params, new Date(), ids.data), `members-${today}.csv`);
};
