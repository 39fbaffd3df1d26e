// One sync item: what it is, the merchant's sentence for where it stands,
// and every attempt (time, duration, outcome, HTTP status, the full raw
// error). Retry and discard act on it here too; it links to the member.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { Link as RemixLink, useFetcher, useLoaderData } from "@remix-run/react";
import { Badge, Banner, BlockStack, Box, Button, Card, DataTable, InlineStack, Layout, Link, Page, Text, TextField } from "@shopify/polaris";
import { Modal, TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import { useEffect, useState } from "react";
import prisma from "~/db.server";
import { useLiveRefresh } from "~/components/live-refresh";
import { shopContext } from "~/domain/shops.server";
import { staffLabel } from "~/domain/staff";
import { syncItemDetail } from "~/domain/sync-items.server";
import { PLATFORM_LABELS } from "~/queue/types";
import { authenticate } from "~/shopify.server";
import type { action as queueAction } from "./app.queue";

export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const { timezone } = await shopContext(prisma, session.shop);
  const item = await syncItemDetail(prisma, session.shop, params.id ?? "", { timeZone: timezone });
  if (!item) throw new Response("Sync item not found", { status: 404 });
  return { item: { ...item, discardedBy: staffLabel(item.discardedBy) } };
};

const STATUS_BADGE: Record<string, { tone?: "attention" | "info" | "critical" | "success"; label: string }> = {
  pending: { tone: "attention", label: "Pending" },
  processing: { tone: "info", label: "Running" },
  failed: { tone: "critical", label: "Failed" },
  completed: { tone: "success", label: "Completed" },
  cancelled: { label: "Discarded" },
};
const OUTCOMES: Record<string, string> = {
  success: "Succeeded",
  retry: "Failed, tried again later",
  failed: "Failed",
  throttled: "Rate limited, waited",
  released: "Handed back (shutdown)",
  lease_expired: "Worker stopped responding",
};

const seconds = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

export default function QueueItem() {
  const { item } = useLoaderData<typeof loader>();
  // Actions post to the list's route (one place for retry and discard).
  const fetcher = useFetcher<typeof queueAction>();
  const shopify = useAppBridge();
  const [discardOpen, setDiscardOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [posted, setPosted] = useState<"retry" | "discard">("retry");
  const busy = fetcher.state !== "idle";
  useLiveRefresh(item.status === "pending" || item.status === "processing");
  const result = fetcher.state === "idle" ? fetcher.data : undefined;
  useEffect(() => {
    if (result?.ok) shopify?.toast?.show(posted === "retry" ? "Queued to run now" : "Sync item discarded");
  }, [result, shopify, posted]);
  const post = (data: { intent: "retry" | "discard"; reason?: string }) => {
    setPosted(data.intent);
    fetcher.submit({ ...data, id: item.id }, { method: "post", action: "/app/queue" });
  };
  const badge = STATUS_BADGE[item.status] ?? { label: item.status };
  const canAct = item.status === "pending" || item.status === "failed";

  return (
    <Page>
      <TitleBar title={item.action}>
        <RemixLink to="/app/queue" variant="breadcrumb">
          Sync queue
        </RemixLink>
      </TitleBar>
      <Layout>
        <Layout.Section>
          <BlockStack gap="400">
            {result && !result.ok && <Banner tone="critical">{result.reason}</Banner>}
            {item.reason && (
              <Banner tone={item.status === "failed" ? "critical" : item.status === "cancelled" ? undefined : "info"}>
                <p data-testid="item-reason">{item.reason}</p>
              </Banner>
            )}
            <Card>
              <BlockStack gap="300">
                <InlineStack gap="200" blockAlign="center">
                  <Text as="h2" variant="headingMd">
                    {item.action}
                  </Text>
                  <span data-testid="item-status" data-status={item.status}>
                    <Badge tone={badge.tone}>{badge.label}</Badge>
                  </span>
                  {item.internal && <Badge>Internal</Badge>}
                  {item.alerted && <Badge>Emailed</Badge>}
                </InlineStack>
                <Text as="p">
                  {"Member: "}
                  {item.memberId ? (
                    <Link url={`/app/members/${item.memberId}`}>{item.member ? `${item.member.name || item.member.email} (${item.member.email})` : "the member"}</Link>
                  ) : item.member ? (
                    `${item.member.name || item.member.email} (${item.member.email})`
                  ) : (
                    "none (the shop's own upkeep)"
                  )}
                </Text>
                <Text as="p">{`Platform: ${PLATFORM_LABELS[item.platform as keyof typeof PLATFORM_LABELS] ?? item.platform}`}</Text>
                <Text as="p">{`Attempts: ${item.attempts} of ${item.maxAttempts}`}</Text>
                <Text as="p">{`Queued: ${item.queuedAt}`}</Text>
                {item.nextTry && <Text as="p">{`Next try: ${item.nextTry}`}</Text>}
                {item.completedAt && <Text as="p">{`Completed: ${item.completedAt}`}</Text>}
                {item.discardReason && (
                  <Text as="p" tone="subdued">{`Discarded${item.discardedBy ? ` by ${item.discardedBy}` : ""}: ${item.discardReason}`}</Text>
                )}
                {item.lastError && (
                  <BlockStack gap="100">
                    <Text as="h3" variant="headingSm">
                      Last error, as the platform gave it
                    </Text>
                    <Box background="bg-surface-secondary" padding="200" borderRadius="200">
                      <Text as="p" breakWord>
                        <code>{item.lastError}</code>
                      </Text>
                    </Box>
                  </BlockStack>
                )}
                {canAct && (
                  <InlineStack gap="200">
                    <Button onClick={() => post({ intent: "retry" })} loading={busy}>
                      Retry now
                    </Button>
                    <Button tone="critical" onClick={() => setDiscardOpen(true)} disabled={busy}>
                      Discard
                    </Button>
                  </InlineStack>
                )}
              </BlockStack>
            </Card>
            <Card padding="0">
              <Box padding="400" paddingBlockEnd="200">
                <Text as="h2" variant="headingMd">
                  {`Attempts (${item.history.length})`}
                </Text>
              </Box>
              {item.history.length === 0 ? (
                <Box padding="400" paddingBlockStart="0">
                  <Text as="p" tone="subdued">
                    Not tried yet.
                  </Text>
                </Box>
              ) : (
                <div data-testid="attempts">
                  <DataTable
                    columnContentTypes={["numeric", "text", "numeric", "text", "numeric", "text"]}
                    headings={["#", "Time", "Duration", "Outcome", "HTTP", "Error"]}
                    rows={item.history.map((a) => [
                      a.attempt,
                      a.at,
                      seconds(a.durationMs),
                      OUTCOMES[a.outcome] ?? a.outcome,
                      a.httpStatus ?? "—",
                      <Box key={a.id} maxWidth="420px">
                        <Text as="span" breakWord>
                          {a.error ?? "—"}
                        </Text>
                      </Box>,
                    ])}
                    verticalAlign="top"
                  />
                </div>
              )}
            </Card>
          </BlockStack>
        </Layout.Section>
      </Layout>

      <Modal id="discard-item" open={discardOpen} onHide={() => setDiscardOpen(false)}>
        <Box padding="400">
          <TextField label="Reason" value={reason} onChange={setReason} autoComplete="off" maxLength={500} />
        </Box>
        <TitleBar title="Discard this sync item?">
          <button
            variant="primary"
            tone="critical"
            onClick={() => {
              post({ intent: "discard", reason });
              setDiscardOpen(false);
            }}
          >
            Discard
          </button>
          <button onClick={() => setDiscardOpen(false)}>Keep it</button>
        </TitleBar>
      </Modal>
    </Page>
  );
}
