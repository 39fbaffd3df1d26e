// Enrollment wizard, step 1: find or enter the customer, choose a tier. A plain
// GET form: the choices travel in the URL, so a reload keeps them.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { Banner, BlockStack, Button, Card, FormLayout, InlineStack, Layout, Page, Select, Text, TextField } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import { useState } from "react";
import prisma from "~/db.server";
import { openTiers } from "~/domain/enrollments.server";
import { formatCents } from "~/domain/money";
import { searchPlatformCustomers } from "~/integrations/customers.server";
import { authenticate } from "~/shopify.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const url = new URL(request.url);
  const q = (url.searchParams.get("q") ?? "").trim();
  let results: { platformId: string; email: string; firstName: string; lastName: string }[] = [];
  let searchError: string | null = null;
  if (q) {
    try {
      results = await searchPlatformCustomers(prisma, session.shop, q);
    } catch (error) {
      // The platform being down must not block enrolling: fall back to our own records.
      searchError = `Customer search on your platform is unavailable (${error instanceof Error ? error.message : "error"}); showing customers already known to Club Tiers.`;
      const local = await prisma.customer.findMany({ where: { shop: session.shop, searchText: { contains: q.toLowerCase() } }, take: 10 });
      results = local.map((c) => ({ platformId: c.platformId ?? "", email: c.email, firstName: c.firstName, lastName: c.lastName }));
    }
  }
  const tiers = await openTiers(prisma, session.shop);
  return {
    q,
    results,
    searchError,
    selected: Object.fromEntries(["email", "firstName", "lastName", "platformId", "tierId"].map((k) => [k, url.searchParams.get(k) ?? ""])),
    tiers: tiers.map((t) => ({ id: t.id, name: t.name, initial: formatCents(t.initialPurchaseCents) })),
  };
};

export default function NewMember() {
  const data = useLoaderData<typeof loader>();
  // Choosing a search result changes the URL: start the form afresh from it.
  return <NewMemberForm key={JSON.stringify(data.selected)} {...data} />;
}

function NewMemberForm({ q, results, searchError, selected, tiers }: ReturnType<typeof useLoaderData<typeof loader>>) {
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
                      <Text as="span">
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
              <Form method="get" action="/app/members/new/review">
                <BlockStack gap="300">
                  <Text as="h2" variant="headingMd">
                    Member and tier
                  </Text>
                  <input type="hidden" name="platformId" value={selected.platformId ?? ""} />
                  <FormLayout>
                    <TextField label="Email" name="email" type="email" value={email} onChange={setEmail} autoComplete="off" />
                    <FormLayout.Group>
                      <TextField label="First name" name="firstName" value={firstName} onChange={setFirst} autoComplete="off" />
                      <TextField label="Last name" name="lastName" value={lastName} onChange={setLast} autoComplete="off" />
                    </FormLayout.Group>
                    <Select
                      label="Tier"
                      name="tierId"
                      value={tierId}
                      onChange={setTierId}
                      options={tiers.map((t) => ({ label: `${t.name} (initial purchase ${t.initial})`, value: t.id }))}
                    />
                  </FormLayout>
                  <InlineStack>
                    <Button submit variant="primary" disabled={tiers.length === 0}>
                      Review
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
