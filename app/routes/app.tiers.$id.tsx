import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Banner, BlockStack, Button, Card, Checkbox, FormLayout, InlineStack, Layout, Page, Select, Text, TextField } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import { useState } from "react";
import prisma from "~/db.server";
import { shopClubs } from "~/domain/clubs.server";
import { cents, currencySymbol, minorDigits, moneyToField } from "~/domain/money";
import { shopContext } from "~/domain/shops.server";
import { localDateTime } from "~/domain/dates";
import { getTier } from "~/domain/records.server";
import { saveTier } from "~/domain/tiers.server";
import { authenticate } from "~/shopify.server";

// On a Commerce7 shop a tier belongs to one of the tenant's clubs: the form
// picks it from the clubs as last read (cached), with a refresh.
async function clubPicker(shop: string, refresh: boolean) {
  const row = await prisma.shop.findUnique({ where: { domain: shop }, select: { crm: true, timezone: true } });
  if (row?.crm !== "commerce7") return null;
  const choice = await shopClubs(prisma, shop, { refresh });
  return { clubs: choice.clubs, fetchedAt: choice.fetchedAt ? localDateTime(choice.fetchedAt, row.timezone) : null, error: choice.error };
}

export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const refresh = new URL(request.url).searchParams.get("refreshClubs") === "1";
  // Amounts are typed in the shop's currency, with its own decimals (none for JPY).
  const { currency } = await shopContext(prisma, session.shop);
  const money = { currency, symbol: currencySymbol(currency), decimals: minorDigits(currency) };
  if (params.id === "new") {
    const last = await prisma.tier.findFirst({ where: { shop: session.shop, active: true }, orderBy: { rank: "desc" }, select: { rank: true } });
    return { tier: null, money, nextRank: (last?.rank ?? 0) + 1, clubs: await clubPicker(session.shop, refresh) };
  }
  const tier = await getTier(prisma, session.shop, params.id ?? "");
  if (!tier) throw new Response("Tier not found", { status: 404 });
  const { annualThresholdCents, initialPurchaseCents, ...rest } = tier;
  return {
    tier: { ...rest, annualField: moneyToField(cents(annualThresholdCents), currency), initialField: moneyToField(cents(initialPurchaseCents), currency) },
    money,
    nextRank: tier.rank,
    clubs: await clubPicker(session.shop, refresh),
  };
};

export const action = async ({ request, params }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const form = Object.fromEntries(await request.formData()) as Record<string, string>;
  const result = await saveTier(prisma, session.shop, params.id === "new" ? undefined : params.id, form);
  if (!result.ok) return { errors: result.errors, values: form };
  return redirect(`/app/tiers?saved=${encodeURIComponent(result.id)}`);
};

export default function TierForm() {
  const { tier, money, nextRank, clubs } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  const v = result?.values;
  const [name, setName] = useState(v?.name ?? tier?.name ?? "");
  const [annual, setAnnual] = useState(v?.annualThreshold ?? tier?.annualField ?? "");
  const [initial, setInitial] = useState(v?.initialPurchase ?? tier?.initialField ?? "");
  const inputMode = money.decimals === 0 ? "numeric" : "decimal";
  const [months, setMonths] = useState(v?.durationMonths ?? String(tier?.durationMonths ?? 12));
  const [rank, setRank] = useState(v?.rank ?? String(nextRank));
  const [discount, setDiscount] = useState(v?.discountPercent ?? String(tier?.discountPercent ?? 10));
  const [upgradable, setUpgradable] = useState(tier?.upgradable ?? true);
  const [upgradeOnly, setUpgradeOnly] = useState(tier?.upgradeOnly ?? false);
  const [graceDays, setGraceDays] = useState(v?.graceDays ?? String(tier?.graceDays ?? 0));
  const [stepDown, setStepDown] = useState(tier?.stepDown ?? false);
  const [clubId, setClubId] = useState(v?.c7ClubId ?? tier?.c7ClubId ?? "");
  const errors = result?.errors ?? {};
  const title = tier ? `Edit ${tier.name}` : "New tier";

  return (
    <Page>
      <TitleBar title={title}>
        <Link to="/app/tiers" variant="breadcrumb">
          Tiers
        </Link>
      </TitleBar>
      <Layout>
        <Layout.Section>
          <Form method="post">
            <Card>
              <BlockStack gap="400">
                {errors.form && <Banner tone="critical">{errors.form}</Banner>}
                <FormLayout>
                  <TextField label="Name" name="name" value={name} onChange={setName} autoComplete="off" error={errors.name} />
                  <FormLayout.Group>
                    <TextField label="Annual spend threshold" name="annualThreshold" type="text" inputMode={inputMode} prefix={money.symbol} suffix={money.symbol === money.currency ? undefined : money.currency} value={annual} onChange={setAnnual} autoComplete="off" error={errors.annualThreshold} />
                    <TextField
                      label="Initial purchase"
                      name="initialPurchase"
                      type="text"
                      inputMode={inputMode}
                      prefix={money.symbol}
                      suffix={money.symbol === money.currency ? undefined : money.currency}
                      value={initial}
                      onChange={setInitial}
                      autoComplete="off"
                      helpText="Leave empty for a twelfth of the annual threshold."
                      error={errors.initialPurchase}
                    />
                  </FormLayout.Group>
                  <FormLayout.Group>
                    <TextField label="Duration (months)" name="durationMonths" type="number" value={months} onChange={setMonths} autoComplete="off" error={errors.durationMonths} />
                    <TextField label="Rank (upgrade order)" name="rank" type="number" value={rank} onChange={setRank} autoComplete="off" error={errors.rank} />
                    <TextField label="Member discount" name="discountPercent" type="number" suffix="%" value={discount} onChange={setDiscount} autoComplete="off" error={errors.discountPercent} />
                  </FormLayout.Group>
                  <Checkbox label="Members can upgrade from this tier" checked={upgradable} onChange={setUpgradable} />
                  {upgradable && <input type="hidden" name="upgradable" value="true" />}
                  <Checkbox label="Upgrade only (not open to new members)" checked={upgradeOnly} onChange={setUpgradeOnly} />
                  {upgradeOnly && <input type="hidden" name="upgradeOnly" value="true" />}
                  <FormLayout.Group>
                    <TextField
                      label="Grace period (days)"
                      name="graceDays"
                      type="number"
                      value={graceDays}
                      onChange={setGraceDays}
                      autoComplete="off"
                      helpText="A lapsed member keeps this tier and its discount for these days; an order that renews them in that time renews from the original expiry."
                      error={errors.graceDays}
                    />
                  </FormLayout.Group>
                  <Checkbox
                    label="Step down instead of expiring"
                    helpText="At the end, a member whose spend over the last 12 months meets a lower tier's threshold moves to the highest such tier for a new term."
                    checked={stepDown}
                    onChange={setStepDown}
                  />
                  {stepDown && <input type="hidden" name="stepDown" value="true" />}
                  {clubs && (
                    <BlockStack gap="200">
                      {clubs.error && <Banner tone="warning">{clubs.error}</Banner>}
                      <InlineStack gap="200" blockAlign="end">
                        <div style={{ flex: 1 }}>
                          <Select
                            label="Commerce7 club"
                            name="c7ClubId"
                            value={clubId}
                            onChange={setClubId}
                            options={[
                              { label: "No club (not offered for enrollment)", value: "" },
                              // A mapped club the tenant no longer lists stays visible rather than silently cleared.
                              ...(clubId && !clubs.clubs.some((c) => c.id === clubId) ? [{ label: `${clubId} (not found in Commerce7)`, value: clubId }] : []),
                              ...clubs.clubs.map((c) => ({ label: c.title, value: c.id })),
                            ]}
                            helpText="Members of this tier get a membership in this club. A tier without a club takes no members."
                          />
                        </div>
                        <Button url={`/app/tiers/${tier?.id ?? "new"}?refreshClubs=1`}>Refresh clubs</Button>
                      </InlineStack>
                      {clubs.fetchedAt && (
                        <Text as="p" tone="subdued">
                          {`Clubs as read from Commerce7 at ${clubs.fetchedAt}.`}
                        </Text>
                      )}
                    </BlockStack>
                  )}
                </FormLayout>
                <Button submit variant="primary" loading={busy}>
                  Save tier
                </Button>
              </BlockStack>
            </Card>
          </Form>
        </Layout.Section>
        {tier && (
          <Layout.Section>
            <Card>
              <BlockStack gap="200">
                <Text as="p">
                  Changing a threshold or duration moves no member by itself: members change when their next order counts, or when you apply a recalculation after previewing it.
                </Text>
                <InlineStack>
                  <Link to="/app/recalculate?reason=tiers">Preview what the tier rules would do</Link>
                </InlineStack>
              </BlockStack>
            </Card>
          </Layout.Section>
        )}
      </Layout>
    </Page>
  );
}
