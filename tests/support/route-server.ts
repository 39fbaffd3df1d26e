// Serves one Remix route's action over real HTTP, for a fake platform that
// delivers webhooks itself (the fake Commerce7's `emit`). `down()` makes it
// answer 503 until `up()`: an outage as the sender sees it.
import { createServer } from "node:http";
import type { ActionFunctionArgs } from "@remix-run/node";
import type { AddressInfo } from "node:net";

type Action = (args: ActionFunctionArgs) => Promise<Response>;

export async function serveAction(action: Action, paramsOf: (path: string) => Record<string, string>) {
  let isDown = false;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (isDown) {
      res.writeHead(503).end();
      return;
    }
    const url = `http://127.0.0.1${req.url ?? "/"}`;
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const response = await action({ request: new Request(url, { method: req.method, headers, body: req.method === "POST" ? Buffer.concat(chunks) : undefined }), params: paramsOf(new URL(url).pathname), context: {} });
    res.writeHead(response.status, { "Content-Type": response.headers.get("content-type") ?? "application/json" }).end(await response.text());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    down: () => void (isDown = true),
    up: () => void (isDown = false),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
