import type { LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { BlockStack, Card, InlineGrid, Layout, Page, Text } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import prisma from "~/db.server";
import { listTiers } from "~/domain/records.server";
import { authenticate } from "~/shopify.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const tiers = await listTiers(prisma, session.shop);
  return { shop: session.shop, tierCount: tiers.length };
};

export default function Index() {
  const { shop, tierCount } = useLoaderData<typeof loader>();
  return (
    <Page title="Club Tiers">
      <TitleBar title="Club Tiers" />
      <Layout>
        <Layout.Section>
          <InlineGrid columns={{ xs: 1, md: 2 }} gap="400">
            <Card>
              <BlockStack gap="200">
                <Text as="h2" variant="headingMd">
                  Your club
                </Text>
                <Text as="p" data-testid="tier-count">
                  {tierCount === 1 ? "1 active tier" : `${tierCount} active tiers`} on {shop}
                </Text>
              </BlockStack>
            </Card>
          </InlineGrid>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
