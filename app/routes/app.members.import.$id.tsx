// Member import, step 2: the preview (every row checked, the refused ones
// listed with their reasons, nothing written yet), then the commit, which
// runs in the background; its progress is read from the database, so a
// reload (or another staff member) sees where it stands.
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useRevalidator } from "@remix-run/react";
import { Badge, Banner, BlockStack, Button, Card, IndexTable, InlineStack, Layout, Page, ProgressBar, Text } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import { useEffect, useState } from "react";
import { z } from "zod";
import prisma from "~/db.server";
import { localDateTime } from "~/domain/dates";
import { commitImport, importSummary } from "~/domain/member-import.server";
import { shopTimeZone } from "~/domain/shops.server";
import { downloadFile } from "~/download";
import { authenticate } from "~/shopify.server";

export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const summary = await importSummary(prisma, session.shop, params.id ?? "");
  if (!summary) throw new Response("Import not found", { status: 404 });
  const timezone = await shopTimeZone(prisma, session.shop);
  return { summary: { ...summary, createdAt: localDateTime(new Date(summary.createdAt), timezone) } };
};

const commitForm = z.object({ intent: z.literal("commit") });

export const action = async ({ request, params }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const form = commitForm.safeParse(Object.fromEntries(await request.formData()));
  if (!form.success) return { error: "Unknown action." };
  const done = await commitImport(prisma, session.shop, params.id ?? "");
  if (!done.ok) return { error: done.message };
  return redirect(`/app/members/import/${params.id}`);
};

const n = (x: number) => x.toLocaleString("en-US");

export default function ImportPage() {
  const { summary: s } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const nav = useNavigation();
  const revalidator = useRevalidator();
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const committing = s.status === "committing";

  // The commit runs in the background: read its progress again every second.
  useEffect(() => {
    if (!committing) return;
    const timer = setInterval(() => {
      if (revalidator.state === "idle") revalidator.revalidate();
    }, 1000);
    return () => clearInterval(timer);
  }, [committing, revalidator]);

  const notImported = s.invalidRows + s.failedRows;
  const progress = s.toImport ? Math.round((s.doneRows / s.toImport) * 100) : 100;
  const download = () =>
    downloadFile(`/app/members/import/${s.id}/failed`, `${s.fileName.replace(/\.csv$/i, "") || "import"}-not-imported.csv`).catch((e: Error) => setDownloadError(e.message));

  return (
    <Page>
      <TitleBar title={`Import: ${s.fileName || "members"}`}>
        <Link to="/app/members/import">Imports</Link>
      </TitleBar>
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <InlineStack gap="200" blockAlign="center">
                <Text as="h2" variant="headingMd">
                  {s.fileName || "Import"}
                </Text>
                <span data-testid="import-status">
                  <Badge tone={s.status === "completed" ? "success" : s.status === "committing" ? "attention" : "info"}>
                    {s.status === "previewed" ? "preview" : s.status === "committing" ? "importing" : "done"}
                  </Badge>
                </span>
              </InlineStack>
              <Text as="p" tone="subdued">
                Uploaded {s.createdAt}
              </Text>
              <span data-testid="import-counts">
                <Text as="p">{`${n(s.totalRows)} rows: ${n(s.toImport)} to import, ${n(s.invalidRows)} with errors.`}</Text>
              </span>
              {result && "error" in result && <Banner tone="critical">{result.error}</Banner>}
              {downloadError && <Banner tone="critical">{downloadError}</Banner>}

              {s.status === "previewed" && (
                <BlockStack gap="200">
                  <Text as="p">Nothing has been imported yet. The rows with errors are left out; fix them and import them from another file.</Text>
                  <Form method="post">
                    <input type="hidden" name="intent" value="commit" />
                    <Button submit variant="primary" disabled={s.toImport === 0} loading={nav.state === "submitting"}>
                      {`Import ${n(s.toImport)} members`}
                    </Button>
                  </Form>
                </BlockStack>
              )}

              {s.status !== "previewed" && (
                <BlockStack gap="200">
                  <ProgressBar progress={progress} tone={s.status === "completed" ? "success" : "highlight"} ariaLabelledBy="import-progress" />
                  <span id="import-progress" data-testid="import-progress">
                    <Text as="p">{`Imported ${n(s.importedRows)} of ${n(s.toImport)} rows · ${n(notImported)} errors so far`}</Text>
                  </span>
                  {s.status === "completed" && (
                    <Banner tone={notImported ? "warning" : "success"} title={`Imported ${n(s.importedRows)} members`}>
                      <p>
                        {notImported
                          ? `${n(notImported)} rows were not imported (${n(s.invalidRows)} refused by the preview, ${n(s.failedRows)} at import). Download them with their reasons, fix them, and import that file.`
                          : "Every row was imported."}{" "}
                        Each member is being added on the shop&apos;s platform through the sync queue.
                      </p>
                    </Banner>
                  )}
                </BlockStack>
              )}
              {notImported > 0 && (
                <div>
                  <Button onClick={download}>Download rows not imported (CSV)</Button>
                </div>
              )}
            </BlockStack>
          </Card>
        </Layout.Section>
        {s.errors.length > 0 && (
          <Layout.Section>
            <Card padding="0">
              <IndexTable
                resourceName={{ singular: "row with errors", plural: "rows with errors" }}
                itemCount={s.errors.length}
                selectable={false}
                headings={[{ title: "Row" }, { title: "Email" }, { title: "Tier" }, { title: "Why" }]}
              >
                {s.errors.map((e, i) => (
                  <IndexTable.Row id={String(e.row)} key={e.row} position={i}>
                    <IndexTable.Cell>{e.row}</IndexTable.Cell>
                    <IndexTable.Cell>{e.email}</IndexTable.Cell>
                    <IndexTable.Cell>{e.tier}</IndexTable.Cell>
                    <IndexTable.Cell>{e.error}</IndexTable.Cell>
                  </IndexTable.Row>
                ))}
              </IndexTable>
              {notImported > s.errors.length && (
                <div style={{ padding: 12 }}>
                  <Text as="p" tone="subdued">{`The first ${n(s.errors.length)} of ${n(notImported)}: download the CSV for all of them.`}</Text>
                </div>
              )}
            </Card>
          </Layout.Section>
        )}
      </Layout>
    </Page>
  );
}
