import type { HeadersFunction, LoaderFunctionArgs } from "@remix-run/node";
import { isRouteErrorResponse, Link, Outlet, useLoaderData, useRouteError, useRouteLoaderData } from "@remix-run/react";
import { BlockStack, Button, Card, InlineStack, Page, Text } from "@shopify/polaris";
import { boundary } from "@shopify/shopify-app-remix/server";
import { AppProvider } from "@shopify/shopify-app-remix/react";
import { NavMenu, TitleBar } from "@shopify/app-bridge-react";
import polarisStyles from "@shopify/polaris/build/esm/styles.css?url";
import { env } from "~/env.server";
import { authenticate } from "~/shopify.server";

export const links = () => [{ rel: "stylesheet", href: polarisStyles }];

export const loader = async ({ request }: LoaderFunctionArgs) => {
  await authenticate.admin(request);
  return { apiKey: env.SHOPIFY_API_KEY, appBridgeUrl: env.APP_BRIDGE_URL ?? null };
};

function Navigation() {
  return (
    <NavMenu>
      <Link to="/app" rel="home">
        Home
      </Link>
      <Link to="/app/members">Members</Link>
      <Link to="/app/tiers">Tiers</Link>
      <Link to="/app/queue">Sync queue</Link>
      <Link to="/app/settings">Settings</Link>
    </NavMenu>
  );
}

export default function App() {
  const { apiKey, appBridgeUrl } = useLoaderData<typeof loader>();
  return (
    <AppProvider isEmbeddedApp apiKey={apiKey} {...(appBridgeUrl ? { __APP_BRIDGE_URL: appBridgeUrl } : {})}>
      <Navigation />
      <Outlet />
    </AppProvider>
  );
}

/**
 * Errors inside the app keep the app: a page we could not find (our 404s) or
 * an unexpected error renders inside the app's frame, with its navigation and
 * a way back. Other thrown responses are the Shopify library's own (session
 * bounces, re-auth), which Shopify's boundary must handle so its headers and
 * scripts reach the browser.
 */
export function ErrorBoundary() {
  const error = useRouteError();
  const data = useRouteLoaderData<typeof loader>("routes/app");
  const ours = isRouteErrorResponse(error) ? error.status === 404 : true;
  if (!ours || !data) return boundary.error(error);
  const notFound = isRouteErrorResponse(error);
  return (
    <AppProvider isEmbeddedApp apiKey={data.apiKey} {...(data.appBridgeUrl ? { __APP_BRIDGE_URL: data.appBridgeUrl } : {})}>
      <Navigation />
      <Page>
        <TitleBar title={notFound ? "Not found" : "Something went wrong"} />
        <Card>
          <BlockStack gap="300">
            <Text as="p">
              <span data-testid="error-message">
                {notFound
                  ? `${typeof error.data === "string" && error.data ? error.data : "This page does not exist"}: it may have been removed, or the link is wrong.`
                  : "This page could not be shown because of an unexpected error. It has been logged; try again, or go back."}
              </span>
            </Text>
            <InlineStack gap="200">
              <Button url="/app">Back to the home page</Button>
              <Button url="/app/members" variant="plain">
                Members
              </Button>
            </InlineStack>
          </BlockStack>
        </Card>
      </Page>
    </AppProvider>
  );
}

export const headers: HeadersFunction = (headersArgs) => boundary.headers(headersArgs);
