// Settings' card for the Commerce7 order history (ADR 0022): start a read of
// the last 12 months of orders, and its progress, read from the database
// every second while it runs (so a reload or another staff member sees it).
import { useFetcher } from "@remix-run/react";
import { Banner, BlockStack, Button, Card, ProgressBar, Text } from "@shopify/polaris";
import { useEffect } from "react";
import type { action, loader } from "~/routes/app.settings_.commerce7-history";

const PATH = "/app/settings/commerce7-history";
const n = (x: number) => x.toLocaleString("en-US");

export function Commerce7HistoryCard() {
  const status = useFetcher<typeof loader>();
  const start = useFetcher<typeof action>();
  const read = status.data?.read ?? null;
  const running = read?.status === "running";

  useEffect(() => {
    if (status.state === "idle" && !status.data) status.load(PATH);
  }, [status]);
  // After a start, and every second while a read runs: read the progress again.
  useEffect(() => {
    if (start.state === "idle" && start.data) status.load(PATH);
  }, [start.state, start.data]);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => status.state === "idle" && status.load(PATH), 1000);
    return () => clearInterval(timer);
  }, [running, status]);

  const progress = read?.ordersTotal ? Math.min(100, Math.round((read.ordersRead / read.ordersTotal) * 100)) : read?.status === "completed" ? 100 : 0;
  return (
    <Card>
      <BlockStack gap="300">
        <Text as="h2" variant="headingMd">
          Commerce7 order history
        </Text>
        <Text as="p">
          Reads the last 12 months of orders from Commerce7 into members&apos; spend, each order once (orders the web hook already delivered are not counted again). It changes no one&apos;s tier by itself.
        </Text>
        {start.data && !start.data.ok && <Banner tone="critical">{start.data.message}</Banner>}
        {read && (
          <BlockStack gap="200">
            <span data-testid="c7-history-status">
              <Text as="p">
                {read.status === "running"
                  ? `Reading orders since ${read.since} (started ${read.startedAt})`
                  : read.status === "completed"
                    ? `Read orders since ${read.since} (done ${read.completedAt})`
                    : `The read of orders since ${read.since} stopped: ${read.error ?? "unknown error"}`}
              </Text>
            </span>
            <ProgressBar progress={progress} tone={read.status === "completed" ? "success" : read.status === "failed" ? "critical" : "highlight"} ariaLabelledBy="c7-history-progress" />
            <span id="c7-history-progress" data-testid="c7-history-progress">
              <Text as="p">
                {`${n(read.ordersRead)}${read.ordersTotal !== null ? ` of ${n(read.ordersTotal)}` : ""} orders read · ${n(read.ordersRecorded)} recorded · ${n(read.ordersKnown)} already known · ${n(read.refundsRecorded)} refunds · ${n(read.ordersSkipped)} skipped`}
              </Text>
            </span>
          </BlockStack>
        )}
        <start.Form method="post" action={PATH}>
          <Button submit disabled={running} loading={start.state !== "idle"}>
            {read ? "Read order history again" : "Read order history"}
          </Button>
        </start.Form>
      </BlockStack>
    </Card>
  );
}
