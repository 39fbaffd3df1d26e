import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Badge, Banner, BlockStack, Button, Card, EmptyState, IndexTable, InlineStack, Layout, Page, Text } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import prisma from "~/db.server";
import { formatCents } from "~/domain/money";
import { moveTier, setTierActive, tierRows } from "~/domain/tiers.server";
import { authenticate } from "~/shopify.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const tiers = await tierRows(prisma, session.shop);
  return {
    tiers: tiers.map((t) => ({
      id: t.id,
      name: t.name,
      rank: t.rank,
      active: t.active,
      upgradeOnly: t.upgradeOnly,
      annual: formatCents(t.annualThresholdCents),
      initial: formatCents(t.initialPurchaseCents),
      months: t.durationMonths,
      discount: t.discountPercent,
    })),
  };
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const form = await request.formData();
  const id = String(form.get("id") ?? "");
  const intent = String(form.get("intent") ?? "");
  if (intent === "up" || intent === "down") {
    await moveTier(prisma, session.shop, id, intent);
    return { error: null };
  }
  if (intent === "activate" || intent === "deactivate") {
    const result = await setTierActive(prisma, session.shop, id, intent === "activate");
    return { error: result.ok ? null : (Object.values(result.errors)[0] ?? "Could not change the tier") };
  }
  return { error: "Unknown action" };
};

export default function Tiers() {
  const { tiers } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <Page>
      <TitleBar title="Tiers">
        <Link to="/app/tiers/new" variant="primary">
          Add tier
        </Link>
      </TitleBar>
      <Layout>
        <Layout.Section>
          <BlockStack gap="300">
            {result?.error && <Banner tone="critical">{result.error}</Banner>}
            <Card padding="0">
              {tiers.length === 0 ? (
                <EmptyState heading="Define your first tier" action={{ content: "Add tier", url: "/app/tiers/new" }} image="">
                  <p>Tiers set the annual spend, the initial purchase and the member discount.</p>
                </EmptyState>
              ) : (
                <IndexTable
                  resourceName={{ singular: "tier", plural: "tiers" }}
                  itemCount={tiers.length}
                  selectable={false}
                  headings={[{ title: "Rank" }, { title: "Tier" }, { title: "Annual spend" }, { title: "Initial purchase" }, { title: "Duration" }, { title: "Discount" }, { title: "Status" }, { title: "" }]}
                >
                  {tiers.map((t, i) => (
                    <IndexTable.Row id={t.id} key={t.id} position={i}>
                      <IndexTable.Cell>{t.active ? t.rank : "—"}</IndexTable.Cell>
                      <IndexTable.Cell>
                        <Button variant="plain" url={`/app/tiers/${t.id}`}>
                          {t.name}
                        </Button>{" "}
                        {t.upgradeOnly && <Badge>Upgrade only</Badge>}
                      </IndexTable.Cell>
                      <IndexTable.Cell>{t.annual}</IndexTable.Cell>
                      <IndexTable.Cell>{t.initial}</IndexTable.Cell>
                      <IndexTable.Cell>{t.months} months</IndexTable.Cell>
                      <IndexTable.Cell>{t.discount}%</IndexTable.Cell>
                      <IndexTable.Cell>{t.active ? <Badge tone="success">Active</Badge> : <Badge>Inactive</Badge>}</IndexTable.Cell>
                      <IndexTable.Cell>
                        <InlineStack gap="100">
                          {t.active && (
                            <>
                              <TierAction id={t.id} intent="up" label={`Move ${t.name} up`} disabled={i === 0}>
                                ↑
                              </TierAction>
                              <TierAction id={t.id} intent="down" label={`Move ${t.name} down`}>
                                ↓
                              </TierAction>
                            </>
                          )}
                          <TierAction id={t.id} intent={t.active ? "deactivate" : "activate"} label={`${t.active ? "Deactivate" : "Activate"} ${t.name}`}>
                            {t.active ? "Deactivate" : "Activate"}
                          </TierAction>
                        </InlineStack>
                      </IndexTable.Cell>
                    </IndexTable.Row>
                  ))}
                </IndexTable>
              )}
            </Card>
            <Text as="p" tone="subdued">
              Members upgrade in rank order. Ranks are unique among active tiers.
            </Text>
          </BlockStack>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

// One small form per action: works without client-side state.
function TierAction({ id, intent, label, disabled, children }: { id: string; intent: string; label: string; disabled?: boolean; children: string }) {
  return (
    <Form method="post">
      <input type="hidden" name="id" value={id} />
      <input type="hidden" name="intent" value={intent} />
      <Button submit size="slim" accessibilityLabel={label} disabled={disabled}>
        {children}
      </Button>
    </Form>
  );
}
