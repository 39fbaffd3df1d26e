import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useNavigation, useSearchParams, useSubmit } from "@remix-run/react";
import { Badge, Banner, BlockStack, Box, Button, Card, InlineStack, Layout, Page, Select, Text, TextField } from "@shopify/polaris";
import { Modal, TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import { useEffect, useState } from "react";
import prisma from "~/db.server";
import { cancelMembership, changeTier } from "~/domain/enrollments.server";
import { memberDetail } from "~/domain/members.server";
import { statusLabel } from "~/domain/membership-status";
import { staffLabel, staffUserId } from "~/domain/staff";
import { discard, retryNow } from "~/queue/manual.server";
import { ACTION_LABELS, type QueueAction } from "~/queue/types";
import { memberSyncMessage } from "~/queue/reasons";
import { useLiveRefresh } from "~/components/live-refresh";
import { localDate, localDateTime } from "~/domain/dates";
import { formatMoney } from "~/domain/money";
import { shopContext } from "~/domain/shops.server";
import { authenticate } from "~/shopify.server";

/** Where the member is on their platform, opened in the admin (App Bridge navigates `shopify://admin/…`). */
function shopifyAdminUrl(gid: string | null, kind: "customers" | "orders") {
  const id = gid?.match(/^gid:\/\/shopify\/(?:Customer|Order)\/(\d+)$/)?.[1];
  return id ? `shopify://admin/${kind}/${id}` : null;
}

export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const detail = await memberDetail(prisma, session.shop, params.id ?? "");
  if (!detail) throw new Response("Member not found", { status: 404 });
  // An old link named an enrollment: the page is the member's now.
  if ("redirectTo" in detail) throw redirect(`/app/members/${detail.redirectTo}${new URL(request.url).search}`);
  const { enrollment, history, items, spendCents, tiers, purchases } = detail;
  const crm = (await prisma.shop.findUnique({ where: { domain: session.shop }, select: { crm: true } }))?.crm ?? "shopify";
  // Dates on the shop's calendar, money in its currency.
  const { timezone, currency } = await shopContext(prisma, session.shop);
  const day = (d: Date) => localDate(d, timezone);
  // Where the current membership stands on the platform: its latest item, as syncState was computed from it.
  const latest = items.filter((q) => q.enrollmentId === enrollment.id).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))[0] ?? null;
  const sync = memberSyncMessage(enrollment.syncState, latest, latest?.platform ?? crm, timezone);
  return {
    sync,
    member: {
      id: enrollment.customerId,
      enrollmentId: enrollment.id,
      name: `${enrollment.customer.firstName} ${enrollment.customer.lastName}`.trim() || enrollment.customer.email,
      email: enrollment.customer.email,
      tier: enrollment.tier.name,
      tierId: enrollment.tierId,
      status: enrollment.status,
      syncState: enrollment.syncState,
      expiresAt: day(enrollment.expiresAt),
      // In grace (ADR 0025): expired by date, tier and benefits kept until then.
      graceEndsAt: enrollment.status === "active" && enrollment.graceEndsAt ? day(enrollment.graceEndsAt) : null,
      spend: formatMoney(spendCents, currency),
      // Commerce7's admin has no documented deep link; its customer id is shown instead.
      adminUrl: crm === "shopify" ? shopifyAdminUrl(enrollment.customer.shopifyCustomerId, "customers") : null,
      commerce7CustomerId: crm === "commerce7" ? enrollment.customer.commerce7CustomerId : null,
    },
    // Every membership that ended (the current one too, once it has), with who ended it.
    history: history
      .filter((h) => h.id !== enrollment.id || h.status !== "active")
      .map((h) => ({
        id: h.id,
        tier: h.tier.name,
        status: statusLabel(h.status),
        startedAt: day(h.startedAt),
        endedAt: h.endedAt ? day(h.endedAt) : null,
        endReason: h.endReason,
        endedBy: staffLabel(h.endedBy),
      })),
    syncs: items.map((q) => ({
      id: q.id,
      action: ACTION_LABELS[q.actionType as QueueAction] ?? q.actionType,
      status: q.status,
      lastError: q.lastError,
      discardedBy: q.status === "cancelled" ? staffLabel(q.discardedBy) : null,
      discardReason: q.status === "cancelled" ? q.discardReason : null,
      attempts: q.attemptsLog.map((a) => ({ at: localDateTime(a.startedAt, timezone), outcome: a.outcome, error: a.error, httpStatus: a.httpStatus })),
    })),
    tiers,
    purchases: purchases.map((p) => ({
      order: p.orderId.split("/").pop() ?? p.orderId,
      url: shopifyAdminUrl(p.orderId, "orders"),
      at: day(p.occurredAt),
      amount: formatMoney(p.amountCents, p.currency),
      refunded: p.refundedCents > 0 ? formatMoney(p.refundedCents, p.currency) : null,
      // An order whose spend does not count (yet): unpaid, with Shopify's status (ADR 0019).
      notCounted: p.countedAt ? null : `not counted: ${(p.financialStatus ?? "unpaid").replace(/_/g, " ")}`,
    })),
  };
};

export const action = async ({ request, params }: ActionFunctionArgs) => {
  const { session, sessionToken } = await authenticate.admin(request);
  // Who is acting: recorded on the cancel, the tier change and the discard.
  const by = staffUserId(sessionToken);
  const form = await request.formData();
  const intent = form.get("intent");
  // The page is the member's (customer id); an older link may still name an enrollment.
  const byEnrollment = await prisma.enrollment.findFirst({ where: { id: params.id ?? "", shop: session.shop }, select: { customerId: true } });
  const customerId = byEnrollment?.customerId ?? params.id ?? "";
  if (intent === "retry") {
    // Only an item of this member (and shop): the page never acts on another's.
    const item = await prisma.crmSyncQueue.findFirst({ where: { id: String(form.get("queueId") ?? ""), shop: session.shop, customerId }, select: { id: true } });
    if (!item) return { ok: false, message: "This sync item is not this member's." };
    const r = await retryNow(prisma, session.shop, item.id);
    return { ok: r.ok, message: r.ok ? "Retry queued" : r.reason };
  }
  if (intent === "discard") {
    const item = await prisma.crmSyncQueue.findFirst({ where: { id: String(form.get("queueId") ?? ""), shop: session.shop, customerId }, select: { id: true } });
    if (!item) return { ok: false, message: "This sync item is not this member's." };
    const r = await discard(prisma, session.shop, item.id, { by, reason: "Discarded from the member page" });
    return { ok: r.ok, message: r.ok ? "Sync discarded" : r.reason };
  }
  // The membership acted on is the member's active one, read here, never one named by the browser.
  const active = await prisma.enrollment.findFirst({ where: { shop: session.shop, customerId, status: "active" }, select: { id: true } });
  if (!active) return { ok: false, message: "This member has no active membership." };
  if (intent === "cancel") {
    const r = await cancelMembership(prisma, session.shop, active.id, { reason: String(form.get("reason") ?? ""), by });
    return { ok: r.ok, message: r.message };
  }
  if (intent === "change-tier") {
    const r = await changeTier(prisma, session.shop, active.id, String(form.get("tierId") ?? ""), { by });
    return r.ok ? { ok: true, message: "Tier changed — sync queued" } : { ok: false, message: r.message };
  }
  return { ok: false, message: "Unknown action" };
};

const tone = { synced: "success", pending: "attention", failed: "critical", completed: "success", processing: "info", cancelled: undefined } as const;

export default function Member() {
  const { member, history, syncs, tiers, purchases, sync } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const busy = useNavigation().state !== "idle";
  const [cancelOpen, setCancelOpen] = useState(false);
  const [tierOpen, setTierOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [newTier, setNewTier] = useState(tiers[0]?.id ?? "");
  // The latest action speaks first. Otherwise the member's sync state does: shown while it is not
  // synced, and right after an enrollment (`enrolled` only says one just happened; what the page
  // says comes from the state, and follows it as the worker moves on).
  const justEnrolled = params.get("enrolled") === "1";
  const flash = result?.ok ? result.message : null;
  const state = !result && (justEnrolled || sync.tone !== "success") ? sync : null;
  const submit = useSubmit();
  const shopify = useAppBridge();
  useEffect(() => {
    if (flash) shopify?.toast?.show(flash);
  }, [flash, shopify]);
  useEffect(() => {
    if (justEnrolled && !result) shopify?.toast?.show(sync.text);
  }, [justEnrolled, result, sync.text, shopify]);
  // Live while the platform is being updated.
  useLiveRefresh(!sync.final);

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
            {state && (
              <Banner tone={state.tone}>
                <p data-testid="sync-banner">{state.text}</p>
              </Banner>
            )}
            {result && !result.ok && <Banner tone="critical">{result.message}</Banner>}
            <Card>
              <BlockStack gap="200">
                <InlineStack gap="200">
                  <Text as="h2" variant="headingMd">
                    <span data-testid="member-tier">{member.tier}</span>
                  </Text>
                  <Badge>{statusLabel(member.status)}</Badge>
                  {member.graceEndsAt && <Badge tone="warning">in grace</Badge>}
                  <Badge tone={tone[member.syncState as keyof typeof tone]}>{`sync: ${member.syncState}`}</Badge>
                </InlineStack>
                <Text as="p" breakWord>
                  {member.email}
                </Text>
                {member.adminUrl && (
                  <Text as="p">
                    <a href={member.adminUrl} target="_top">
                      Open the customer in Shopify
                    </a>
                  </Text>
                )}
                {member.commerce7CustomerId && (
                  <Text as="p" tone="subdued">
                    {`Commerce7 customer id: ${member.commerce7CustomerId}`}
                  </Text>
                )}
                {member.graceEndsAt ? (
                  <Text as="p">{`Expired ${member.expiresAt}; in grace until ${member.graceEndsAt} (keeps the tier and its discount; an order that meets the renewal rule renews it from ${member.expiresAt})`}</Text>
                ) : (
                  <Text as="p">Expires {member.expiresAt}</Text>
                )}
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
                    {p.at}: order{" "}
                    {p.url ? (
                      <a href={p.url} target="_top">
                        {p.order}
                      </a>
                    ) : (
                      p.order
                    )}
                    , {p.amount}
                    {p.refunded ? ` (${p.refunded} refunded)` : ""}
                    {p.notCounted ? ` (${p.notCounted})` : ""}
                  </Text>
                ))}
              </BlockStack>
            </Card>
            <Card>
              <BlockStack gap="200">
                <Text as="h2" variant="headingMd">
                  History
                </Text>
                {history.length === 0 && (
                  <Text as="p" tone="subdued">
                    No earlier memberships.
                  </Text>
                )}
                {history.map((h) => (
                  <Text as="p" key={h.id}>
                    {h.startedAt}: enrolled in {h.tier} — {h.status}
                    {h.endedAt ? ` on ${h.endedAt}${h.endReason ? ` (${h.endReason})` : ""}` : ""}
                    {h.endedBy ? ` by ${h.endedBy}` : ""}
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
                      <span data-testid="sync-status" data-status={s.status}>
                        <Badge tone={tone[s.status as keyof typeof tone]}>{s.status}</Badge>
                      </span>
                      {s.status === "failed" && (
                        <>
                          <Button size="slim" onClick={() => submit({ intent: "retry", queueId: s.id }, { method: "post" })} accessibilityLabel={`Retry ${s.action}`} loading={busy}>
                            Retry
                          </Button>
                          <Button
                            size="slim"
                            tone="critical"
                            onClick={() => submit({ intent: "discard", queueId: s.id }, { method: "post" })}
                            accessibilityLabel={`Discard ${s.action}`}
                            loading={busy}
                          >
                            Discard
                          </Button>
                        </>
                      )}
                    </InlineStack>
                    {s.discardReason && (
                      <Text as="p" tone="subdued">
                        {`Discarded${s.discardedBy ? ` by ${s.discardedBy}` : ""}: ${s.discardReason}`}
                      </Text>
                    )}
                    {s.attempts.map((a, i) => (
                      <Text as="p" tone="subdued" key={i}>
                        {a.at} — {a.outcome}
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
