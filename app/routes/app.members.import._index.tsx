// Member import, step 1: upload a CSV file. The file is streamed into the
// preview as it arrives (multipart, part by part: never buffered whole), then
// the merchant is sent to the import's page (preview, commit, progress).
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { redirect, unstable_parseMultipartFormData } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Banner, BlockStack, Button, Card, IndexTable, Layout, List, Page, Text } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import prisma from "~/db.server";
import { localDateTime } from "~/domain/dates";
import { recentImports, stageImport, type StageResult } from "~/domain/member-import.server";
import { shopTimeZone } from "~/domain/shops.server";
import { authenticate } from "~/shopify.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const [imports, timezone] = await Promise.all([recentImports(prisma, session.shop), shopTimeZone(prisma, session.shop)]);
  return { imports: imports.map((i) => ({ ...i, createdAt: localDateTime(i.createdAt, timezone) })) };
};

/** Thrown by the upload handler once the file is staged: the rest of the body is not read. */
class Staged extends Error {}

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  if (!(request.headers.get("content-type") ?? "").startsWith("multipart/form-data")) return { error: "Choose a CSV file to upload." };
  let result: StageResult | null = null;
  try {
    await unstable_parseMultipartFormData(request, async (part) => {
      if (part.name !== "file" || !part.filename) return undefined;
      result = await stageImport(prisma, session.shop, { name: part.filename, data: part.data });
      throw new Staged();
    });
  } catch (error) {
    if (!(error instanceof Staged)) {
      if (error instanceof TypeError) return { error: "The upload could not be read: choose the file again." };
      throw error;
    }
  }
  const staged = result as StageResult | null;
  if (!staged) return { error: "Choose a CSV file to upload." };
  if (!staged.ok) return { error: staged.error };
  return redirect(`/app/members/import/${staged.importId}`);
};

export default function ImportUpload() {
  const { imports } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const nav = useNavigation();
  const busy = nav.state === "submitting";
  return (
    <Page>
      <TitleBar title="Import members">
        <Link to="/app/members">Members</Link>
      </TitleBar>
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                Upload a CSV file
              </Text>
              <Text as="p">The first row is the header. Columns, in any order (others are ignored):</Text>
              <List>
                <List.Item>email (required)</List.Item>
                <List.Item>first_name, last_name</List.Item>
                <List.Item>tier (required): the tier&apos;s name or handle</List.Item>
                <List.Item>start_date: YYYY-MM-DD, the shop&apos;s calendar (default: today)</List.Item>
                <List.Item>expiry_date: YYYY-MM-DD (default: the start date plus the tier&apos;s duration)</List.Item>
                <List.Item>customer_id: the customer&apos;s id on the shop&apos;s platform (optional)</List.Item>
              </List>
              <Text as="p" tone="subdued">
                Every row is checked first and nothing is imported until you confirm. A file exported from the members list imports as it is.
              </Text>
              {result && "error" in result && (
                <Banner tone="critical" title="This file can't be imported">
                  <p>{result.error}</p>
                </Banner>
              )}
              <Form method="post" encType="multipart/form-data">
                <BlockStack gap="300">
                  <input type="file" name="file" accept=".csv,text/csv" required aria-label="CSV file" />
                  <div>
                    <Button submit variant="primary" loading={busy}>
                      Check the file
                    </Button>
                  </div>
                </BlockStack>
              </Form>
            </BlockStack>
          </Card>
        </Layout.Section>
        {imports.length > 0 && (
          <Layout.Section>
            <Card padding="0">
              <IndexTable
                resourceName={{ singular: "import", plural: "imports" }}
                itemCount={imports.length}
                selectable={false}
                headings={[{ title: "File" }, { title: "Uploaded" }, { title: "Status" }, { title: "Rows" }, { title: "Imported" }, { title: "Not imported" }]}
              >
                {imports.map((i, n) => (
                  <IndexTable.Row id={i.id} key={i.id} position={n}>
                    <IndexTable.Cell>
                      <Button variant="plain" url={`/app/members/import/${i.id}`}>
                        {i.fileName || "import"}
                      </Button>
                    </IndexTable.Cell>
                    <IndexTable.Cell>{i.createdAt}</IndexTable.Cell>
                    <IndexTable.Cell>{i.status}</IndexTable.Cell>
                    <IndexTable.Cell>{i.totalRows}</IndexTable.Cell>
                    <IndexTable.Cell>{i.importedRows}</IndexTable.Cell>
                    <IndexTable.Cell>{i.invalidRows + i.failedRows}</IndexTable.Cell>
                  </IndexTable.Row>
                ))}
              </IndexTable>
            </Card>
          </Layout.Section>
        )}
      </Layout>
    </Page>
  );
}
