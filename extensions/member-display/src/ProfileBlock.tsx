// customer-account.profile.block.render: the member's tier, expiry, spend and
// progress on the Profile page, with a link to the full page. Shows nothing
// to a customer who has never been a member, or when the value is unreadable.
import "@shopify/ui-extensions/preact";
import { render } from "preact";
import { MemberDetails, useMemberView } from "./use-member-view";

export default async () => {
  render(<ProfileBlock />, document.body);
};

function ProfileBlock() {
  const view = useMemberView();
  if (!view || view.kind !== "member") return null;
  return (
    <s-section heading={view.heading}>
      <MemberDetails view={view} />
      <s-link href="extension://club-member-page">Membership details</s-link>
    </s-section>
  );
}
