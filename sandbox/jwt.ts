// Session tokens exactly as Shopify Admin issues them to an embedded app: an
// HS256 JWT signed with the app's secret (https://shopify.dev/docs/apps/auth/session-tokens).
import { createHmac, randomUUID } from "node:crypto";
import { remember } from "./secrets";

const b64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

export function sessionToken(opts: { shop: string; apiKey: string; apiSecret: string; userId?: string; ttlSeconds?: number }): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const payload = b64url(
    JSON.stringify({
      iss: `https://${opts.shop}/admin`,
      dest: `https://${opts.shop}`,
      aud: opts.apiKey,
      sub: opts.userId ?? "1",
      exp: now + (opts.ttlSeconds ?? 60),
      nbf: now - 5,
      iat: now,
      jti: randomUUID(),
      sid: randomUUID(),
    }),
  );
  const signature = createHmac("sha256", opts.apiSecret).update(`${header}.${payload}`).digest("base64url");
  return remember(`${header}.${payload}.${signature}`);
}
