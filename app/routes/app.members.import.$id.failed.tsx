// An import's rows that were not imported, with the reason, as a CSV file (streamed).
import type { LoaderFunctionArgs } from "@remix-run/node";
import prisma from "~/db.server";
import { csvResponse } from "~/domain/csv";
import { failedRowsCsv } from "~/domain/member-import.server";
import { authenticate } from "~/shopify.server";

export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const imp = await prisma.memberImport.findFirst({ where: { id: params.id ?? "", shop: session.shop, status: { not: "uploading" } }, select: { id: true, fileName: true } });
  if (!imp) throw new Response("Import not found", { status: 404 });
  return csvResponse(failedRowsCsv(prisma, session.shop, imp.id), `${imp.fileName.replace(/\.csv$/i, "") || "import"}-not-imported.csv`);
};
