import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Banner, BlockStack, Button, Card, FormLayout, InlineStack, Layout, Page, Select, Text, TextField } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import { useRef, useState } from "react";
import prisma from "~/db.server";
import { MAX_ENDED_MESSAGE } from "~/domain/member-display";
import { loadSettings, saveClubMapping, saveSettings, sendTestEmail, testCommerce7Connection, type FieldErrors } from "~/domain/settings.server";
import { PLATFORM_NAMES, type Platform } from "~/domain/platforms";
import type { Club } from "~/integrations/commerce7/clubs.server";
import { rotateCommerce7WebhookKey, setCommerce7WebhookAuth } from "~/domain/commerce7-webhook.server";
import { authenticate } from "~/shopify.server";
import { latestBackfill, startBackfill } from "~/domain/backfill.server";
import { OrderHistoryCard } from "~/components/order-history-card";
import { Commerce7HistoryCard } from "~/components/commerce7-history-card";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const [settings, backfill] = await Promise.all([loadSettings(prisma, session.shop), latestBackfill(prisma, session.shop)]);
  return { ...settings, backfill };
};

type ActionResult =
  | { intent: "save"; ok: boolean; errors?: FieldErrors; switched?: { from: string; to: string; members: number } }
  | { intent: "test"; ok: boolean; message?: string; clubs?: Club[] }
  | { intent: "map"; ok: true }
  | { intent: "email"; ok: boolean; message: string }
  | { intent: "c7-webhook"; ok: boolean; error?: string }
  | { intent: "backfill"; ok: true };

export const action = async ({ request }: ActionFunctionArgs): Promise<ActionResult> => {
  const { session } = await authenticate.admin(request);
  const form = Object.fromEntries(await request.formData()) as Record<string, string>;
  const { intent, ...fields } = form;
  if (intent === "test") {
    const result = await testCommerce7Connection(prisma, session.shop, fields);
    return result.ok ? { intent, ok: true, clubs: result.clubs } : { intent, ok: false, message: result.message };
  }
  if (intent === "backfill") {
    await startBackfill(prisma, session.shop);
    return { intent, ok: true };
  }
  if (intent === "email") return { intent, ...(await sendTestEmail(prisma, session.shop)) };
  // Commerce7 order webhook (ADR 0021): a new URL (the old one stops working), or its Basic auth.
  if (intent === "c7-webhook-rotate") return { intent: "c7-webhook", ok: Boolean(await rotateCommerce7WebhookKey(prisma, session.shop)) };
  if (intent === "c7-webhook-auth") return { intent: "c7-webhook", ...(await setCommerce7WebhookAuth(prisma, session.shop, fields)) };
  if (intent === "map") {
    const mapping = Object.fromEntries(Object.entries(fields).filter(([k]) => k.startsWith("club:")).map(([k, v]) => [k.slice(5), v]));
    await saveClubMapping(prisma, session.shop, mapping);
    return { intent, ok: true };
  }
  const result = await saveSettings(prisma, session.shop, fields);
  return result.ok ? { intent: "save", ok: true, switched: result.switched } : { intent: "save", ok: false, errors: result.errors };
};

export default function Settings() {
  const { settings, c7, tiers, emailAlerts, switchPreview, backfill } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state !== "idle";
  const [crm, setCrm] = useState<string>(settings.crm);
  const [tenant, setTenant] = useState(settings.c7Tenant ?? "");
  const [appId, setAppId] = useState(settings.c7AppId);
  const [secret, setSecret] = useState("");
  const [alertEmail, setAlertEmail] = useState(settings.alertEmail ?? "");
  const [endedMessage, setEndedMessage] = useState(settings.memberEndedMessage);
  const [soonDays, setSoonDays] = useState(String(settings.flowExpiringSoonDays));
  const [countWhen, setCountWhen] = useState<string>(settings.countOrdersWhen);
  const [pace, setPace] = useState(String(c7.requestsPerMinute));
  // Commerce7's fields, test, club mapping and order webhook are shown only
  // while Commerce7 is the platform: the saved one, or the one chosen in the
  // form (a switch is prepared before it is saved: credentials, clubs).
  // Hidden fields are not posted, and saving without them keeps what is stored.
  const commerce7 = crm === "commerce7";
  const errors = result?.intent === "save" && !result.ok ? (result.errors ?? {}) : {};
  const clubs = result?.intent === "test" && result.ok ? (result.clubs ?? []) : [];
  // Polaris buttons carry no name/value, so the clicked button sets the intent.
  const intentRef = useRef<HTMLInputElement>(null);
  const setIntent = (value: string) => () => {
    if (intentRef.current) intentRef.current.value = value;
  };

  return (
    <Page>
      <TitleBar title="Settings" />
      <Layout>
        <Layout.Section>
          <Form method="post">
            <input ref={intentRef} type="hidden" name="intent" defaultValue="save" />
            <Card>
              <BlockStack gap="400">
                {result?.intent === "save" && result.ok && (
                  <Banner tone="success" title="Settings saved.">
                    {result.switched && (
                      <p data-testid="switch-result">
                        {`Switched to ${PLATFORM_NAMES[result.switched.to as Platform]}: ${members(result.switched.members)} moving through the sync queue.`}
                      </p>
                    )}
                  </Banner>
                )}
                {result?.intent === "test" && (
                  <Banner tone={result.ok ? "success" : "critical"} title={result.ok ? "Connected to Commerce7" : "Connection failed"}>
                    <p data-testid="connection-result">{result.ok ? `Found ${clubs.length} club(s).` : result.message}</p>
                  </Banner>
                )}
                {result?.intent === "email" && (
                  <Banner tone={result.ok ? "success" : "critical"} title={result.ok ? "Test email sent" : "Test email not sent"}>
                    <p data-testid="email-result">{result.message}</p>
                  </Banner>
                )}
                <Select
                  label="Membership platform (CRM)"
                  name="crm"
                  options={[
                    { label: "Shopify (customer tags, metafield and member discount)", value: "shopify" },
                    { label: "Commerce7 (club memberships)", value: "commerce7" },
                  ]}
                  value={crm}
                  onChange={setCrm}
                  error={errors.crm}
                />
                {crm !== settings.crm && <SwitchNotice preview={switchPreview} />}
                <Select
                  label="Count orders toward tiers"
                  name="countOrdersWhen"
                  options={[
                    { label: "When paid (default)", value: "paid" },
                    { label: "When created", value: "created" },
                  ]}
                  value={countWhen}
                  onChange={setCountWhen}
                  helpText="When an order's spend starts to count for renewals and upgrades. When paid: an order awaiting payment counts once Shopify marks it paid, and a voided one never does."
                  error={errors.countOrdersWhen}
                />
                {commerce7 && (
                  <FormLayout>
                    <Text as="h2" variant="headingMd">
                      Commerce7
                    </Text>
                    <TextField label="Tenant" name="c7Tenant" value={tenant} onChange={setTenant} autoComplete="off" error={errors.c7Tenant} />
                    <TextField label="App id" name="c7AppId" value={appId} onChange={setAppId} autoComplete="off" error={errors.c7AppId} />
                    <TextField
                      label="App secret"
                      name="c7AppSecret"
                      type="password"
                      value={secret}
                      onChange={setSecret}
                      autoComplete="new-password"
                      helpText={settings.c7CredentialsConfigured ? "A secret is stored (encrypted). Leave empty to keep it." : "Stored encrypted; never shown again."}
                      error={errors.c7AppSecret}
                    />
                    <TextField
                      label="Commerce7 requests per minute"
                      name="c7RequestsPerMinute"
                      type="number"
                      value={pace}
                      onChange={setPace}
                      autoComplete="off"
                      helpText="Our pace for your tenant, counting every request (Commerce7 documents 100 per minute per tenant)."
                      error={errors.c7RequestsPerMinute}
                    />
                  </FormLayout>
                )}
                <FormLayout>
                  <TextField
                    label="Alert email (permanent sync failures)"
                    name="alertEmail"
                    type="email"
                    value={alertEmail}
                    onChange={setAlertEmail}
                    autoComplete="email"
                    helpText={
                      emailAlerts
                        ? "One email lists every sync that failed for good, with the reason and a link to retry."
                        : "Email is not set up on this server (SMTP_URL): failures show on the Sync queue page only."
                    }
                    error={errors.alertEmail}
                  />
                  <TextField
                    label="Message to members whose membership ended"
                    name="memberEndedMessage"
                    value={endedMessage}
                    onChange={setEndedMessage}
                    autoComplete="off"
                    multiline={2}
                    maxLength={MAX_ENDED_MESSAGE}
                    showCharacterCount
                    helpText="Shown in their customer account under “Your membership expired” or “was cancelled”, e.g. how to rejoin. Leave it empty for none."
                    error={errors.memberEndedMessage}
                  />
                  {settings.crm === "shopify" && (
                    <TextField
                      label="Expiring soon, days before expiry"
                      name="flowExpiringSoonDays"
                      type="number"
                      min={1}
                      max={90}
                      value={soonDays}
                      onChange={setSoonDays}
                      autoComplete="off"
                      helpText="When the Shopify Flow trigger “Membership expiring soon” fires for a member, once per membership term (1 to 90 days)."
                      error={errors.flowExpiringSoonDays}
                    />
                  )}
                </FormLayout>
                <InlineStack gap="200">
                  <Button submit variant="primary" loading={busy} onClick={setIntent("save")}>
                    {crm !== settings.crm ? `Save and switch to ${PLATFORM_NAMES[crm as Platform]}` : "Save"}
                  </Button>
                  {commerce7 && (
                    <Button submit loading={busy} onClick={setIntent("test")}>
                      Test connection
                    </Button>
                  )}
                  <Button submit loading={busy} onClick={setIntent("email")}>
                    Send a test email
                  </Button>
                </InlineStack>
              </BlockStack>
            </Card>
          </Form>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">
                Shop clock and currency
              </Text>
              <Text as="p">
                <span data-testid="shop-context">{`Time zone: ${settings.timezone} · Currency: ${settings.currency}`}</span>
              </Text>
              <Text as="p" tone="subdued">
                From your Shopify settings (read at install and whenever they change there). Membership dates follow this time zone; amounts are in this currency.
              </Text>
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <OrderHistoryCard backfill={backfill} busy={busy} />
        </Layout.Section>
        {commerce7 && (
          <Layout.Section>
            <Commerce7Webhook webhook={c7.webhook} result={result?.intent === "c7-webhook" ? result : undefined} />
          </Layout.Section>
        )}
        {/* The history is read with the saved credentials: shown once Commerce7 is the saved platform. */}
        {settings.crm === "commerce7" && (
          <Layout.Section>
            <Commerce7HistoryCard />
          </Layout.Section>
        )}
        {commerce7 && tiers.length > 0 && (
          <Layout.Section>
            <Form method="post">
              <input type="hidden" name="intent" value="map" />
              <Card>
                <BlockStack gap="300">
                  <Text as="h2" variant="headingMd">
                    Tier → Commerce7 club
                  </Text>
                  {result?.intent === "map" && <Banner tone="success">Club mapping saved.</Banner>}
                  {tiers.map((tier) => (
                    <ClubField key={tier.id} tier={tier} clubs={clubs} />
                  ))}
                  <InlineStack>
                    <Button submit>Save mapping</Button>
                  </InlineStack>
                </BlockStack>
              </Card>
            </Form>
          </Layout.Section>
        )}
      </Layout>
    </Page>
  );
}

/** The Commerce7 order webhook: its URL (with its key), rotation, and optional Basic auth. */
function Commerce7Webhook({ webhook, result }: { webhook: { url: string | null; username: string | null }; result?: { ok: boolean; error?: string } }) {
  const [username, setUsername] = useState(webhook.username ?? "");
  const [password, setPassword] = useState("");
  return (
    <Card>
      <BlockStack gap="300">
        <Text as="h2" variant="headingMd">
          Commerce7 orders (spend)
        </Text>
        {result && <Banner tone={result.ok ? "success" : "critical"}>{result.ok ? "Order webhook saved." : result.error}</Banner>}
        <Text as="p">
          In Commerce7 (Developer › Web Hooks), add a web hook for Order Create and one for Order Update with this URL. Anyone with the URL can send orders: rotate it if it leaks (the old one stops working; missed orders are read back from Commerce7&apos;s web hook log).
        </Text>
        <Text as="p" breakWord>
          <span data-testid="c7-webhook-url">{webhook.url ?? "No URL yet."}</span>
        </Text>
        <Form method="post">
          <input type="hidden" name="intent" value="c7-webhook-rotate" />
          <Button submit>{webhook.url ? "Rotate URL" : "Create URL"}</Button>
        </Form>
        <Form method="post">
          <input type="hidden" name="intent" value="c7-webhook-auth" />
          <FormLayout>
            <TextField label="Basic auth username (optional)" name="c7WebhookUsername" value={username} onChange={setUsername} autoComplete="off" />
            <TextField
              label="Basic auth password"
              name="c7WebhookPassword"
              type="password"
              value={password}
              onChange={setPassword}
              autoComplete="new-password"
              helpText={webhook.username ? "Required on every delivery. Enter it again to keep it; clear both fields to remove it." : "If you set Basic auth on the web hook in Commerce7, enter the same here."}
            />
            <Button submit>Save Basic auth</Button>
          </FormLayout>
        </Form>
      </BlockStack>
    </Card>
  );
}

const members = (n: number) => `${n} active member${n === 1 ? "" : "s"}`;

/** What saving with the other platform chosen will do, before the merchant saves (platform-switch.server.ts). */
function SwitchNotice({ preview }: { preview: ReturnType<typeof useLoaderData<typeof loader>>["switchPreview"] }) {
  const [from, to] = [PLATFORM_NAMES[preview.from], PLATFORM_NAMES[preview.to]];
  const leaves = preview.from === "shopify" ? "their Club Tiers tags and metafield are removed from Shopify" : "their club membership in Commerce7 is cancelled";
  const joins = preview.to === "commerce7" ? "a club membership is added in Commerce7 (their tier's club)" : "they get their tier's tag, metafield and member discount on Shopify";
  return (
    <Banner tone={preview.refusal ? "critical" : "warning"} title={`Switching from ${from} to ${to}`}>
      <BlockStack gap="200">
        <p data-testid="switch-preview">
          {preview.activeMembers === 0
            ? `No active members: nothing moves.`
            : `${members(preview.activeMembers)}: their benefits move. For each one, ${leaves}, and ${joins}. This goes through the sync queue, paced like every sync; the Sync queue page shows its progress.`}
        </p>
        {preview.refusal && <p>{preview.refusal}</p>}
      </BlockStack>
    </Banner>
  );
}

function ClubField({ tier, clubs }: { tier: { id: string; name: string; c7ClubId: string | null }; clubs: Club[] }) {
  const [value, setValue] = useState(tier.c7ClubId ?? "");
  if (clubs.length) {
    return (
      <Select
        label={tier.name}
        name={`club:${tier.id}`}
        options={[{ label: "Not mapped", value: "" }, ...clubs.map((c) => ({ label: c.title, value: c.id }))]}
        value={value}
        onChange={setValue}
      />
    );
  }
  return (
    <TextField
      label={`${tier.name} — Commerce7 club id`}
      name={`club:${tier.id}`}
      value={value}
      onChange={setValue}
      autoComplete="off"
      helpText="Test the connection to pick from your clubs."
    />
  );
}
