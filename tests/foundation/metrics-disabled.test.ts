// Without METRICS_TOKEN the metrics endpoint does not exist: 404 whatever the
// request carries. Its own file, so the app's environment is read without the
// token (app/env.server.ts reads it once, at first import).
import { beforeAll, describe, expect, it } from "vitest";

let route: typeof import("~/routes/metrics");
let parseEnv: typeof import("~/env.server").parseEnv;

beforeAll(async () => {
  delete process.env.METRICS_TOKEN;
  route = await import("~/routes/metrics");
  parseEnv = (await import("~/env.server")).parseEnv;
});

describe("GET /metrics with no METRICS_TOKEN", () => {
  it("answers 404, with or without a bearer token", async () => {
    for (const headers of <Record<string, string>[]>[{}, { authorization: "Bearer " }, { authorization: "Bearer anything-at-all-anything" }]) {
      const res = await route.loader({ request: new Request("http://app.test/metrics", { headers }), params: {}, context: {} });
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain("clubtiers_");
    }
  });

  it("METRICS_TOKEN is validated once: empty means unset, a short one stops the boot naming it", () => {
    const base = { ...process.env };
    expect(parseEnv({ ...base, METRICS_TOKEN: "" }).METRICS_TOKEN).toBeUndefined();
    expect(parseEnv({ ...base, METRICS_TOKEN: "0123456789abcdef" }).METRICS_TOKEN).toBe("0123456789abcdef");
    expect(() => parseEnv({ ...base, METRICS_TOKEN: "short" })).toThrow(/METRICS_TOKEN: must be at least 16 characters/);
  });
});
