// The home page's three charts (Polaris Viz), each with the same figures as a
// table: a button switches a card between the two, and screen readers get
// the table. The charts draw in the browser only (they measure their box); the
// server renders the table, so the figures are there before any script runs.
import { BarChart, PolarisVizProvider, StackedAreaChart } from "@shopify/polaris-viz";
import { BlockStack, Box, Button, Card, DataTable, InlineGrid, InlineStack, Text } from "@shopify/polaris";
import { useEffect, useState, type ReactNode } from "react";
import type { Charts } from "~/domain/dashboard.server";

const MOVEMENT_NAMES = { joined: "Joined", upgraded: "Upgraded", renewed: "Renewed", expired: "Expired", cancelled: "Cancelled" } as const;

type Series = { name: string; values: number[] };

const toViz = (keys: string[], series: Series[]) => series.map((s) => ({ name: s.name, data: keys.map((key, i) => ({ key, value: s.values[i] ?? 0 })) }));

function ChartCard({ id, title, description, keys, keyHeading, series, empty, chart }: {
  id: string;
  title: string;
  description: string;
  keys: string[];
  keyHeading: string;
  series: Series[];
  empty: string;
  chart: (data: ReturnType<typeof toViz>) => ReactNode;
}) {
  const [mounted, setMounted] = useState(false);
  const [asTable, setAsTable] = useState(false);
  useEffect(() => setMounted(true), []);
  const hasData = series.some((s) => s.values.some((v) => v > 0));
  const showTable = asTable || !mounted;
  return (
    <Card>
      <BlockStack gap="300">
        <InlineStack align="space-between" blockAlign="center" wrap={false}>
          <BlockStack gap="100">
            <Text as="h2" variant="headingMd">
              {title}
            </Text>
            <Text as="p" tone="subdued" variant="bodySm">
              {description}
            </Text>
          </BlockStack>
          {hasData && mounted && (
            <Button variant="plain" onClick={() => setAsTable(!asTable)} accessibilityLabel={asTable ? `Show ${title} as a chart` : `Show ${title} as a table`}>
              {asTable ? "Show chart" : "Show table"}
            </Button>
          )}
        </InlineStack>
        {!hasData ? (
          <Box paddingBlock="400">
            <Text as="p" tone="subdued">
              {empty}
            </Text>
          </Box>
        ) : (
          <>
            {!showTable && (
              <div data-testid={`${id}-chart`} style={{ height: 260 }} aria-hidden="true">
                {chart(toViz(keys, series))}
              </div>
            )}
            <div data-testid={`${id}-table`} hidden={!showTable}>
              <DataTable
                columnContentTypes={["text", ...series.map(() => "numeric" as const)]}
                headings={[keyHeading, ...series.map((s) => s.name)]}
                rows={keys.map((key, i) => [key, ...series.map((s) => s.values[i] ?? 0)])}
                increasedTableDensity
              />
            </div>
          </>
        )}
      </BlockStack>
    </Card>
  );
}

export function HomeCharts({ charts }: { charts: Charts }) {
  const movements = (Object.keys(MOVEMENT_NAMES) as (keyof typeof MOVEMENT_NAMES)[]).map((k) => ({ name: MOVEMENT_NAMES[k], values: charts.movements[k] }));
  return (
    <PolarisVizProvider defaultTheme="Light">
      <BlockStack gap="400">
        <ChartCard
          id="members-by-tier"
          title="Active members by tier"
          description="At the end of each month; this month: today"
          keys={charts.months}
          keyHeading="Month"
          series={charts.activeByTier.map((t) => ({ name: t.tier, values: t.counts }))}
          empty="No members in the last 12 months yet."
          chart={(data) => <StackedAreaChart data={data} theme="Light" isAnimated={false} />}
        />
        <InlineGrid columns={{ xs: 1, lg: 2 }} gap="400">
          <ChartCard
            id="movements"
            title="Membership changes per month"
            description="Joins, upgrades, renewals, expiries and cancellations"
            keys={charts.months}
            keyHeading="Month"
            series={movements}
            empty="No membership changes in the last 12 months yet."
            chart={(data) => <BarChart data={data} theme="Light" isAnimated={false} />}
          />
          <ChartCard
            id="sync"
            title="Platform sync, last 24 hours"
            description="Attempts per hour: completed, and failed or retried"
            keys={charts.hours}
            keyHeading="Hour"
            series={[
              { name: "Completed", values: charts.sync.completed },
              { name: "Failed or retried", values: charts.sync.failed },
            ]}
            empty="No sync attempts in the last 24 hours."
            chart={(data) => <BarChart data={data} theme="Light" type="stacked" isAnimated={false} />}
          />
        </InlineGrid>
      </BlockStack>
    </PolarisVizProvider>
  );
}
