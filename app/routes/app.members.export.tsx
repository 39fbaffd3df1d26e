// The members list as filtered, as a CSV file, streamed (issue 15 item 2).
import type { LoaderFunctionArgs } from "@remix-run/node";
import prisma from "~/db.server";
import { csvResponse } from "~/domain/csv";
import { localDate } from "~/domain/dates";
import { exportMembers } from "~/domain/member-export.server";
import { shopTimeZone } from "~/domain/shops.server";
import { authenticate } from "~/shopify.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const params = Object.fromEntries(new URL(request.url).searchParams);
  const today = localDate(new Date(), await shopTimeZone(prisma, session.shop));
  return csvResponse(exportMembers(prisma, session.shop, params), `members-${today}.csv`);
};
