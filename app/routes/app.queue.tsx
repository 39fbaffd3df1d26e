// The sync queue screen: the shop's sync items in a Polaris IndexTable with
// IndexFilters. Tabs by status with their counts; filters (type, action,
// platform, the day queued) and a member search apply as they are chosen and
// live in the URL; bulk retry and discard on the selection; "Retry all
// failed" from the title bar, confirmed with the count. While anything is
// pending or running, the list refreshes itself (revalidation, no reload).
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import {
  Badge,
  Banner,
  BlockStack,
  Box,
  Card,
  ChoiceList,
  EmptySearchResult,
  EmptyState,
  IndexFilters,
  IndexTable,
  InlineStack,
  Layout,
  Link,
  Page,
  Text,
  TextField,
} from "@shopify/polaris";
import type { IndexFiltersProps } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import { useState } from "react";
import { z } from "zod";
import prisma from "~/db.server";
import { ConfirmModal, leftAlone, plural, useBulkActions, useIndexListState, useListSelection } from "~/components/index-list";
import { useLiveRefresh } from "~/components/live-refresh";
import { noteTooLong } from "~/domain/bounds";
import { zoneName } from "~/domain/dates";
import { shopContext } from "~/domain/shops.server";
import { staffUserId } from "~/domain/staff";
import { countsByStatus, listSyncItems, parseSyncListParams } from "~/domain/sync-items.server";
import { discard, discardMany, retryAllFailed, retryMany, retryNow } from "~/queue/manual.server";
import { ACTIONS, ACTION_LABELS, PLATFORMS, PLATFORM_LABELS } from "~/queue/types";
import { authenticate } from "~/shopify.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const query = parseSyncListParams(new URL(request.url).searchParams);
  const { timezone } = await shopContext(prisma, session.shop);
  const [list, counts, shop] = await Promise.all([
    listSyncItems(prisma, session.shop, query, { timeZone: timezone }),
    countsByStatus(prisma, session.shop),
    prisma.shop.findUnique({ where: { domain: session.shop }, select: { alertEmail: true } }),
  ]);
  return { ...list, counts, status: query.status ?? "", alertEmail: shop?.alertEmail ?? null, zone: zoneName(timezone) };
};

// The selection as the page posts it: ids of this shop's items (checked
// against the database by the bulk operations), a page's worth at most.
const bulkInput = z.object({
  ids: z.array(z.string().min(1, "That is not a sync item id.").max(100, "That is not a sync item id.")).min(1, "Select at least one sync item.").max(250, "Select at most 250 sync items at a time."),
});

export type QueueActionResult = { ok: true; message?: string; retried?: number } | { ok: false; reason: string };

export const action = async ({ request }: ActionFunctionArgs): Promise<QueueActionResult> => {
  const { session, sessionToken } = await authenticate.admin(request);
  const form = await request.formData();
  const intent = String(form.get("intent"));
  // The staff user from the session token (sessions are offline: no user on them).
  const by = staffUserId(sessionToken);
  const reasonOf = () => String(form.get("reason") ?? "").trim() || "Discarded from the queue screen";

  // One item (the detail page, older links): its own guarded operation.
  const id = form.get("id");
  if (id !== null && (intent === "retry" || intent === "discard")) {
    if (intent === "retry") return retryNow(prisma, session.shop, String(id));
    const reason = reasonOf();
    const tooLong = noteTooLong(reason);
    if (tooLong) return { ok: false, reason: tooLong };
    return discard(prisma, session.shop, String(id), { by, reason });
  }

  if (intent === "retry" || intent === "discard") {
    const parsed = bulkInput.safeParse({ ids: form.getAll("ids").map(String) });
    if (!parsed.success) return { ok: false, reason: parsed.error.issues[0]?.message ?? "Select sync items first." };
    const { ids } = parsed.data;
    if (intent === "retry") {
      const r = await retryMany(prisma, session.shop, ids);
      return r.ok ? { ok: true, message: bulkMessage("queued to run now", r.changed, r.skipped) } : r;
    }
    const reason = reasonOf();
    const tooLong = noteTooLong(reason);
    if (tooLong) return { ok: false, reason: tooLong };
    const r = await discardMany(prisma, session.shop, ids, { by, reason });
    return r.ok ? { ok: true, message: bulkMessage("discarded", r.changed, r.skipped) } : r;
  }
  if (intent === "retry-all") {
    const retried = await retryAllFailed(prisma, session.shop);
    return { ok: true, retried, message: `${plural(retried, "failed item")} queued to run now` };
  }
  return { ok: false, reason: "Unknown action" };
};

const STATUS_WORDS: Record<string, string> = { pending: "waiting", processing: "running", completed: "completed", failed: "failed", cancelled: "discarded" };

function bulkMessage(done: string, changed: number, skipped: { status: string }[]) {
  return `${plural(changed, "item")} ${done}${leftAlone(skipped, STATUS_WORDS)}`;
}

// The tabs: every status, with the shop's count of each.
const TABS = [
  { id: "all", status: "", label: "All" },
  { id: "pending", status: "pending", label: "Pending" },
  { id: "processing", status: "processing", label: "Running" },
  { id: "failed", status: "failed", label: "Failed" },
  { id: "completed", status: "completed", label: "Completed" },
  { id: "cancelled", status: "cancelled", label: "Discarded" },
] as const;

const STATUS_BADGE: Record<string, { tone?: "attention" | "info" | "critical" | "success"; label: string; progress?: "incomplete" | "partiallyComplete" | "complete" }> = {
  pending: { tone: "attention", label: "Pending", progress: "incomplete" },
  processing: { tone: "info", label: "Running", progress: "partiallyComplete" },
  failed: { tone: "critical", label: "Failed" },
  completed: { tone: "success", label: "Completed", progress: "complete" },
  cancelled: { label: "Discarded" },
};

const RANGE_LABELS: Record<string, string> = { today: "Today", "7d": "Last 7 days", "30d": "Last 30 days", custom: "Custom range" };
const KIND_LABELS: Record<string, string> = { membership: "Membership work", internal: "Internal: alerts, data requests, upkeep" };

// What the filters change in the URL; a new filter starts from the newest page.
const FILTER_KEYS = ["kind", "action", "platform", "range", "from", "to"] as const;

export default function Queue() {
  const { items, counts, status, alertEmail, nextCursor, prevCursor, zone } = useLoaderData<typeof loader>();
  const { params, update, list, setList, setOne, filterProps, pagination, loading } = useIndexListState("/app/queue", FILTER_KEYS);

  // Live while anything may still change by itself.
  useLiveRefresh(counts.pending + counts.processing > 0);

  const range = params.get("range") ?? "";

  const filters: IndexFiltersProps["filters"] = [
    {
      key: "kind",
      label: "Type",
      filter: (
        <ChoiceList
          title="Type"
          titleHidden
          choices={Object.entries(KIND_LABELS).map(([value, label]) => ({ value, label }))}
          selected={list("kind")}
          onChange={(v) => setOne("kind", v[0] ?? null)}
        />
      ),
      pinned: true,
    },
    {
      key: "action",
      label: "Action",
      filter: (
        <ChoiceList
          title="Action"
          titleHidden
          allowMultiple
          choices={ACTIONS.map((a) => ({ value: a, label: ACTION_LABELS[a] }))}
          selected={list("action")}
          onChange={(v) => setList("action", v)}
        />
      ),
      pinned: true,
    },
    {
      key: "platform",
      label: "Platform",
      filter: (
        <ChoiceList
          title="Platform"
          titleHidden
          allowMultiple
          choices={PLATFORMS.map((p) => ({ value: p, label: PLATFORM_LABELS[p] }))}
          selected={list("platform")}
          onChange={(v) => setList("platform", v)}
        />
      ),
      pinned: true,
    },
    {
      key: "range",
      label: "Queued",
      filter: (
        <BlockStack gap="200">
          <ChoiceList
            title="Queued"
            titleHidden
            choices={Object.entries(RANGE_LABELS).map(([value, label]) => ({ value, label }))}
            selected={range ? [range] : []}
            onChange={(v) =>
              update((n) => {
                if (v[0]) n.set("range", v[0]);
                else n.delete("range");
                if (v[0] !== "custom") {
                  n.delete("from");
                  n.delete("to");
                }
              })
            }
          />
          {range === "custom" && (
            <InlineStack gap="200" wrap={false}>
              <TextField label="From" type="date" autoComplete="off" value={params.get("from") ?? ""} onChange={(v) => setOne("from", v)} />
              <TextField label="To" type="date" autoComplete="off" value={params.get("to") ?? ""} onChange={(v) => setOne("to", v)} />
            </InlineStack>
          )}
        </BlockStack>
      ),
      pinned: true,
    },
  ];

  const applied: IndexFiltersProps["appliedFilters"] = [];
  if (params.get("kind")) applied.push({ key: "kind", label: KIND_LABELS[params.get("kind")!] ?? params.get("kind")!, onRemove: () => setOne("kind", null) });
  if (list("action").length)
    applied.push({ key: "action", label: `Action: ${list("action").map((a) => ACTION_LABELS[a as keyof typeof ACTION_LABELS] ?? a).join(", ")}`, onRemove: () => setList("action", []) });
  if (list("platform").length)
    applied.push({ key: "platform", label: `Platform: ${list("platform").map((p) => PLATFORM_LABELS[p as keyof typeof PLATFORM_LABELS] ?? p).join(", ")}`, onRemove: () => setList("platform", []) });
  if (range) {
    const custom = range === "custom" ? ` ${params.get("from") || "…"} to ${params.get("to") || "…"}` : "";
    applied.push({ key: "range", label: `Queued: ${RANGE_LABELS[range] ?? range}${custom}`, onRemove: () => update((n) => ["range", "from", "to"].forEach((k) => n.delete(k))) });
  }

  const selectedTab = Math.max(0, TABS.findIndex((t) => t.status === status));
  const tabs = TABS.map((t) => ({
    id: t.id,
    content: t.label,
    badge: String(t.status ? counts[t.status] : counts.all),
    accessibilityLabel: `${t.label} (${t.status ? counts[t.status] : counts.all})`,
    isLocked: true,
  }));

  const { selectedResources, selectedItemsCount, handleSelectionChange, clearSelection } = useListSelection(items);
  const { post, busy, refusal } = useBulkActions<QueueActionResult>(clearSelection);

  const [discardOpen, setDiscardOpen] = useState(false);
  const [retryAllOpen, setRetryAllOpen] = useState(false);
  const [discardReason, setDiscardReason] = useState("");

  const filtered = Boolean(params.get("q") || applied.length);
  const emptyState = filtered ? (
    <EmptySearchResult title="No sync items found" description="Try changing the filters or the search term" withIllustration />
  ) : (
    <EmptyState heading={status ? `No ${TABS[selectedTab]!.label.toLowerCase()} sync items` : "Nothing to sync yet"} image="">
      <p>Every membership change you make is sent to your platform from here, and shows up in this list.</p>
    </EmptyState>
  );

  return (
    <Page fullWidth>
      <TitleBar title="Sync queue">
        <button variant="primary" disabled={counts.failed === 0} onClick={() => setRetryAllOpen(true)}>
          Retry all failed
        </button>
      </TitleBar>
      <Layout>
        <Layout.Section>
          <BlockStack gap="300">
            {counts.failed > 0 && (
              <Banner tone="critical" title={`${plural(counts.failed, "sync item")} failed permanently`}>
                <p>Fix the cause shown on each item (credentials, a missing address, a club mapping), then retry.</p>
                <p>{alertEmail ? `Failures are emailed to ${alertEmail}.` : "Set an alert email in Settings to be emailed when a sync fails."}</p>
              </Banner>
            )}
            {refusal && (
              <Banner tone="critical">
                <p data-testid="queue-error">{refusal}</p>
              </Banner>
            )}
            <Card padding="0">
              <IndexFilters
                tabs={tabs}
                selected={selectedTab}
                onSelect={(i) => update((n) => (TABS[i]?.status ? n.set("status", TABS[i]!.status) : n.delete("status")))}
                queryPlaceholder="Search by member name or email"
                filters={filters}
                appliedFilters={applied}
                {...filterProps}
              />
              <IndexTable
                resourceName={{ singular: "sync item", plural: "sync items" }}
                itemCount={items.length}
                selectedItemsCount={selectedItemsCount}
                onSelectionChange={handleSelectionChange}
                promotedBulkActions={[
                  { content: "Retry now", onAction: () => post({ intent: "retry", ids: selectedResources }), disabled: busy },
                  { content: "Discard", onAction: () => setDiscardOpen(true), disabled: busy },
                ]}
                loading={loading}
                emptyState={emptyState}
                headings={[
                  { title: "Member" },
                  { title: "Action" },
                  { title: "Status" },
                  { title: "Attempts" },
                  { title: "Last attempt" },
                  { title: `Next try (${zone})` },
                  { title: "Reason" },
                ]}
                pagination={pagination(nextCursor, prevCursor)}
              >
                {items.map((i, n) => {
                  const badge = STATUS_BADGE[i.status] ?? { label: i.status };
                  const muted = i.internal ? "subdued" : undefined;
                  return (
                    <IndexTable.Row id={i.id} key={i.id} position={n} selected={selectedResources.includes(i.id)} tone={i.internal ? "subdued" : undefined}>
                      <IndexTable.Cell>
                        <Box maxWidth="180px">
                          {i.member ? (
                            <BlockStack>
                              <Text as="span" fontWeight={i.internal ? "regular" : "semibold"} tone={muted} truncate>
                                {i.memberName || i.member}
                              </Text>
                              {i.memberName && (
                                <Text as="span" tone="subdued" variant="bodySm" truncate>
                                  {i.member}
                                </Text>
                              )}
                            </BlockStack>
                          ) : (
                            <Text as="span" tone="subdued">
                              Shop
                            </Text>
                          )}
                        </Box>
                      </IndexTable.Cell>
                      <IndexTable.Cell>
                        <Box maxWidth="170px">
                          <Text as="span" tone={muted} truncate>
                            <Link url={`/app/queue/${i.id}`} dataPrimaryLink monochrome removeUnderline>
                              {i.action}
                            </Link>
                          </Text>
                        </Box>
                      </IndexTable.Cell>
                      <IndexTable.Cell>
                        <span data-testid="item-status" data-status={i.status}>
                          <Badge tone={badge.tone} progress={badge.progress}>
                            {badge.label}
                          </Badge>
                        </span>
                      </IndexTable.Cell>
                      <IndexTable.Cell>
                        <Text as="span" tone={muted} numeric>{`${i.attempts} of ${i.maxAttempts}`}</Text>
                      </IndexTable.Cell>
                      <IndexTable.Cell>
                        <span title={i.lastAttemptAt ?? undefined}>
                          <Text as="span" tone="subdued">
                            {i.lastAttemptAgo ?? "—"}
                          </Text>
                        </span>
                      </IndexTable.Cell>
                      <IndexTable.Cell>
                        <span title={i.nextTry ?? undefined}>
                          <Text as="span" tone={muted}>
                            {i.nextTryShort ?? "—"}
                          </Text>
                        </span>
                      </IndexTable.Cell>
                      <IndexTable.Cell>
                        {/* The short reason; the full one, and every attempt's raw error, are on the item's page. */}
                        <Box maxWidth="260px">
                          <span title={i.reason ?? undefined} data-testid="item-reason">
                            <Text as="span" tone={i.status === "failed" ? "critical" : "subdued"} truncate>
                              {i.reason ?? ""}
                            </Text>
                          </span>
                        </Box>
                      </IndexTable.Cell>
                    </IndexTable.Row>
                  );
                })}
              </IndexTable>
            </Card>
          </BlockStack>
        </Layout.Section>
      </Layout>

      <ConfirmModal
        id="discard-selected"
        open={discardOpen}
        onHide={() => setDiscardOpen(false)}
        title={`Discard ${plural(selectedResources.length, "sync item")}?`}
        confirm="Discard"
        dismiss="Keep them"
        destructive
        disabled={busy}
        onConfirm={() => {
          post({ intent: "discard", ids: selectedResources, reason: discardReason });
          setDiscardOpen(false);
          setDiscardReason("");
        }}
      >
        <BlockStack gap="300">
          <Text as="p">{`${plural(selectedResources.length, "selected item")} will not be sent. Running or completed items are left alone.`}</Text>
          <TextField label="Reason" value={discardReason} onChange={setDiscardReason} autoComplete="off" maxLength={500} helpText="Kept with each item, with your name." />
        </BlockStack>
      </ConfirmModal>

      <ConfirmModal
        id="retry-all-failed"
        open={retryAllOpen}
        onHide={() => setRetryAllOpen(false)}
        title={`Retry ${plural(counts.failed, "failed item")}?`}
        confirm={`Retry ${counts.failed}`}
        disabled={busy}
        onConfirm={() => {
          post({ intent: "retry-all" });
          setRetryAllOpen(false);
        }}
      >
        <Text as="p">{`${counts.failed === 1 ? "The failed item runs" : `All ${counts.failed} failed items run`} again now, with a fresh set of attempts. Fix the cause first, or it fails again.`}</Text>
      </ConfirmModal>
    </Page>
  );
}
