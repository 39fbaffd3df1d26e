// Enrollment wizard, step 1: find or enter the customer, choose a tier. The
// step is checked on the server before the next one opens (field errors in
// place); the choices then travel in the URL, so a reload keeps them. On a
// Commerce7 shop the next step is delivery (address, Ship or Pickup).
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Banner, BlockStack, Button, Card, FormLayout, InlineStack, Layout, Page, Select, Text, TextField } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import { useState } from "react";
import prisma from "~/db.server";
import { asPlatform, platformIdOf } from "~/domain/customers.server";
import { checkMemberStep, openTiers } from "~/domain/enrollments.server";
import { MAX_EMAIL, type EnrollFields } from "~/domain/member-input";
import { searchTerm } from "~/domain/bounds";
import { cents, formatMoney } from "~/domain/money";
import { shopContext } from "~/domain/shops.server";
import { DELIVERY_KEYS, MEMBER_KEYS, wizardParams } from "~/domain/wizard";
import { commerce7CustomerHasAddress, searchPlatformCustomers } from "~/integrations/customers.server";
import { authenticate } from "~/shopify.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const url = new URL(request.url);
  const q = searchTerm(url.searchParams.get("q"));
  let results: { platformId: string; email: string; firstName: string; lastName: string }[] = [];
  let searchError: string | null = null;
  if (q) {
    try {
      results = await searchPlatformCustomers(prisma, session.shop, q);
    } catch (error) {
      // The platform being down must not block enrolling: fall back to our own records.
      searchError = `Customer search on your platform is unavailable (${error instanceof Error ? error.message : "error"}); showing customers already known to Club Tiers.`;
      const local = await prisma.customer.findMany({ where: { shop: session.shop, searchText: { contains: q.toLowerCase() } }, take: 10 });
      const platform = asPlatform((await prisma.shop.findUnique({ where: { domain: session.shop }, select: { crm: true } }))?.crm);
      results = local.map((c) => ({ platformId: platformIdOf(c, platform) ?? "", email: c.email, firstName: c.firstName, lastName: c.lastName }));
    }
  }
  const tiers = await openTiers(prisma, session.shop);
  const { currency } = await shopContext(prisma, session.shop);
  // Sent back here by a later step whose input no longer holds: show why.
  const crm = (await prisma.shop.findUnique({ where: { domain: session.shop }, select: { crm: true } }))?.crm ?? "shopify";
  const check = url.searchParams.get("check") === "1" ? await checkMemberStep(prisma, session.shop, crm, Object.fromEntries(url.searchParams)) : null;
  return {
    q,
    results,
    searchError,
    selected: Object.fromEntries(MEMBER_KEYS.map((k) => [k, url.searchParams.get(k) ?? ""])),
    // Delivery answers given earlier, kept when the merchant comes back to this step.
    carried: Object.fromEntries(wizardParams(url.searchParams, DELIVERY_KEYS)),
    checkErrors: check && !check.ok ? check.errors : null,
    tiers: tiers.map((t) => ({ id: t.id, name: t.name, initial: formatMoney(cents(t.initialPurchaseCents), currency) })),
  };
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const form = Object.fromEntries(await request.formData()) as Record<string, string>;
  const crm = (await prisma.shop.findUnique({ where: { domain: session.shop }, select: { crm: true } }))?.crm ?? "shopify";
  const step = await checkMemberStep(prisma, session.shop, crm, form);
  if (!step.ok) return { errors: step.errors };
  const next = wizardParams({ ...form, ...step.value });
  if (crm !== "commerce7") return redirect(`/app/members/new/review?${next}`);
  // A club membership needs an address: ask for one unless Commerce7 already has it.
  const hasAddress = step.value.platformId ? await commerce7CustomerHasAddress(prisma, session.shop, step.value.platformId) : false;
  if (hasAddress) next.delete("needsAddress");
  else next.set("needsAddress", "1");
  return redirect(`/app/members/new/delivery?${next}`);
};

export default function NewMember() {
  const data = useLoaderData<typeof loader>();
  // Choosing a search result changes the URL: start the form afresh from it.
  return <NewMemberForm key={JSON.stringify(data.selected)} {...data} />;
}

function NewMemberForm({ q, results, searchError, selected, carried, checkErrors, tiers }: ReturnType<typeof useLoaderData<typeof loader>>) {
  const result = useActionData<typeof action>();
  const errors: Partial<Record<EnrollFields, string>> = result?.errors ?? checkErrors ?? {};
  const busy = useNavigation().state === "submitting";
  const [query, setQuery] = useState(q);
  const [email, setEmail] = useState(selected.email ?? "");
  const [firstName, setFirst] = useState(selected.firstName ?? "");
  const [lastName, setLast] = useState(selected.lastName ?? "");
  const [tierId, setTierId] = useState(selected.tierId || tiers[0]?.id || "");
  const choose = (c: (typeof results)[number]) =>
    `/app/members/new?${new URLSearchParams({ q, email: c.email, firstName: c.firstName, lastName: c.lastName, platformId: c.platformId, tierId })}`;

  return (
    <Page>
      <TitleBar title="Enroll member">
        <Link to="/app/members" variant="breadcrumb">
          Members
        </Link>
      </TitleBar>
      <Layout>
        <Layout.Section>
          <BlockStack gap="400">
            <Card>
              <Form method="get">
                <BlockStack gap="200">
                  <Text as="h2" variant="headingMd">
                    Find a customer
                  </Text>
                  <InlineStack gap="200" blockAlign="end">
                    <div style={{ flex: 1 }}>
                      <TextField label="Email or name" name="q" value={query} onChange={setQuery} autoComplete="off" />
                    </div>
                    <Button submit>Search</Button>
                  </InlineStack>
                  {searchError && <Banner tone="warning">{searchError}</Banner>}
                  {q && results.length === 0 && <Text as="p">No customer found — enter a new one below.</Text>}
                  {results.map((c) => (
                    <InlineStack key={`${c.platformId}-${c.email}`} align="space-between" blockAlign="center">
                      <Text as="span" breakWord>
                        {`${c.firstName} ${c.lastName}`.trim() || c.email} · {c.email}
                      </Text>
                      <Button url={choose(c)} size="slim">
                        Select
                      </Button>
                    </InlineStack>
                  ))}
                </BlockStack>
              </Form>
            </Card>
            <Card>
              {/* noValidate: our own checks speak, beside each field (not the browser's bubble). */}
              <Form method="post" noValidate>
                <BlockStack gap="300">
                  <Text as="h2" variant="headingMd">
                    Member and tier
                  </Text>
                  {errors.form && <Banner tone="critical">{errors.form}</Banner>}
                  <input type="hidden" name="platformId" value={selected.platformId ?? ""} />
                  {Object.entries(carried).map(([k, v]) => (
                    <input key={k} type="hidden" name={k} value={v} />
                  ))}
                  <FormLayout>
                    <TextField label="Email" name="email" type="email" value={email} onChange={setEmail} autoComplete="off" maxLength={MAX_EMAIL + 50} error={errors.email} />
                    <FormLayout.Group>
                      <TextField label="First name" name="firstName" value={firstName} onChange={setFirst} autoComplete="off" error={errors.firstName} />
                      <TextField label="Last name" name="lastName" value={lastName} onChange={setLast} autoComplete="off" error={errors.lastName} />
                    </FormLayout.Group>
                    <Select
                      label="Tier"
                      name="tierId"
                      value={tierId}
                      onChange={setTierId}
                      options={tiers.map((t) => ({ label: `${t.name} (initial purchase ${t.initial})`, value: t.id }))}
                      error={errors.tierId}
                      helpText={tiers.length === 0 ? "No tier is open to new members yet: see the Tiers page." : undefined}
                    />
                  </FormLayout>
                  <InlineStack>
                    <Button submit variant="primary" disabled={tiers.length === 0} loading={busy}>
                      Next
                    </Button>
                  </InlineStack>
                </BlockStack>
              </Form>
            </Card>
          </BlockStack>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
