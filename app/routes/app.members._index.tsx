import type { LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { Badge, Button, Card, IndexTable, InlineStack, Layout, Page, Select, Text, TextField } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import { useState } from "react";
import prisma from "~/db.server";
import { STATUSES, statusLabel } from "~/domain/membership-status";
import { localDate } from "~/domain/dates";
import { listMembers } from "~/domain/members.server";
import { shopContext } from "~/domain/shops.server";
import { downloadFile } from "~/download";
import { authenticate } from "~/shopify.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const params = Object.fromEntries(new URL(request.url).searchParams);
  const [list, tiers, { timezone }] = await Promise.all([
    listMembers(prisma, session.shop, params),
    prisma.tier.findMany({ where: { shop: session.shop }, orderBy: { rank: "asc" }, select: { id: true, name: true } }),
    shopContext(prisma, session.shop),
  ]);
  // Dates on the shop's calendar.
  const members = list.members.map((m) => ({ ...m, startedAt: localDate(new Date(m.startedAt), timezone), expiresAt: localDate(new Date(m.expiresAt), timezone) }));
  return { ...list, members, tiers };
};

const syncTone = { synced: "success", pending: "attention", failed: "critical", discarded: undefined } as const;

export default function Members() {
  const { members, nextCursor, query, tiers } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const [q, setQ] = useState(query.q);
  const [tier, setTier] = useState(query.tier);
  const [status, setStatus] = useState<string>(query.status);
  const [sync, setSync] = useState<string>(query.sync);
  const [sort, setSort] = useState<string>(query.sort);
  const next = new URLSearchParams(params);
  if (nextCursor) next.set("cursor", nextCursor);
  const exportParams = new URLSearchParams(params);
  exportParams.delete("cursor");

  return (
    <Page>
      <TitleBar title="Members">
        <Link to="/app/members/new" variant="primary">
          Enroll member
        </Link>
      </TitleBar>
      <Layout>
        <Layout.Section>
          <Card>
            <Form method="get">
              <InlineStack gap="300" blockAlign="end" wrap>
                <div style={{ minWidth: 240 }}>
                  <TextField label="Search" name="q" value={q} onChange={setQ} placeholder="Name or email" autoComplete="off" />
                </div>
                <Select label="Tier" name="tier" value={tier} onChange={setTier} options={[{ label: "All tiers", value: "" }, ...tiers.map((t) => ({ label: t.name, value: t.id }))]} />
                <Select
                  label="Status"
                  name="status"
                  value={status}
                  onChange={setStatus}
                  options={[...STATUSES, "all" as const].map((s) => ({ label: s === "all" ? "All" : statusLabel(s)[0]!.toUpperCase() + statusLabel(s).slice(1), value: s }))}
                />
                <Select label="Sync" name="sync" value={sync} onChange={setSync} options={[{ label: "Any", value: "" }, { label: "Synced", value: "synced" }, { label: "Pending", value: "pending" }, { label: "Failed", value: "failed" }, { label: "Discarded", value: "discarded" }]} />
                <Select label="Sort" name="sort" value={sort} onChange={setSort} options={[{ label: "Newest enrollment", value: "enrolled" }, { label: "Expiring soonest", value: "expiry" }]} />
                <Button submit>Apply</Button>
                {/* The list as filtered (the URL's), streamed as CSV; and the way in. */}
                <Button onClick={() => void downloadFile(`/app/members/export?${exportParams.toString()}`, "members.csv")}>Export CSV</Button>
                <Button url="/app/members/import">Import CSV</Button>
              </InlineStack>
            </Form>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card padding="0">
            <IndexTable
              resourceName={{ singular: "member", plural: "members" }}
              itemCount={members.length}
              selectable={false}
              emptyState={<Text as="p" alignment="center">No members match.</Text>}
              headings={[{ title: "Member" }, { title: "Tier" }, { title: "Status" }, { title: "Sync" }, { title: "Enrolled" }, { title: "Expires" }]}
            >
              {members.map((m, i) => (
                <IndexTable.Row id={m.id} key={m.id} position={i}>
                  <IndexTable.Cell>
                    <Button variant="plain" url={`/app/members/${m.customerId}`}>
                      {m.name}
                    </Button>
                    <Text as="p" tone="subdued">
                      {m.email}
                    </Text>
                  </IndexTable.Cell>
                  <IndexTable.Cell>{m.tier}</IndexTable.Cell>
                  <IndexTable.Cell>
                    <Badge>{statusLabel(m.status)}</Badge>
                  </IndexTable.Cell>
                  <IndexTable.Cell>
                    <Badge tone={syncTone[m.syncState as keyof typeof syncTone]}>{m.syncState}</Badge>
                  </IndexTable.Cell>
                  <IndexTable.Cell>{m.startedAt}</IndexTable.Cell>
                  <IndexTable.Cell>{m.expiresAt}</IndexTable.Cell>
                </IndexTable.Row>
              ))}
            </IndexTable>
          </Card>
        </Layout.Section>
        {nextCursor && (
          <Layout.Section>
            <Button url={`/app/members?${next.toString()}`}>Next page</Button>
          </Layout.Section>
        )}
      </Layout>
    </Page>
  );
}
