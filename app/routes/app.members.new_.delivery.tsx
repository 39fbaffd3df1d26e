// Enrollment wizard, Commerce7 only: how the member receives club orders.
// A club membership in Commerce7 needs a billing address and either a shipping
// address (Ship) or a pickup location (Pickup). The address is asked for when
// the customer has none in Commerce7 (`needsAddress`); the sync creates it
// there before the membership. Cards are never collected here.
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Banner, BlockStack, Button, Card, Checkbox, FormLayout, InlineStack, Layout, Page, Select, Text, TextField } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import { useState } from "react";
import prisma from "~/db.server";
import { ADDRESS_FIELDS, ADDRESS_LABELS, parseDelivery } from "~/domain/delivery";
import { MEMBER_KEYS, wizardParams, wizardValues } from "~/domain/wizard";
import { commerce7PickupLocations } from "~/integrations/customers.server";
import { authenticate } from "~/shopify.server";

async function crmOf(shop: string) {
  return (await prisma.shop.findUnique({ where: { domain: shop }, select: { crm: true } }))?.crm ?? "shopify";
}

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const p = new URL(request.url).searchParams;
  if ((await crmOf(session.shop)) !== "commerce7") return redirect(`/app/members/new/review?${wizardParams(p)}`);
  const locations = await commerce7PickupLocations(prisma, session.shop);
  const values = wizardValues(p);
  const check = p.get("check") === "1" ? parseDelivery(values, { needsAddress: values.needsAddress === "1", pickupLocations: null }) : null;
  return {
    values,
    needsAddress: values.needsAddress === "1",
    locations,
    checkErrors: check && !check.ok ? check.errors : null,
    back: `/app/members/new?${wizardParams(p)}`,
  };
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const form = Object.fromEntries(await request.formData()) as Record<string, string>;
  const locations = form.deliveryMethod === "Pickup" ? await commerce7PickupLocations(prisma, session.shop) : null;
  const parsed = parseDelivery(form, { needsAddress: form.needsAddress === "1", pickupLocations: locations?.map((l) => l.id) ?? null });
  if (!parsed.ok) return { errors: parsed.errors };
  return redirect(`/app/members/new/review?${wizardParams(form)}`);
};

export default function Delivery() {
  const { values, needsAddress, locations, checkErrors, back } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors: Record<string, string> = result?.errors ?? checkErrors ?? {};
  const busy = useNavigation().state === "submitting";
  const [method, setMethod] = useState(values.deliveryMethod || "Ship");
  const [pickup, setPickup] = useState(values.pickupLocationId || locations?.[0]?.id || "");
  const [shipSame, setShipSame] = useState(values.shipSame !== "" || !values.ship_address);
  const [fields, setFields] = useState<Record<string, string>>(values);
  const field = (prefix: "bill" | "ship", f: (typeof ADDRESS_FIELDS)[number]) => {
    const name = `${prefix}_${f}`;
    return (
      <TextField
        key={name}
        label={ADDRESS_LABELS[f]}
        name={name}
        value={fields[name] ?? ""}
        onChange={(v) => setFields((x) => ({ ...x, [name]: v }))}
        autoComplete="off"
        error={errors[name]}
        helpText={f === "countryCode" ? "Two letters, such as US" : undefined}
      />
    );
  };
  const address = (prefix: "bill" | "ship") => (
    <FormLayout>
      {field(prefix, "address")}
      {field(prefix, "address2")}
      <FormLayout.Group>
        {field(prefix, "city")}
        {field(prefix, "stateCode")}
      </FormLayout.Group>
      <FormLayout.Group>
        {field(prefix, "zipCode")}
        {field(prefix, "countryCode")}
      </FormLayout.Group>
    </FormLayout>
  );

  return (
    <Page>
      <TitleBar title="Delivery">
        <Link to={back} variant="breadcrumb">
          Member and tier
        </Link>
      </TitleBar>
      <Layout>
        <Layout.Section>
          <Form method="post" noValidate>
            {MEMBER_KEYS.map((k) => (
              <input key={k} type="hidden" name={k} value={values[k] ?? ""} />
            ))}
            <input type="hidden" name="needsAddress" value={needsAddress ? "1" : ""} />
            <input type="hidden" name="shipSame" value={shipSame ? "1" : ""} />
            <BlockStack gap="400">
              <Card>
                <BlockStack gap="300">
                  <Text as="h2" variant="headingMd">
                    How the member receives club orders
                  </Text>
                  <Select
                    label="Delivery method"
                    name="deliveryMethod"
                    value={method}
                    onChange={setMethod}
                    options={[
                      { label: "Ship", value: "Ship" },
                      { label: "Pickup", value: "Pickup", disabled: !locations?.length },
                    ]}
                    error={errors.deliveryMethod}
                    helpText={locations === null ? "Commerce7 could not be reached for pickup locations; Ship is available." : locations.length === 0 ? "Commerce7 has no pickup locations." : undefined}
                  />
                  {method === "Pickup" && (
                    <Select
                      label="Pickup location"
                      name="pickupLocationId"
                      value={pickup}
                      onChange={setPickup}
                      options={(locations ?? []).map((l) => ({ label: l.title, value: l.id }))}
                      error={errors.pickupLocationId}
                    />
                  )}
                </BlockStack>
              </Card>
              {needsAddress ? (
                <Card>
                  <BlockStack gap="300">
                    <Text as="h2" variant="headingMd">
                      Billing address
                    </Text>
                    <Text as="p" tone="subdued">
                      This customer has no address in Commerce7 yet; a club membership needs one. It is added to the customer in Commerce7.
                    </Text>
                    {address("bill")}
                    {method === "Ship" && <Checkbox label="Ship to the billing address" checked={shipSame} onChange={setShipSame} />}
                  </BlockStack>
                </Card>
              ) : (
                <Banner tone="info">The membership uses the customer&apos;s default address in Commerce7.</Banner>
              )}
              {needsAddress && method === "Ship" && !shipSame && (
                <Card>
                  <BlockStack gap="300">
                    <Text as="h2" variant="headingMd">
                      Shipping address
                    </Text>
                    {address("ship")}
                  </BlockStack>
                </Card>
              )}
              <Text as="p" tone="subdued">
                Club Tiers does not collect credit cards. If the club needs a card on file, add it to the customer in Commerce7.
              </Text>
              <InlineStack>
                <Button submit variant="primary" loading={busy}>
                  Next
                </Button>
              </InlineStack>
            </BlockStack>
          </Form>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
