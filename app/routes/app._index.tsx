import type { LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Badge, Banner, BlockStack, Card, InlineGrid, InlineStack, Layout, Page, Text } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import vizStyles from "@shopify/polaris-viz/build/esm/styles.css?url";
import { HomeCharts } from "~/components/home-charts";
import prisma from "~/db.server";
import { dashboard, dashboardCharts } from "~/domain/dashboard.server";
import { tokenMigrationProblem } from "~/domain/shops.server";
import { authenticate } from "~/shopify.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const [figures, charts, tokenMigration] = await Promise.all([dashboard(prisma, session.shop), dashboardCharts(prisma, session.shop), tokenMigrationProblem(prisma, session.shop)]);
  return { shop: session.shop, ...figures, charts, tokenMigration };
};

export const links = () => [{ rel: "stylesheet", href: vizStyles }];

function Figure({ label, value, testId }: { label: string; value: number; testId: string }) {
  return (
    <Card>
      <BlockStack gap="100">
        <Text as="h3" variant="headingSm" tone="subdued">
          {label}
        </Text>
        <Text as="p" variant="heading2xl">
          <span data-testid={testId}>{value}</span>
        </Text>
      </BlockStack>
    </Card>
  );
}

export default function Index() {
  const { shop, activeByTier, activeTotal, newThisMonth, upgradesThisMonth, movedDownThisMonth, expiringSoon, queue, tokenMigration, charts } = useLoaderData<typeof loader>();
  return (
    <Page>
      <TitleBar title="Club Tiers" />
      <Layout>
        {tokenMigration && (
          <Layout.Section>
            <Banner tone="warning" title="Shopify access needs renewing">
              <p data-testid="token-migration-problem">
                Club Tiers could not move this shop to Shopify's expiring access tokens (last tried{" "}
                {new Date(tokenMigration.failedAt).toUTCString()}): {tokenMigration.error} Syncing carries on with the current token until
                Shopify stops accepting it on 1 January 2027; the app tries again every hour.
              </p>
            </Banner>
          </Layout.Section>
        )}
        <Layout.Section>
          <InlineGrid columns={{ xs: 1, md: 5 }} gap="400">
            <Figure label="Active members" value={activeTotal} testId="active-members" />
            <Figure label="New this month" value={newThisMonth} testId="new-this-month" />
            <Figure label="Upgrades this month" value={upgradesThisMonth} testId="upgrades" />
            <Figure label="Moved down this month" value={movedDownThisMonth} testId="moved-down" />
            <Figure label="Expiring in the next 30 days" value={expiringSoon} testId="expiring-soon" />
          </InlineGrid>
        </Layout.Section>
        <Layout.Section>
          <InlineGrid columns={{ xs: 1, md: 2 }} gap="400">
            <Card>
              <BlockStack gap="200">
                <Text as="h2" variant="headingMd">
                  Members per tier
                </Text>
                <Text as="p" tone="subdued">
                  <span data-testid="tier-count">
                    {activeByTier.length === 1 ? "1 active tier" : `${activeByTier.length} active tiers`} on {shop}
                  </span>
                </Text>
                {activeByTier.map((t) => (
                  <InlineStack key={t.id} align="space-between">
                    <Text as="span">{t.name}</Text>
                    <Text as="span">{t.members}</Text>
                  </InlineStack>
                ))}
              </BlockStack>
            </Card>
            <Card>
              <BlockStack gap="200">
                <Text as="h2" variant="headingMd">
                  Platform sync
                </Text>
                <InlineStack gap="200">
                  <Badge tone={queue.pending ? "attention" : "success"}>{`${queue.pending + queue.processing} pending`}</Badge>
                  <Badge tone={queue.failed ? "critical" : "success"}>{`${queue.failed} failed`}</Badge>
                </InlineStack>
                <Link to="/app/queue">Open the sync queue</Link>
              </BlockStack>
            </Card>
          </InlineGrid>
        </Layout.Section>
        <Layout.Section>
          <HomeCharts charts={charts} />
        </Layout.Section>
      </Layout>
    </Page>
  );
}
