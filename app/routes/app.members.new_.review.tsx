// Enrollment wizard, last step: a summary, then submit. The selection comes
// from the URL (a reload keeps it) and is checked again here: a step that no
// longer holds sends the merchant back to it, with its errors in place. The
// idempotency key in the form makes a double submit create one enrollment.

import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Banner, BlockStack, Button, Card, InlineStack, Layout, Page, Text } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import prisma from "~/db.server";
import { asPlatform, platformIdField } from "~/domain/customers.server";
import { parseDelivery, formatAddress } from "~/domain/delivery";
import { checkMemberStep, enroll, recordedSpendCents } from "~/domain/enrollments.server";
import { cents, formatMoney } from "~/domain/money";
import { shopContext } from "~/domain/shops.server";
import { MEMBER_KEYS, wizardParams, wizardValues } from "~/domain/wizard";
import { commerce7PickupLocations } from "~/integrations/customers.server";
import { qualifies } from "~/domain/tiers";
import { registerPlatformProcessors } from "~/integrations/processors.server";
import { authenticate } from "~/shopify.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const p = new URL(request.url).searchParams;
  const crm = (await prisma.shop.findUnique({ where: { domain: session.shop }, select: { crm: true } }))?.crm ?? "shopify";
  const values = wizardValues(p);
  const step = await checkMemberStep(prisma, session.shop, crm, values);
  if (!step.ok) throw redirect(`/app/members/new?${wizardParams(p)}&check=1`);
  let delivery: { method: string; pickup: string | null; billing: string | null; shipping: string | null } | null = null;
  if (crm === "commerce7") {
    const d = parseDelivery(values, { needsAddress: values.needsAddress === "1", pickupLocations: null });
    if (!d.ok) throw redirect(`/app/members/new/delivery?${wizardParams(p)}&check=1`);
    const pickup = d.value.pickupLocationId ? ((await commerce7PickupLocations(prisma, session.shop))?.find((l) => l.id === d.value.pickupLocationId)?.title ?? d.value.pickupLocationId) : null;
    delivery = {
      method: d.value.method,
      pickup,
      billing: d.value.billing ? formatAddress(d.value.billing) : null,
      shipping: d.value.method === "Ship" && d.value.billing ? formatAddress(d.value.shipping ?? d.value.billing) : null,
    };
  }
  const selection = Object.fromEntries(MEMBER_KEYS.map((k) => [k, step.value[k] ?? ""]));
  const tier = await prisma.tier.findFirst({ where: { id: selection.tierId ?? "", shop: session.shop } });
  // The customer enroll() will take: by their id on the shop's platform (their email may have changed there), else by email.
  const known = selection.platformId ? await prisma.customer.findFirst({ where: { shop: session.shop, ...platformIdField(asPlatform(crm), selection.platformId) } }) : null;
  const customer = known ?? (selection.email ? await prisma.customer.findUnique({ where: { shop_email: { shop: session.shop, email: selection.email.toLowerCase() } } }) : null);
  const spendCents = customer ? await recordedSpendCents(prisma, session.shop, customer.id) : 0;
  const { currency } = await shopContext(prisma, session.shop);
  return {
    selection,
    tier: tier && {
      id: tier.id,
      name: tier.name,
      initialCents: cents(tier.initialPurchaseCents),
      initial: formatMoney(cents(tier.initialPurchaseCents), currency),
      months: tier.durationMonths,
      discount: tier.discountPercent,
    },
    spendCents,
    spend: formatMoney(spendCents, currency),
    delivery,
    carried: Object.fromEntries(wizardParams(p)),
    back: crm === "commerce7" ? `/app/members/new/delivery?${wizardParams(p)}` : `/app/members/new?${wizardParams(p)}`,
    idempotencyKey: crypto.randomUUID(),
  };
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  registerPlatformProcessors();
  const form = Object.fromEntries(await request.formData()) as Record<string, string>;
  const result = await enroll(prisma, session.shop, { ...form, platformId: form.platformId || undefined });
  if (!result.ok) return result;
  // The member page says where the sync stands from the member's state; the URL only says an enrollment just happened.
  return redirect(`/app/members/${result.customerId}?enrolled=1`);
};

export default function Review() {
  const { selection, tier, spendCents, spend, delivery, carried, back, idempotencyKey } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  const qualifiesForTier = tier ? qualifies(spendCents, { initialPurchaseCents: tier.initialCents }) : false;
  return (
    <Page>
      <TitleBar title="Review enrollment">
        <Link to={back} variant="breadcrumb">
          Change
        </Link>
      </TitleBar>
      <Layout>
        <Layout.Section>
          <Form method="post">
            <Card>
              <BlockStack gap="300">
                {result && !result.ok && (
                  <Banner tone="critical" title="Not enrolled">
                    <BlockStack gap="100">
                      {Object.values(result.errors).map((e) => (
                        <p key={e}>{e}</p>
                      ))}
                      {result.existingMemberId && <Link to={`/app/members/${result.existingMemberId}`}>Open the member</Link>}
                    </BlockStack>
                  </Banner>
                )}
                {!tier && <Banner tone="critical">Choose a tier first.</Banner>}
                <Text as="p" breakWord>
                  <strong>{`${selection.firstName} ${selection.lastName}`.trim() || "New customer"}</strong> · {selection.email}
                </Text>
                {delivery && (
                  <BlockStack gap="100">
                    <Text as="p" breakWord>
                      {delivery.method === "Pickup" ? `Pickup at ${delivery.pickup}` : "Ship"}
                      {delivery.shipping ? ` to ${delivery.shipping}` : ""}
                    </Text>
                    <Text as="p" breakWord tone="subdued">
                      {delivery.billing ? `Billing address: ${delivery.billing} (added to the customer in Commerce7)` : "Uses the customer's default address in Commerce7."}
                    </Text>
                  </BlockStack>
                )}
                {tier && (
                  <>
                    <Text as="p">
                      Tier <strong>{tier.name}</strong> for {tier.months} months, {tier.discount}% member discount.
                    </Text>
                    <Text as="p" tone={qualifiesForTier ? "success" : "caution"}>
                      Recorded spend in the last 12 months: {spend} —{" "}
                      {qualifiesForTier ? "qualifies" : `below the ${tier.initial} initial purchase (you can still enroll)`}.
                    </Text>
                  </>
                )}
                {Object.entries(carried).map(([k, v]) => (
                  <input key={k} type="hidden" name={k} value={v ?? ""} />
                ))}
                <input type="hidden" name="idempotencyKey" value={idempotencyKey} />
                <InlineStack>
                  <Button submit variant="primary" loading={busy} disabled={!tier}>
                    Enroll
                  </Button>
                </InlineStack>
              </BlockStack>
            </Card>
          </Form>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
