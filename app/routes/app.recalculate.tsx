import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useLoaderData, useNavigation } from "@remix-run/react";
import { Badge, Banner, BlockStack, Button, Card, InlineStack, Layout, List, Page, ProgressBar, Text } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import prisma from "~/db.server";
import { applyRecalculation, previewRecalculation, RECALC_REASONS, recalculationView, type RecalcReason } from "~/domain/recalculation.server";
import { useLiveRefresh } from "~/components/live-refresh";
import { authenticate } from "~/shopify.server";

// Recalculate, with a dry-run preview (ADR 0023): what applying the tier
// rules to every active member would do, then "Apply" as queued work.
// Reached after a backfill (Settings), an import, or a tier edit (the tier page).

const reasonOf = (value: string | null): RecalcReason => (RECALC_REASONS as readonly string[]).includes(value ?? "") ? (value as RecalcReason) : "settings";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const reason = reasonOf(new URL(request.url).searchParams.get("reason"));
  return { reason, recalc: await recalculationView(prisma, session.shop) };
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "");
  if (intent === "preview") {
    await previewRecalculation(prisma, session.shop, reasonOf(String(form.get("reason") ?? "")));
    return redirect("/app/recalculate");
  }
  if (intent === "apply") {
    const result = await applyRecalculation(prisma, session.shop, String(form.get("id") ?? ""));
    if (!result.ok) return { error: result.message };
    return redirect("/app/recalculate");
  }
  return { error: "Unknown action." };
};

const n = (x: number) => x.toLocaleString("en-US");
const members = (x: number) => `${n(x)} member${x === 1 ? "" : "s"}`;

export default function Recalculate() {
  const { reason, recalc: r } = useLoaderData<typeof loader>();
  const busy = useNavigation().state !== "idle";
  const applying = r?.status === "applying";
  useLiveRefresh(applying, 1_000);

  return (
    <Page>
      <TitleBar title="Recalculate tiers">
        <Link to="/app/settings" variant="breadcrumb">
          Settings
        </Link>
      </TitleBar>
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="p">
                Applies the tier rules to every active member as a new order would: members whose spend over the last 12 months reaches a higher tier are upgraded, members who meet their tier are renewed from their latest order. Nobody is moved down. Nothing changes until you apply.
              </Text>
              <Form method="post">
                <input type="hidden" name="intent" value="preview" />
                <input type="hidden" name="reason" value={reason} />
                <Button submit loading={busy} disabled={applying}>
                  {r ? "Preview again" : "Preview changes"}
                </Button>
              </Form>
            </BlockStack>
          </Card>
        </Layout.Section>
        {r && (
          <Layout.Section>
            <Card>
              <BlockStack gap="300">
                <InlineStack gap="200" blockAlign="center">
                  <Text as="h2" variant="headingMd">
                    {r.status === "previewed" ? "If you apply now" : r.status === "applying" ? "Applying" : "Applied"}
                  </Text>
                  <span data-testid="recalc-status">
                    <Badge tone={r.status === "completed" ? "success" : r.status === "applying" ? "attention" : "info"}>{r.status === "previewed" ? "preview" : r.status === "applying" ? "applying" : "done"}</Badge>
                  </span>
                </InlineStack>
                <List>
                  <List.Item>
                    <span data-testid="recalc-upgrades">{`${members(r.upgrades)} upgraded`}</span>
                    {r.summary.transitions.length > 0 && (
                      <List>
                        {r.summary.transitions.map((t) => (
                          <List.Item key={`${t.from}-${t.to}`}>{`${t.from} → ${t.to}: ${n(t.count)}`}</List.Item>
                        ))}
                      </List>
                    )}
                  </List.Item>
                  <List.Item>
                    <span data-testid="recalc-renewals">{`${members(r.renewals)} renewed`}</span>
                  </List.Item>
                  <List.Item>
                    <span data-testid="recalc-keeps">{`${members(r.keeps)} below their tier's threshold, who keep their tier`}</span>
                  </List.Item>
                </List>
                <Sample title="Upgraded" names={r.summary.samples.upgrade.map((u) => `${u.name} (${u.from} → ${u.to})`)} testId="sample-upgrades" />
                <Sample title="Renewed" names={r.summary.samples.renewal} testId="sample-renewals" />
                <Sample title="Keep their tier" names={r.summary.samples.keep} testId="sample-keeps" />
                {r.summary.grace && r.summary.grace.count > 0 && (
                  <BlockStack gap="100">
                    <Text as="h3" variant="headingSm">
                      <span data-testid="recalc-grace">{`${members(r.summary.grace.count)} in a grace period`}</span>
                    </Text>
                    <Text as="p" tone="subdued">
                      {`At their grace period's end, on today's spend: ${[...r.summary.grace.stepDown.map((t) => `${t.from} → ${t.to}: ${n(t.count)}`), `${n(r.summary.grace.expire)} expire`].join("; ")}. The expiry job does this then; Apply does not.`}
                    </Text>
                    <Sample title="In grace" names={r.summary.grace.sample.map((g) => `${g.name} (${g.outcome})`)} testId="sample-grace" />
                  </BlockStack>
                )}
                {r.status === "previewed" && (
                  <Form method="post">
                    <input type="hidden" name="intent" value="apply" />
                    <input type="hidden" name="id" value={r.id} />
                    <Button submit variant="primary" loading={busy} disabled={r.upgrades + r.renewals === 0}>
                      {r.upgrades + r.renewals === 0 ? "Nothing to apply" : `Apply to ${members(r.upgrades + r.renewals)}`}
                    </Button>
                  </Form>
                )}
                {r.status !== "previewed" && (
                  <BlockStack gap="100">
                    <ProgressBar progress={r.members ? Math.min(100, Math.round((r.processed / r.members) * 100)) : 100} tone={r.status === "completed" ? "success" : "highlight"} />
                    <Text as="p">
                      <span data-testid="recalc-progress">{`${n(r.processed)} of ${members(r.members)} done: ${n(r.appliedUpgrades)} upgraded, ${n(r.appliedRenewals)} renewed`}</span>
                    </Text>
                  </BlockStack>
                )}
                {r.status === "completed" && (
                  <Banner tone="success" title="Tier rules applied">
                    <p>The members&apos; new memberships reach the platform through the sync queue.</p>
                  </Banner>
                )}
              </BlockStack>
            </Card>
          </Layout.Section>
        )}
      </Layout>
    </Page>
  );
}

function Sample({ title, names, testId }: { title: string; names: string[]; testId: string }) {
  if (!names.length) return null;
  return (
    <BlockStack gap="100">
      <Text as="h3" variant="headingSm">
        {`${title} (for example)`}
      </Text>
      <Text as="p">
        <span data-testid={testId}>{names.join(", ")}</span>
      </Text>
    </BlockStack>
  );
}
