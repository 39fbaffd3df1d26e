import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams, useSubmit } from "@remix-run/react";
import { Badge, Banner, BlockStack, Box, Button, Card, EmptyState, IndexTable, InlineStack, Layout, Page, Text } from "@shopify/polaris";
import { Modal, TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import { useEffect, useState } from "react";
import prisma from "~/db.server";
import { shopClubs } from "~/domain/clubs.server";
import { cents, formatMoney } from "~/domain/money";
import { shopContext } from "~/domain/shops.server";
import { moveTier, setTierActive, tierRows } from "~/domain/tiers.server";
import { authenticate } from "~/shopify.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const tiers = await tierRows(prisma, session.shop);
  const row = await prisma.shop.findUnique({ where: { domain: session.shop }, select: { crm: true } });
  const commerce7 = row?.crm === "commerce7";
  // Club names from the cache only: the list must open while Commerce7 is down.
  const clubs = commerce7 ? new Map((await shopClubs(prisma, session.shop)).clubs.map((c) => [c.id, c.title])) : null;
  const { currency } = await shopContext(prisma, session.shop);
  const activeCount = tiers.filter((t) => t.active).length;
  const members = new Map(
    (await prisma.enrollment.groupBy({ by: ["tierId"], where: { shop: session.shop, status: "active" }, _count: true })).map((g) => [g.tierId, g._count]),
  );
  return {
    commerce7,
    activeCount,
    tiers: tiers.map((t) => ({
      id: t.id,
      name: t.name,
      rank: t.rank,
      active: t.active,
      upgradeOnly: t.upgradeOnly,
      annual: formatMoney(cents(t.annualThresholdCents), currency),
      initial: formatMoney(cents(t.initialPurchaseCents), currency),
      months: t.durationMonths,
      discount: t.discountPercent,
      members: members.get(t.id) ?? 0,
      club: clubs ? (t.c7ClubId ? (clubs.get(t.c7ClubId) ?? t.c7ClubId) : null) : undefined,
    })),
  };
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const form = await request.formData();
  const id = String(form.get("id") ?? "");
  const intent = String(form.get("intent") ?? "");
  const name = (await prisma.tier.findFirst({ where: { id, shop: session.shop }, select: { name: true } }))?.name ?? "The tier";
  if (intent === "up" || intent === "down") {
    const moved = await moveTier(prisma, session.shop, id, intent);
    return { error: null, saved: moved ? `${name} moved ${intent}` : null };
  }
  if (intent === "activate" || intent === "deactivate") {
    const result = await setTierActive(prisma, session.shop, id, intent === "activate");
    return result.ok
      ? { error: null, saved: `${name} ${intent === "activate" ? "activated" : "deactivated"}` }
      : { error: Object.values(result.errors)[0] ?? "Could not change the tier", saved: null };
  }
  return { error: "Unknown action", saved: null };
};

export default function Tiers() {
  const { tiers, commerce7, activeCount } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const saved = params.get("saved");
  const savedName = saved ? tiers.find((t) => t.id === saved)?.name : undefined;
  const shopify = useAppBridge();
  const submit = useSubmit();
  // A tier with members is deactivated only after the merchant has read what it does to them.
  const [confirm, setConfirm] = useState<{ id: string; name: string; members: number } | null>(null);
  // Every change on this page says it happened (a toast); errors stay as a banner.
  useEffect(() => {
    if (savedName) shopify?.toast?.show(`${savedName} saved`);
  }, [savedName, shopify]);
  useEffect(() => {
    if (result?.saved) shopify?.toast?.show(result.saved);
  }, [result, shopify]);
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
                  headings={[
                    { title: "Rank" },
                    { title: "Tier" },
                    ...(commerce7 ? [{ title: "Commerce7 club" }] : []),
                    { title: "Annual spend" },
                    { title: "Initial purchase" },
                    { title: "Duration" },
                    { title: "Discount" },
                    { title: "Status" },
                    { title: "" },
                  ] as [{ title: string }, ...{ title: string }[]]}
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
                      {commerce7 && (
                        <IndexTable.Cell>
                          {t.club ? (
                            <Text as="span">{t.club}</Text>
                          ) : (
                            <BlockStack gap="100">
                              <InlineStack gap="100">
                                <Badge tone="warning">No club</Badge>
                              </InlineStack>
                              <Text as="span" tone="subdued">
                                Not offered for enrollment until it has a club.
                              </Text>
                              <Button variant="plain" url={`/app/tiers/${t.id}`} accessibilityLabel={`Choose a club for ${t.name}`}>
                                Choose a club
                              </Button>
                            </BlockStack>
                          )}
                        </IndexTable.Cell>
                      )}
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
                              <TierAction id={t.id} intent="down" label={`Move ${t.name} down`} disabled={i === activeCount - 1}>
                                ↓
                              </TierAction>
                            </>
                          )}
                          {t.active && t.members > 0 ? (
                            <Button size="slim" accessibilityLabel={`Deactivate ${t.name}`} onClick={() => setConfirm(t)}>
                              Deactivate
                            </Button>
                          ) : (
                            <TierAction id={t.id} intent={t.active ? "deactivate" : "activate"} label={`${t.active ? "Deactivate" : "Activate"} ${t.name}`}>
                              {t.active ? "Deactivate" : "Activate"}
                            </TierAction>
                          )}
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
      <Modal id="deactivate-tier" open={confirm !== null} onHide={() => setConfirm(null)}>
        <Box padding="400">
          <BlockStack gap="200">
            <Text as="p">
              {confirm ? `${confirm.name} has ${confirm.members === 1 ? "1 active member" : `${confirm.members} active members`}.` : ""} They keep their membership until it
              ends (or until you change their tier); the tier takes no new members and no one is upgraded into it.
            </Text>
          </BlockStack>
        </Box>
        <TitleBar title={confirm ? `Deactivate ${confirm.name}?` : "Deactivate tier?"}>
          <button
            variant="primary"
            tone="critical"
            onClick={() => {
              if (confirm) submit({ intent: "deactivate", id: confirm.id }, { method: "post" });
              setConfirm(null);
            }}
          >
            Deactivate
          </button>
          <button onClick={() => setConfirm(null)}>Keep it active</button>
        </TitleBar>
      </Modal>
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
