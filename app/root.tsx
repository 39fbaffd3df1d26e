import { isRouteErrorResponse, Links, Meta, Outlet, Scripts, ScrollRestoration, useRouteError } from "@remix-run/react";

export default function App() {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <link rel="preconnect" href="https://cdn.shopify.com/" />
        <link rel="stylesheet" href="https://cdn.shopify.com/static/fonts/inter/v4/styles.css" />
        <Meta />
        <Links />
      </head>
      <body>
        <Outlet />
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

// Last resort, outside the app's frame (app.tsx has the in-app one): a plain
// page with a way back, never Remix's bare "Application Error".
export function ErrorBoundary() {
  const error = useRouteError();
  const notFound = isRouteErrorResponse(error) && error.status === 404;
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <title>{notFound ? "Not found" : "Something went wrong"}</title>
        <Meta />
        <Links />
      </head>
      <body style={{ fontFamily: "system-ui, sans-serif", margin: "2rem" }}>
        <h1>{notFound ? "Not found" : "Something went wrong"}</h1>
        <p>{notFound ? "This page does not exist." : "This page could not be shown because of an unexpected error. It has been logged."}</p>
        <p>
          <a href="/app">Back to Club Tiers</a>
        </p>
        <Scripts />
      </body>
    </html>
  );
}
