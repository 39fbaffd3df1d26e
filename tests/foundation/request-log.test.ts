// What a request log line may carry (server/redact.mjs), and the browser run's
// leak check (sandbox/secrets.ts) on lines made to leak.
import { describe, expect, it } from "vitest";
import { describeRequestUrl, requestLogLine } from "../../server/redact.mjs";
import { leakedLines, remember } from "../../sandbox/secrets";
import { sessionToken } from "../../sandbox/jwt";

describe("request log lines", () => {
  it("keep the path and the parameter names, never a value", () => {
    const token = sessionToken({ shop: "a.myshopify.com", apiKey: "k", apiSecret: "s" });
    const url = `/app/members?embedded=1&id_token=${token}&hmac=deadbeef&shop=a.myshopify.com&session=abc&q=ann%40x.com`;
    expect(describeRequestUrl(url)).toEqual({ path: "/app/members", query: ["embedded", "id_token", "hmac", "shop", "session", "q"] });
    const line = requestLogLine({ method: "GET", url, status: 200, ms: 3 });
    expect(JSON.parse(line)).toMatchObject({ component: "http", event: "request", method: "GET", path: "/app/members", status: 200 });
    expect(line).not.toContain(token.split(".")[2]);
    expect(line).not.toContain("deadbeef");
    expect(line).not.toContain("ann");
    expect(leakedLines([line])).toEqual([]);
  });

  it("never carry a Commerce7 order webhook's key, which is in the path (ADR 0021)", () => {
    const key = "Zk3vQ9x_2mWcA7pLr0sT-uYb8nHdE4fGjK1iO6qV5wX";
    const line = requestLogLine({ method: "POST", url: `/webhooks/commerce7/${key}`, status: 200, ms: 3 });
    expect(JSON.parse(line)).toMatchObject({ path: "/webhooks/commerce7/:key", status: 200 });
    expect(line).not.toContain(key);
  });

  it("the leak check finds a token, an HMAC query value and an issued secret", () => {
    const token = sessionToken({ shop: "a.myshopify.com", apiKey: "k", apiSecret: "s" });
    const hmac = remember("bm90LWEtcmVhbC1obWFjLWJ1dC1pc3N1ZWQ=");
    expect(
      leakedLines([
        `GET /app?id_token=${token} 200`,
        "GET /auth?hmac=0123abcd&shop=x 302",
        `{"header":"${hmac}"}`,
        `signature only: ${token.split(".")[2]}`,
        '{"path":"/app","query":["id_token"]}',
      ]).map((l) => l.line),
    ).toEqual([1, 2, 3, 4]);
  });
});
