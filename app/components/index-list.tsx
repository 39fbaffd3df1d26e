// The pieces every indexed list of the app shares (the sync queue, the
// members list; ADR 0024): a Polaris IndexTable + IndexFilters whose state
// lives in the URL, filters that apply as they are chosen, a selection that
// survives revalidation, bulk actions posted through one fetcher and
// answered with a toast, keyset pages both ways, and App Bridge Modal
// confirmations. Pages keep their own columns, filters and wording.
import { useFetcher, useNavigation, useSearchParams } from "@remix-run/react";
import { Box, IndexFiltersMode, useIndexResourceState, useSetIndexFiltersMode } from "@shopify/polaris";
import type { IndexFiltersProps, IndexTableProps } from "@shopify/polaris";
import { Modal, TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";

export const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

/** What a bulk action left alone, counted by status in the page's words: "; left alone: 2 already cancelled", or "". */
export function leftAlone(skipped: { status: string }[], words: Record<string, string>): string {
  const by = new Map<string, number>();
  for (const s of skipped) by.set(s.status, (by.get(s.status) ?? 0) + 1);
  const left = [...by].sort(([a], [b]) => a.localeCompare(b)).map(([status, n]) => `${n} ${words[status] ?? status}`);
  return left.length ? `; left alone: ${left.join(", ")}` : "";
}

/**
 * The list's URL state. `params` is what was just chosen while its list
 * loads (the URL being navigated to), so the controls never jump back;
 * `update` changes it in place (replace, no scroll) and starts from the
 * first page; the search answers at once and reaches the URL a moment after
 * typing stops; Cancel in filter mode puts back what was there when
 * filtering began.
 */
export function useIndexListState(pathname: string, filterKeys: readonly string[]) {
  const [loadedParams, setParams] = useSearchParams();
  const navigation = useNavigation();
  const pending = navigation.location?.pathname === pathname ? navigation.location.search : null;
  const params = useMemo(() => (pending !== null ? new URLSearchParams(pending) : loadedParams), [pending, loadedParams]);
  // A navigation of this page (a tab, a filter, a page): the table shows it is loading.
  const loading = navigation.state === "loading" && navigation.location?.pathname === pathname;

  // The state as it is when a change is made, not when its callback was
  // created: the search reaches the URL 300 ms after typing stops, and a
  // filter chosen in between must not be lost to the search's older copy.
  const latest = useRef(params);
  latest.current = params;
  const update = useCallback(
    (change: (next: URLSearchParams) => void) => {
      const next = new URLSearchParams(latest.current);
      change(next);
      next.delete("cursor");
      next.delete("before");
      latest.current = next;
      setParams(next, { replace: true, preventScrollReset: true });
    },
    [setParams],
  );

  const [query, setQuery] = useState(params.get("q") ?? "");
  const typing = useRef<ReturnType<typeof setTimeout>>();
  const onQueryChange = (value: string) => {
    setQuery(value);
    clearTimeout(typing.current);
    typing.current = setTimeout(() => update((n) => (value.trim() ? n.set("q", value) : n.delete("q"))), 300);
  };
  useEffect(() => () => clearTimeout(typing.current), []);
  // Leaving the page (a row's link, say) drops a search still waiting for
  // typing to stop: it would otherwise fire after the click and take the
  // merchant back to the list.
  const leaving = navigation.state !== "idle" && navigation.location?.pathname !== pathname;
  useEffect(() => {
    if (leaving) clearTimeout(typing.current);
  }, [leaving]);

  const { mode, setMode } = useSetIndexFiltersMode();
  const before = useRef<string>(params.toString());
  useEffect(() => {
    if (mode === IndexFiltersMode.Filtering) before.current = params.toString();
    // Only on entering filter mode.
  }, [mode]);

  const list = (key: string) => params.getAll(key);
  const setList = (key: string, values: string[]) =>
    update((n) => {
      n.delete(key);
      for (const v of values) n.append(key, v);
    });
  const setOne = (key: string, value: string | null) => update((n) => (value ? n.set(key, value) : n.delete(key)));

  // What IndexFilters needs from the state, the same on every list.
  const filterProps = {
    queryValue: query,
    onQueryChange,
    onQueryClear: () => onQueryChange(""),
    onClearAll: () => {
      setQuery("");
      update((n) => [...filterKeys, "q"].forEach((k) => n.delete(k)));
    },
    cancelAction: { onAction: () => setParams(new URLSearchParams(before.current), { replace: true, preventScrollReset: true }), disabled: false, loading: false },
    mode,
    setMode,
    canCreateNewView: false,
    loading,
  } satisfies Partial<IndexFiltersProps>;

  /** IndexTable's pagination over keyset cursors (`cursor` on, `before` back), or none on a single page. */
  const pagination = (nextCursor: string | null, prevCursor: string | null): IndexTableProps["pagination"] =>
    nextCursor || prevCursor
      ? {
          hasNext: Boolean(nextCursor),
          hasPrevious: Boolean(prevCursor),
          onNext: () => nextCursor && setParams(pageParams(params, "cursor", nextCursor), { preventScrollReset: true }),
          onPrevious: () => prevCursor && setParams(pageParams(params, "before", prevCursor), { preventScrollReset: true }),
        }
      : undefined;

  return { params, update, setParams, loading, list, setList, setOne, setQuery, filterProps, pagination };
}

function pageParams(params: URLSearchParams, key: "cursor" | "before", value: string) {
  const next = new URLSearchParams(params);
  next.delete("cursor");
  next.delete("before");
  next.set(key, value);
  return next;
}

/** The table's selection; it survives every refresh, and ids that left the list leave it too. */
export function useListSelection(items: { id: string }[]) {
  const resources = useMemo(() => items.map((i) => ({ id: i.id })), [items]);
  const state = useIndexResourceState(resources);
  const { selectedResources, removeSelectedResources } = state;
  useEffect(() => {
    const shown = new Set(items.map((i) => i.id));
    const gone = selectedResources.filter((id) => !shown.has(id));
    if (gone.length) removeSelectedResources(gone);
  }, [items, selectedResources, removeSelectedResources]);
  return { ...state, selectedItemsCount: state.allResourcesSelected ? ("All" as const) : selectedResources.length };
}

export type BulkAnswer = { ok: true; message?: string } | { ok: false; reason: string };

/**
 * The bulk actions' fetcher: `post` sends a form (arrays as repeated fields);
 * a success says what it did in a toast and clears the selection, a refusal
 * is `refusal` for the page to show as a banner.
 */
export function useBulkActions<T extends BulkAnswer>(clearSelection: () => void) {
  const fetcher = useFetcher<T>();
  const shopify = useAppBridge();
  const post = (data: Record<string, string | string[]>) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(data)) for (const x of [v].flat()) form.append(k, x);
    fetcher.submit(form, { method: "post" });
  };
  const result = fetcher.state === "idle" ? (fetcher.data as T | undefined) : undefined;
  useEffect(() => {
    if (result?.ok && result.message) {
      shopify?.toast?.show(result.message);
      clearSelection();
    }
  }, [result]);
  return { post, busy: fetcher.state !== "idle", result, refusal: result && !result.ok ? result.reason : null };
}

/**
 * A confirmation as an App Bridge Modal: the admin draws it over the page,
 * with the title bar's buttons as its footer (primary first, then the way out).
 */
export function ConfirmModal(props: {
  id: string;
  open: boolean;
  onHide: () => void;
  title: string;
  confirm: string;
  onConfirm: () => void;
  dismiss?: string;
  destructive?: boolean;
  disabled?: boolean;
  children: ReactNode;
}) {
  return (
    <Modal id={props.id} open={props.open} onHide={props.onHide}>
      <Box padding="400">{props.children}</Box>
      <TitleBar title={props.title}>
        <button variant="primary" tone={props.destructive ? "critical" : undefined} disabled={props.disabled} onClick={props.onConfirm}>
          {props.confirm}
        </button>
        <button onClick={props.onHide}>{props.dismiss ?? "Cancel"}</button>
      </TitleBar>
    </Modal>
  );
}
