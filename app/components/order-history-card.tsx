// Settings' order history card (ADR 0023): start a backfill of the last 12
// months of Shopify orders, follow it (read from the database, refreshed
// every second while it runs), and go on to the recalculation preview.
import { Form, Link } from "@remix-run/react";
import { Badge, Banner, BlockStack, Button, Card, InlineStack, ProgressBar, Text } from "@shopify/polaris";
import { useLiveRefresh } from "./live-refresh";

export type OrderHistory = {
  status: "starting" | "running" | "reading" | "completed" | "failed";
  since: Date | string;
  objectCount: number;
  linesDone: number;
  ordersRecorded: number;
  ordersKnown: number;
  ordersSkipped: number;
  refundsRecorded: number;
  error: string | null;
  completedAt: Date | string | null;
} | null;

const n = (x: number) => x.toLocaleString("en-US");

export function OrderHistoryCard({ backfill, busy }: { backfill: OrderHistory; busy: boolean }) {
  const open = backfill !== null && ["starting", "running", "reading"].includes(backfill.status);
  useLiveRefresh(open, 1_000);
  const total = backfill?.objectCount ?? 0;
  return (
    <Card>
      <BlockStack gap="300">
        <InlineStack gap="200" blockAlign="center">
          <Text as="h2" variant="headingMd">
            Order history
          </Text>
          {backfill && (
            <span data-testid="backfill-status">
              <Badge tone={backfill.status === "completed" ? "success" : backfill.status === "failed" ? "critical" : "attention"}>
                {{ starting: "starting", running: "Shopify is reading orders", reading: "recording", completed: "done", failed: "failed" }[backfill.status]}
              </Badge>
            </span>
          )}
        </InlineStack>
        <Text as="p">
          Reads the last 12 months of orders from Shopify into members&apos; spend, so spend-based tiers count from day one. Orders already recorded count once. Reading history changes no member by itself: you preview what the tier rules would do first.
        </Text>
        {backfill?.status === "running" && <Text as="p">{`Shopify has read ${n(total)} orders so far.`}</Text>}
        {backfill?.status === "reading" && (
          <BlockStack gap="100">
            <ProgressBar progress={total ? Math.min(100, Math.round((backfill.linesDone / total) * 100)) : 0} />
            <Text as="p">
              <span data-testid="backfill-progress">{`${n(backfill.linesDone)} of ${n(total)} orders recorded`}</span>
            </Text>
          </BlockStack>
        )}
        {backfill?.status === "completed" && (
          <Banner tone="success" title="Order history read">
            <BlockStack gap="200">
              <p data-testid="backfill-result">
                {`${n(backfill.ordersRecorded)} orders recorded, ${n(backfill.ordersKnown)} already known, ${n(backfill.ordersSkipped)} not counted (guest, test or cancelled); ${n(backfill.refundsRecorded)} refunds.`}
              </p>
              <InlineStack>
                <Link to="/app/recalculate?reason=backfill">Preview what the tier rules would do</Link>
              </InlineStack>
            </BlockStack>
          </Banner>
        )}
        {backfill?.status === "failed" && (
          <Banner tone="critical" title="Order history not read">
            <p>{backfill.error}</p>
          </Banner>
        )}
        <Form method="post">
          <input type="hidden" name="intent" value="backfill" />
          <Button submit loading={busy} disabled={open}>
            {backfill ? "Read order history again" : "Read order history"}
          </Button>
        </Form>
      </BlockStack>
    </Card>
  );
}
