import type { ActionFunctionArgs } from "@remix-run/node";
import prisma from "~/db.server";
import { uninstallShop } from "~/domain/shops.server";
import { authenticate } from "~/shopify.server";

export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop } = await authenticate.webhook(request);
  await uninstallShop(prisma, shop);
  return new Response();
};
