// The sync queue screen: every sync item of the shop, with retry and discard.
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { Badge, Banner, BlockStack, Button, Card, IndexTable, InlineStack, Layout, Page, Select, Text } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import { useState } from "react";
import prisma from "~/db.server";
import { noteTooLong } from "~/domain/bounds";
import { localDateTime } from "~/domain/dates";
import { staffUserId } from "~/domain/staff";
import { discard, retryAllFailed, retryNow } from "~/queue/manual.server";
import { listSyncItems } from "~/domain/sync-items.server";
import { STATUSES } from "~/queue/types";
import { queueStats } from "~/queue/stats.server";
import { authenticate } from "~/shopify.server";

const FILTERS = ["", ...STATUSES];

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const params = new URL(request.url).searchParams;
  const [list, stats, shop] = await Promise.all([
    listSyncItems(prisma, session.shop, { status: params.get("status"), cursor: params.get("cursor") }),
    queueStats(prisma, { shop: session.shop }),
    prisma.shop.findUnique({ where: { domain: session.shop }, select: { alertEmail: true, timezone: true } }),
  ]);
  // Times on the shop's clock.
  const items = list.items.map((i) => ({ ...i, nextRunAt: localDateTime(new Date(i.nextRunAt), shop?.timezone ?? "UTC") }));
  return { ...list, items, stats, alertEmail: shop?.alertEmail ?? null };
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session, sessionToken } = await authenticate.admin(request);
  const form = await request.formData();
  const intent = String(form.get("intent"));
  const id = String(form.get("id") ?? "");
  if (intent === "retry") return retryNow(prisma, session.shop, id);
  if (intent === "discard") {
    const reason = String(form.get("reason") ?? "Discarded from the queue screen");
    const tooLong = noteTooLong(reason);
    if (tooLong) return { ok: false as const, reason: tooLong };
    // The staff user from the session token (sessions are offline: no user on them).
    return discard(prisma, session.shop, id, { by: staffUserId(sessionToken), reason });
  }
  if (intent === "retry-all") return { ok: true as const, retried: await retryAllFailed(prisma, session.shop) };
  return { ok: false as const, reason: "Unknown action" };
};

const tone = { pending: "attention", processing: "info", failed: "critical", completed: "success", cancelled: undefined } as const;

export default function Queue() {
  const { items, stats, status, alertEmail, nextCursor } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const [filter, setFilter] = useState(params.get("status") ?? status);
  const count = (s: string) => stats.counts[s] ?? 0;
  return (
    <Page>
      <TitleBar title="Sync queue" />
      <Layout>
        <Layout.Section>
          <BlockStack gap="300">
            {count("failed") > 0 && (
              <Banner tone="critical" title={`${count("failed")} sync item(s) failed permanently`}>
                <p>Fix the cause shown on each item (credentials, a missing address, a club mapping), then retry.</p>
                <p>
                  {alertEmail ? `Failures are emailed to ${alertEmail}.` : "Set an alert email in Settings to be emailed when a sync fails."}
                </p>
              </Banner>
            )}
            {result && "reason" in result && !result.ok && <Banner tone="warning">{result.reason}</Banner>}
            <Card>
              <InlineStack gap="300" align="space-between" blockAlign="end">
                <InlineStack gap="200">
                  <Badge tone="attention">{`${count("pending")} pending`}</Badge>
                  <Badge tone="info">{`${count("processing")} running`}</Badge>
                  <Badge tone="critical">{`${count("failed")} failed`}</Badge>
                  <Badge tone="success">{`${stats.completedLastHour} done in the last hour`}</Badge>
                </InlineStack>
                <InlineStack gap="200" blockAlign="end">
                  <Form method="get">
                    <InlineStack gap="200" blockAlign="end">
                      <Select label="Status" name="status" value={filter} onChange={setFilter} options={FILTERS.map((s) => ({ label: s || "All", value: s }))} />
                      <Button submit>Filter</Button>
                    </InlineStack>
                  </Form>
                  <Form method="post">
                    <input type="hidden" name="intent" value="retry-all" />
                    <Button submit disabled={count("failed") === 0}>
                      Retry all failed
                    </Button>
                  </Form>
                </InlineStack>
              </InlineStack>
            </Card>
            <Card padding="0">
              <IndexTable
                resourceName={{ singular: "sync item", plural: "sync items" }}
                itemCount={items.length}
                selectable={false}
                emptyState={<Text as="p" alignment="center">Nothing to sync.</Text>}
                headings={[{ title: "Action" }, { title: "Member" }, { title: "Status" }, { title: "Attempts" }, { title: "Next try / error" }, { title: "" }]}
              >
                {items.map((i, n) => (
                  <IndexTable.Row id={i.id} key={i.id} position={n}>
                    <IndexTable.Cell>
                      {i.memberId ? (
                        <Button variant="plain" url={`/app/members/${i.memberId}`}>
                          {i.action}
                        </Button>
                      ) : (
                        i.action
                      )}
                    </IndexTable.Cell>
                    <IndexTable.Cell>{i.member ?? ""}</IndexTable.Cell>
                    <IndexTable.Cell>
                      <InlineStack gap="100">
                        <Badge tone={tone[i.status as keyof typeof tone]}>{i.status}</Badge>
                        {i.alerted && <Badge>emailed</Badge>}
                      </InlineStack>
                    </IndexTable.Cell>
                    <IndexTable.Cell>{i.attempts}</IndexTable.Cell>
                    <IndexTable.Cell>
                      <Text as="span" tone={i.lastError ? "critical" : "subdued"}>
                        {i.lastError ?? (i.status === "pending" ? `next try ${i.nextRunAt}` : "")}
                      </Text>
                    </IndexTable.Cell>
                    <IndexTable.Cell>
                      {(i.status === "failed" || i.status === "pending") && (
                        <InlineStack gap="100">
                          <Form method="post">
                            <input type="hidden" name="intent" value="retry" />
                            <input type="hidden" name="id" value={i.id} />
                            <Button submit size="slim">
                              Retry now
                            </Button>
                          </Form>
                          <Form method="post">
                            <input type="hidden" name="intent" value="discard" />
                            <input type="hidden" name="id" value={i.id} />
                            <Button submit size="slim" tone="critical">
                              Discard
                            </Button>
                          </Form>
                        </InlineStack>
                      )}
                    </IndexTable.Cell>
                  </IndexTable.Row>
                ))}
              </IndexTable>
            </Card>
            {(nextCursor || params.get("cursor")) && (
              <InlineStack gap="200">
                {params.get("cursor") && <Button url={`/app/queue?${new URLSearchParams(status ? { status } : {})}`}>Newest</Button>}
                {nextCursor && <Button url={`/app/queue?${new URLSearchParams({ ...(status ? { status } : {}), cursor: nextCursor })}`}>Older items</Button>}
              </InlineStack>
            )}
          </BlockStack>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
