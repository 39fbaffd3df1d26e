// customer-account.page.render: the member's full page (a full-page target
// cannot share an extension with other targets, hence its own folder). The
// view and the query are the profile block's (extensions/member-display/src).
import "@shopify/ui-extensions/preact";
import { render } from "preact";
import { MemberDetails, useMemberView } from "../../member-display/src/use-member-view";

export default async () => {
  render(<MemberPage />, document.body);
};

function MemberPage() {
  const view = useMemberView();
  return (
    <s-page heading="Club membership">
      <s-section heading={view?.heading ?? "Club membership"}>{view ? <MemberDetails view={view} /> : <s-spinner />}</s-section>
    </s-page>
  );
}
