import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useNavigation, useSearchParams, useSubmit } from "@remix-run/react";
import { Badge, Banner, BlockStack, Box, Button, Card, InlineStack, Layout, Page, Select, Text, TextField } from "@shopify/polaris";
import { Modal, TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import { useEffect, useState } from "react";
import prisma from "~/db.server";
import { cancelMembership, changeTier } from "~/domain/enrollments.server";
import { memberDetail } from "~/domain/members.server";
import { ACTION_LABELS, type QueueAction } from "~/queue/types";
import { formatCents } from "~/domain/money";
import { authenticate } from "~/shopify.server";

export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const detail = await memberDetail(prisma, session.shop, params.id ?? "");
  if (!detail) throw new Response("Member not found", { status: 404 });
  const { enrollment, history, items, spendCents, tiers, current, purchases } = detail;
  return {
    member: {
      id: enrollment.id,
      name: `${enrollment.customer.firstName} ${enrollment.customer.lastName}`.trim() || enrollment.customer.email,
      email: enrollment.customer.email,
      tier: enrollment.tier.name,
      tierId: enrollment.tierId,
      status: enrollment.status,
      syncState: enrollment.syncState,
      expiresAt: enrollment.expiresAt.toISOString().slice(0, 10),
      spend: formatCents(spendCents),
    },
    history: history.map((h) => ({ id: h.id, tier: h.tier.name, status: h.status, startedAt: h.startedAt.toISOString().slice(0, 10), endedAt: h.endedAt?.toISOString().slice(0, 10) ?? null, endReason: h.endReason })),
    syncs: items.map((q) => ({
      id: q.id,
      action: ACTION_LABELS[q.actionType as QueueAction] ?? q.actionType,
      status: q.status,
      lastError: q.lastError,
      attempts: q.attemptsLog.map((a) => ({ at: a.startedAt.toISOString(), outcome: a.outcome, error: a.error, httpStatus: a.httpStatus })),
    })),
    tiers,
    current,
    purchases: purchases.map((p) => ({
      order: p.orderId.split("/").pop() ?? p.orderId,
      at: p.occurredAt.toISOString().slice(0, 10),
      amount: formatCents(p.amountCents, p.currency),
      refunded: p.refundedCents > 0 ? formatCents(p.refundedCents, p.currency) : null,
    })),
  };
};

export const action = async ({ request, params }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const form = await request.formData();
  const id = params.id ?? "";
  if (form.get("intent") === "cancel") {
    const r = await cancelMembership(prisma, session.shop, id, { reason: String(form.get("reason") ?? "") });
    return { ok: r.ok, message: r.message, movedTo: null };
  }
  if (form.get("intent") === "change-tier") {
    const r = await changeTier(prisma, session.shop, id, String(form.get("tierId") ?? ""));
    return r.ok ? { ok: true, message: "Tier changed — sync queued", movedTo: r.enrollmentId } : { ok: false, message: r.message, movedTo: null };
  }
  return { ok: false, message: "Unknown action", movedTo: null };
};

const tone = { synced: "success", pending: "attention", failed: "critical", completed: "success", processing: "info", cancelled: undefined } as const;

export default function Member() {
  const { member, history, syncs, tiers, current, purchases } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const busy = useNavigation().state !== "idle";
  const [cancelOpen, setCancelOpen] = useState(false);
  const [tierOpen, setTierOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [newTier, setNewTier] = useState(tiers[0]?.id ?? "");
  const flash = params.get("synced") ?? (result?.ok ? result.message : null);
  const submit = useSubmit();
  const shopify = useAppBridge();
  useEffect(() => {
    if (flash) shopify?.toast?.show(flash);
  }, [flash, shopify]);

  return (
    <Page>
      <TitleBar title={member.name}>
        <Link to="/app/members" variant="breadcrumb">
          Members
        </Link>
      </TitleBar>
      <Layout>
        <Layout.Section>
          <BlockStack gap="400">
            {flash && (
              <Banner tone={/queued/i.test(flash) ? "info" : "success"}>
                <p data-testid="sync-banner">{flash}</p>
              </Banner>
            )}
            {result && !result.ok && <Banner tone="critical">{result.message}</Banner>}
            {result?.movedTo && (
              <Banner tone="success">
                <Link to={`/app/members/${result.movedTo}`}>Open the new membership</Link>
              </Banner>
            )}
            {current && (
              <Banner tone="info" title={`This membership has ended; the member is now in ${current.tier}.`}>
                <Link to={`/app/members/${current.id}`}>Open the current membership</Link>
              </Banner>
            )}
            <Card>
              <BlockStack gap="200">
                <InlineStack gap="200">
                  <Text as="h2" variant="headingMd">
                    <span data-testid="member-tier">{member.tier}</span>
                  </Text>
                  <Badge>{member.status}</Badge>
                  <Badge tone={tone[member.syncState as keyof typeof tone]}>{`sync: ${member.syncState}`}</Badge>
                </InlineStack>
                <Text as="p">{member.email}</Text>
                <Text as="p">Expires {member.expiresAt}</Text>
                <Text as="p">Recorded spend (12 months): {member.spend}</Text>
                {member.status === "active" && (
                  <InlineStack gap="200">
                    <Button onClick={() => setTierOpen(true)} disabled={tiers.length === 0}>
                      Change tier
                    </Button>
                    <Button tone="critical" onClick={() => setCancelOpen(true)}>
                      Cancel membership
                    </Button>
                  </InlineStack>
                )}
              </BlockStack>
            </Card>
            <Card>
              <BlockStack gap="200">
                <Text as="h2" variant="headingMd">
                  Purchases
                </Text>
                {purchases.length === 0 && <Text as="p" tone="subdued">No orders recorded yet.</Text>}
                {purchases.map((p) => (
                  <Text as="p" key={p.order}>
                    {p.at}: order {p.order}, {p.amount}
                    {p.refunded ? ` (${p.refunded} refunded)` : ""}
                  </Text>
                ))}
              </BlockStack>
            </Card>
            <Card>
              <BlockStack gap="200">
                <Text as="h2" variant="headingMd">
                  History
                </Text>
                {history.map((h) => (
                  <Text as="p" key={h.id}>
                    {h.startedAt}: enrolled in {h.tier} — {h.status}
                    {h.endedAt ? ` on ${h.endedAt}${h.endReason ? ` (${h.endReason})` : ""}` : ""}
                  </Text>
                ))}
              </BlockStack>
            </Card>
            <Card>
              <BlockStack gap="200">
                <Text as="h2" variant="headingMd">
                  Platform sync
                </Text>
                {syncs.map((s) => (
                  <BlockStack key={s.id} gap="100">
                    <InlineStack gap="200">
                      <Text as="span" fontWeight="semibold">
                        {s.action}
                      </Text>
                      <Badge tone={tone[s.status as keyof typeof tone]}>{s.status}</Badge>
                    </InlineStack>
                    {s.attempts.map((a, i) => (
                      <Text as="p" tone="subdued" key={i}>
                        {a.at.replace("T", " ").slice(0, 19)} — {a.outcome}
                        {a.httpStatus ? ` (HTTP ${a.httpStatus})` : ""}
                        {a.error ? `: ${a.error}` : ""}
                      </Text>
                    ))}
                  </BlockStack>
                ))}
              </BlockStack>
            </Card>
          </BlockStack>
        </Layout.Section>
      </Layout>

      {/* App Bridge modals: the admin draws them over the whole page, with the
          title bar's buttons as the modal's footer. */}
      <Modal id="cancel-membership" open={cancelOpen} onHide={() => setCancelOpen(false)}>
        <Box padding="400">
          <BlockStack gap="300">
            <Text as="p">The membership ends now and the platform is updated through the sync queue.</Text>
            <TextField label="Reason" value={reason} onChange={setReason} autoComplete="off" />
          </BlockStack>
        </Box>
        <TitleBar title="Cancel this membership?">
          <button
            variant="primary"
            tone="critical"
            disabled={busy}
            onClick={() => {
              submit({ intent: "cancel", reason }, { method: "post" });
              setCancelOpen(false);
            }}
          >
            Cancel membership
          </button>
          <button onClick={() => setCancelOpen(false)}>Keep it</button>
        </TitleBar>
      </Modal>

      <Modal id="change-tier" open={tierOpen} onHide={() => setTierOpen(false)}>
        <Box padding="400">
          <Select label="New tier" value={newTier} onChange={setNewTier} options={tiers.map((t) => ({ label: t.name, value: t.id }))} />
        </Box>
        <TitleBar title="Change tier">
          <button
            variant="primary"
            disabled={busy || !newTier}
            onClick={() => {
              submit({ intent: "change-tier", tierId: newTier }, { method: "post" });
              setTierOpen(false);
            }}
          >
            Change tier
          </button>
          <button onClick={() => setTierOpen(false)}>Cancel</button>
        </TitleBar>
      </Modal>
    </Page>
  );
}
