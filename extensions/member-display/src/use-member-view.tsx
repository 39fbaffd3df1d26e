// Loads the member's metafield through the Customer Account API and maps it
// to what the extension shows (view.ts). Built by Shopify CLI with the
// extension's own dependencies (package.json); the app's tsconfig leaves the
// .tsx files of extensions/member-* out, since those packages are not in the
// app's lockfile (README.md).
import { useEffect, useState } from "preact/hooks";
import { MEMBERSHIP_QUERY, type MembershipQueryData } from "./query";
import { memberView, type MemberView } from "./view";

export function useMemberView(): MemberView | null {
  const [view, setView] = useState<MemberView | null>(null);
  useEffect(() => {
    let live = true;
    shopify
      .query<MembershipQueryData>(MEMBERSHIP_QUERY)
      .then(({ data }) => {
        if (live) setView(memberView(data?.customer ? (data.customer.membership ?? null) : undefined, new Date(), shopify.localization.language.value.isoCode));
      })
      .catch(() => live && setView(memberView({}, new Date())));
    return () => {
      live = false;
    };
  }, []);
  return view;
}

/** The view's lines as Polaris web components (shared by the block and the page). */
export function MemberDetails({ view }: { view: MemberView }) {
  if (view.kind !== "member") {
    return (
      <s-stack gap="small-200">
        {view.lines.map((line) => (
          <s-paragraph>{line}</s-paragraph>
        ))}
      </s-stack>
    );
  }
  return (
    <s-stack gap="small-200">
      <s-badge tone={view.tone === "critical" ? "critical" : "auto"}>{view.badge}</s-badge>
      {view.tone === "warning" ? <s-banner tone="warning">{view.lines[1] ?? view.lines[0]}</s-banner> : null}
      {view.lines.map((line) => (
        <s-paragraph>{line}</s-paragraph>
      ))}
      {view.progress ? <s-paragraph>{view.progress.line}</s-paragraph> : null}
      {view.message ? <s-paragraph>{view.message}</s-paragraph> : null}
    </s-stack>
  );
}
