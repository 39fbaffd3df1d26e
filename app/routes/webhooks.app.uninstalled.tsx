import type { ActionFunctionArgs } from "@remix-run/node";
import prisma from "~/db.server";
import { markUninstalled } from "~/domain/shops.server";
import { authenticate } from "~/shopify.server";

// The token is already revoked when this arrives: delete the sessions and mark
// the shop uninstalled. Repeats are harmless (deleteMany/updateMany).
export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop } = await authenticate.webhook(request);
  await prisma.$transaction(async (tx) => {
    await tx.session.deleteMany({ where: { shop } });
    await markUninstalled(tx, shop);
  });
  return new Response();
};
