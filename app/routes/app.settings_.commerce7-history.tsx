// Settings' Commerce7 order history card (ADR 0022): the shop's latest read
// and its progress (GET, polled while it runs), and "Read order history" (POST).
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import prisma from "~/db.server";
import { latestCommerce7History, startCommerce7History } from "~/domain/commerce7-history.server";
import { localDateTime } from "~/domain/dates";
import { shopTimeZone } from "~/domain/shops.server";
import { authenticate } from "~/shopify.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const [read, timezone] = await Promise.all([latestCommerce7History(prisma, session.shop), shopTimeZone(prisma, session.shop)]);
  if (!read) return { read: null };
  return {
    read: {
      status: read.status as "running" | "completed" | "failed",
      since: localDateTime(read.since, timezone),
      startedAt: localDateTime(read.createdAt, timezone),
      completedAt: read.completedAt ? localDateTime(read.completedAt, timezone) : null,
      pagesRead: read.pagesRead,
      ordersTotal: read.ordersTotal,
      ordersRead: read.ordersRead,
      ordersRecorded: read.ordersRecorded,
      ordersKnown: read.ordersKnown,
      ordersSkipped: read.ordersSkipped,
      refundsRecorded: read.refundsRecorded,
      error: read.error,
    },
  };
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const started = await startCommerce7History(prisma, session.shop);
  return started.ok ? { ok: true as const, queued: started.queued } : { ok: false as const, message: started.message };
};
