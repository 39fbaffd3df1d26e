// The members list: the shop's memberships in a Polaris IndexTable with
// IndexFilters, as the sync queue screen has them (ADR 0024,
// app/components/index-list.tsx). Tabs by status; filters (tier, sync state,
// expiring within N days), a name or email search and the sort apply as they
// are chosen and live in the URL; keyset pages both ways. Bulk actions on the
// selection: export (the streamed CSV, of those members), change tier and
// cancel, each confirmed with the count and run through the domain
// (enrollments.server.ts) under the members' locks. While a shown member's
// sync is pending, the list refreshes itself, keeping the selection.
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { Link as RemixLink, useLoaderData } from "@remix-run/react";
import { Badge, Banner, BlockStack, Box, Card, ChoiceList, EmptySearchResult, EmptyState, IndexFilters, IndexTable, Layout, Link, Page, Select, Text, TextField } from "@shopify/polaris";
import type { IndexFiltersProps } from "@shopify/polaris";
import { TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import { useState } from "react";
import { z } from "zod";
import prisma from "~/db.server";
import { ConfirmModal, leftAlone, plural, useBulkActions, useIndexListState, useListSelection } from "~/components/index-list";
import { useLiveRefresh } from "~/components/live-refresh";
import { noteTooLong } from "~/domain/bounds";
import { localDate } from "~/domain/dates";
import { cancelMemberships, changeTiers, MAX_BULK_MEMBERS, type BulkMembersResult } from "~/domain/enrollments.server";
import { STATUSES, statusLabel } from "~/domain/membership-status";
import { listMembers } from "~/domain/members.server";
import { shopContext } from "~/domain/shops.server";
import { staffUserId } from "~/domain/staff";
import { downloadFile } from "~/download";
import { authenticate } from "~/shopify.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const params = Object.fromEntries(new URL(request.url).searchParams);
  const [list, tiers, { timezone }, shop] = await Promise.all([
    listMembers(prisma, session.shop, params),
    prisma.tier.findMany({ where: { shop: session.shop }, orderBy: { rank: "asc" }, select: { id: true, name: true, active: true, c7ClubId: true } }),
    shopContext(prisma, session.shop),
    prisma.shop.findUnique({ where: { domain: session.shop }, select: { crm: true } }),
  ]);
  // Dates on the shop's calendar.
  const members = list.members.map((m) => ({ ...m, startedAt: localDate(new Date(m.startedAt), timezone), expiresAt: localDate(new Date(m.expiresAt), timezone) }));
  // Where a selection may move: active tiers (on Commerce7, those with a club; changeTiers checks again).
  const moveTargets = tiers.filter((t) => t.active && (shop?.crm !== "commerce7" || t.c7ClubId)).map((t) => ({ id: t.id, name: t.name }));
  return { ...list, members, tiers: tiers.map((t) => ({ id: t.id, name: t.name })), moveTargets };
};

// The selection as the page posts it: enrollment ids, a page's worth at most
// (checked against the shop's memberships by the domain before any write).
const bulkInput = z.object({
  intent: z.enum(["cancel", "change-tier"], { error: "Unknown action" }),
  ids: z
    .array(z.string().min(1, "That is not a member id.").max(100, "That is not a member id."))
    .min(1, "Select at least one member.")
    .max(MAX_BULK_MEMBERS, `Select at most ${MAX_BULK_MEMBERS} members at a time.`),
  tierId: z.string().max(100).default(""),
  reason: z.string().default(""),
});

export type MembersActionResult = (Extract<BulkMembersResult, { ok: true }> & { message: string }) | { ok: false; reason: string };

export const action = async ({ request }: ActionFunctionArgs): Promise<MembersActionResult> => {
  const { session, sessionToken } = await authenticate.admin(request);
  const form = await request.formData();
  const parsed = bulkInput.safeParse({ intent: form.get("intent") ?? undefined, ids: form.getAll("ids").map(String), tierId: form.get("tierId") ?? undefined, reason: form.get("reason") ?? undefined });
  if (!parsed.success) return { ok: false, reason: parsed.error.issues[0]?.message ?? "Select members first." };
  const { intent, ids, tierId } = parsed.data;
  const by = staffUserId(sessionToken);
  if (intent === "cancel") {
    const reason = parsed.data.reason.trim();
    const tooLong = noteTooLong(reason);
    if (tooLong) return { ok: false, reason: tooLong };
    const r = await cancelMemberships(prisma, session.shop, ids, { by, reason: reason || undefined });
    return r.ok ? { ...r, message: bulkMessage(r.changed, "cancelled", r.skipped) } : r;
  }
  if (!tierId) return { ok: false, reason: "Choose the tier to move the members to." };
  const r = await changeTiers(prisma, session.shop, ids, tierId, { by });
  return r.ok ? { ...r, message: bulkMessage(r.changed, "moved", r.skipped) } : r;
};

const SKIPPED_WORDS: Record<string, string> = { same_tier: "already in that tier", cancelled: "already cancelled", expired: "expired", upgraded: "upgraded", moved_down: "moved down" };

/** "3 memberships cancelled — syncs queued; left alone: 1 already cancelled". */
function bulkMessage(changed: number, done: string, skipped: { status: string }[]) {
  return `${plural(changed, "membership")} ${done}${changed ? " — syncs queued" : ""}${leftAlone(skipped, SKIPPED_WORDS)}`;
}

// The tabs: the list's status filter (no status in the URL is Active, the default).
const TABS = [
  { id: "active", status: "", label: "Active" },
  { id: "all", status: "all", label: "All" },
  ...STATUSES.filter((s) => s !== "active").map((s) => ({ id: s, status: s, label: capital(statusLabel(s)) })),
];
const SYNC_LABELS: Record<string, string> = { synced: "Synced", pending: "Pending", failed: "Failed", discarded: "Discarded" };
const SYNC_TONE = { synced: "success", pending: "attention", failed: "critical", discarded: undefined } as const;
const EXPIRING_DAYS = ["7", "30", "60", "90"];
const FILTER_KEYS = ["tier", "sync", "expiring"] as const;
const SORTS = [
  { label: "Enrolled", value: "enrolled desc", directionLabel: "Newest first" },
  { label: "Expiry", value: "expiry asc", directionLabel: "Soonest first" },
] as const;

function capital(s: string) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export default function Members() {
  const { members, nextCursor, prevCursor, query, tiers, moveTargets } = useLoaderData<typeof loader>();
  const { params, update, setOne, filterProps, pagination, loading } = useIndexListState("/app/members", FILTER_KEYS);
  const shopify = useAppBridge();
  // While a shown member's sync is on its way (after a bulk change, say), the list follows it (ADR 0024's revalidation).
  useLiveRefresh(members.some((m) => m.syncState === "pending"));
  const { selectedResources, selectedItemsCount, handleSelectionChange, clearSelection } = useListSelection(members);
  const { post, busy, refusal } = useBulkActions<MembersActionResult>(clearSelection);
  const [open, setOpen] = useState<"cancel" | "tier" | "export" | null>(null);
  const [reason, setReason] = useState("");
  const [tierId, setTierId] = useState("");
  const [exporting, setExporting] = useState(false);
  const close = () => setOpen(null);
  const count = selectedResources.length;
  const tierName = (id: string) => tiers.find((t) => t.id === id)?.name ?? id;

  const filters: IndexFiltersProps["filters"] = [
    {
      key: "tier",
      label: "Tier",
      filter: <ChoiceList title="Tier" titleHidden choices={tiers.map((t) => ({ value: t.id, label: t.name }))} selected={params.get("tier") ? [params.get("tier")!] : []} onChange={(v) => setOne("tier", v[0] ?? null)} />,
      pinned: true,
    },
    {
      key: "sync",
      label: "Sync",
      filter: <ChoiceList title="Sync" titleHidden choices={Object.entries(SYNC_LABELS).map(([value, label]) => ({ value, label }))} selected={params.get("sync") ? [params.get("sync")!] : []} onChange={(v) => setOne("sync", v[0] ?? null)} />,
      pinned: true,
    },
    {
      key: "expiring",
      label: "Expiring",
      filter: (
        <BlockStack gap="200">
          <ChoiceList
            title="Expiring within"
            titleHidden
            choices={EXPIRING_DAYS.map((d) => ({ value: d, label: `Within ${d} days` }))}
            selected={EXPIRING_DAYS.includes(params.get("expiring") ?? "") ? [params.get("expiring")!] : []}
            onChange={(v) => setOne("expiring", v[0] ?? null)}
          />
          <TextField label="Or within (days)" type="number" min={1} autoComplete="off" value={params.get("expiring") ?? ""} onChange={(v) => setOne("expiring", v.trim() || null)} />
        </BlockStack>
      ),
      pinned: true,
    },
  ];
  const applied: IndexFiltersProps["appliedFilters"] = [];
  if (query.tier) applied.push({ key: "tier", label: `Tier: ${tierName(query.tier)}`, onRemove: () => setOne("tier", null) });
  if (query.sync) applied.push({ key: "sync", label: `Sync: ${SYNC_LABELS[query.sync] ?? query.sync}`, onRemove: () => setOne("sync", null) });
  if (query.expiring) applied.push({ key: "expiring", label: `Expiring within ${plural(query.expiring, "day")}`, onRemove: () => setOne("expiring", null) });

  const selectedTab = Math.max(0, TABS.findIndex((t) => t.status === (query.status === "active" ? "" : query.status)));

  // The list as filtered (the URL's), streamed as CSV; or the selection only.
  const exportParams = new URLSearchParams(params);
  exportParams.delete("cursor");
  exportParams.delete("before");
  const exportList = (ids?: string[]) => {
    const form = new FormData();
    for (const id of ids ?? []) form.append("ids", id);
    setExporting(true);
    downloadFile(`/app/members/export?${exportParams.toString()}`, "members.csv", ids ? { method: "POST", body: form } : undefined)
      .then(() => shopify?.toast?.show(ids ? `${plural(ids.length, "member")} exported` : "Members exported"))
      .catch(() => shopify?.toast?.show("The export failed; try again.", { isError: true }))
      .finally(() => setExporting(false));
  };

  const filtered = Boolean(query.q || applied.length);
  const emptyState = filtered ? (
    <EmptySearchResult title="No members found" description="Try changing the filters or the search term" withIllustration />
  ) : (
    <EmptyState heading={selectedTab === 0 ? "No active members yet" : `No ${TABS[selectedTab]!.label.toLowerCase()} memberships`} image="">
      <p>Enroll a customer, or import your club from a CSV file.</p>
    </EmptyState>
  );

  return (
    <Page>
      <TitleBar title="Members">
        <RemixLink to="/app/members/new" variant="primary">
          Enroll member
        </RemixLink>
        <RemixLink to="/app/members/import">Import</RemixLink>
        <button disabled={exporting} onClick={() => exportList()}>
          Export
        </button>
      </TitleBar>
      <Layout>
        <Layout.Section>
          <BlockStack gap="300">
            {refusal && (
              <Banner tone="critical">
                <p data-testid="members-error">{refusal}</p>
              </Banner>
            )}
            <Card padding="0">
              <IndexFilters
                tabs={TABS.map((t) => ({ id: t.id, content: t.label, isLocked: true }))}
                selected={selectedTab}
                onSelect={(i) => update((n) => (TABS[i]?.status ? n.set("status", TABS[i]!.status) : n.delete("status")))}
                queryPlaceholder="Search by name or email"
                sortOptions={[...SORTS]}
                sortSelected={[SORTS.find((s) => s.value.startsWith(query.sort))!.value]}
                onSort={(v) => setOne("sort", v[0]?.startsWith("expiry") ? "expiry" : null)}
                filters={filters}
                appliedFilters={applied}
                {...filterProps}
              />
              <IndexTable
                resourceName={{ singular: "member", plural: "members" }}
                itemCount={members.length}
                selectedItemsCount={selectedItemsCount}
                onSelectionChange={handleSelectionChange}
                promotedBulkActions={[
                  { content: "Export", onAction: () => setOpen("export"), disabled: exporting },
                  { content: "Change tier", onAction: () => setOpen("tier"), disabled: busy },
                  { content: "Cancel memberships", onAction: () => setOpen("cancel"), disabled: busy },
                ]}
                loading={loading}
                emptyState={emptyState}
                headings={[{ title: "Member" }, { title: "Tier" }, { title: "Status" }, { title: "Sync" }, { title: "Enrolled" }, { title: "Expires" }]}
                pagination={pagination(nextCursor, prevCursor)}
              >
                {members.map((m, i) => (
                  <IndexTable.Row id={m.id} key={m.id} position={i} selected={selectedResources.includes(m.id)}>
                    <IndexTable.Cell>
                      <Box maxWidth="260px">
                        <BlockStack>
                          <Text as="span" fontWeight="semibold" truncate>
                            <Link url={`/app/members/${m.customerId}`} dataPrimaryLink monochrome removeUnderline>
                              {m.name}
                            </Link>
                          </Text>
                          <Text as="span" tone="subdued" variant="bodySm" truncate>
                            {m.email}
                          </Text>
                        </BlockStack>
                      </Box>
                    </IndexTable.Cell>
                    <IndexTable.Cell>
                      <Box maxWidth="140px">
                        <Text as="span" truncate>
                          {m.tier}
                        </Text>
                      </Box>
                    </IndexTable.Cell>
                    <IndexTable.Cell>
                      <span data-testid="member-status" data-status={m.status}>
                        <Badge tone={m.status === "active" ? "success" : undefined}>{capital(statusLabel(m.status))}</Badge>
                      </span>
                    </IndexTable.Cell>
                    <IndexTable.Cell>
                      <span data-testid="member-sync" data-sync={m.syncState}>
                        <Badge tone={SYNC_TONE[m.syncState as keyof typeof SYNC_TONE]}>{SYNC_LABELS[m.syncState] ?? m.syncState}</Badge>
                      </span>
                    </IndexTable.Cell>
                    <IndexTable.Cell>{m.startedAt}</IndexTable.Cell>
                    <IndexTable.Cell>{m.expiresAt}</IndexTable.Cell>
                  </IndexTable.Row>
                ))}
              </IndexTable>
            </Card>
          </BlockStack>
        </Layout.Section>
      </Layout>

      <ConfirmModal
        id="cancel-selected"
        open={open === "cancel"}
        onHide={close}
        title={`Cancel ${plural(count, "membership")}?`}
        confirm={`Cancel ${count}`}
        dismiss="Keep them"
        destructive
        disabled={busy}
        onConfirm={() => {
          post({ intent: "cancel", ids: selectedResources, reason });
          close();
          setReason("");
        }}
      >
        <BlockStack gap="300">
          <Text as="p">{`${plural(count, "selected member")} lose${count === 1 ? "s" : ""} their membership now; your platform is updated through the sync queue. Memberships already cancelled or ended are left alone.`}</Text>
          <TextField label="Reason" value={reason} onChange={setReason} autoComplete="off" maxLength={500} helpText="Kept with each membership, with your name." />
        </BlockStack>
      </ConfirmModal>

      <ConfirmModal
        id="change-tier-selected"
        open={open === "tier"}
        onHide={close}
        title={`Change the tier of ${plural(count, "member")}?`}
        confirm={tierId ? `Move ${count} to ${tierName(tierId)}` : "Move"}
        disabled={busy || !tierId}
        onConfirm={() => {
          post({ intent: "change-tier", ids: selectedResources, tierId });
          close();
        }}
      >
        <BlockStack gap="300">
          <Select label="New tier" options={[{ label: "Choose a tier", value: "" }, ...moveTargets.map((t) => ({ label: t.name, value: t.id }))]} value={tierId} onChange={setTierId} />
          <Text as="p" tone="subdued">
            Each membership ends and a new one starts in that tier, keeping the later expiry. If the tier rules refuse the move for any selected member, nobody is moved.
          </Text>
        </BlockStack>
      </ConfirmModal>

      <ConfirmModal
        id="export-selected"
        open={open === "export"}
        onHide={close}
        title={`Export ${plural(count, "member")}?`}
        confirm={`Export ${count}`}
        disabled={exporting}
        onConfirm={() => {
          exportList(selectedResources);
          close();
        }}
      >
        <Text as="p">{`A CSV file of the ${plural(count, "selected membership")}, with the same columns as the full export (it imports back as it is).`}</Text>
      </ConfirmModal>
    </Page>
  );
}
