import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "~/env.server";
import { TEST_ENV } from "../support/constants";

const valid = { ...TEST_ENV, DATABASE_URL: "file:./x.sqlite" };

describe("environment validation", () => {
  it("accepts a complete environment and applies the documented defaults", () => {
    const env = parseEnv(valid);
    expect(env.QUEUE_POLL_INTERVAL_MS).toBe(5000);
    expect(env.QUEUE_CONCURRENCY).toBe(4);
    expect(env.COMMERCE7_API_URL).toBe("https://api.commerce7.com/v1");
    expect(env.QUEUE_WORKER_ENABLED).toBe(false);
    expect(env.SCOPES).toBe("read_customers,write_customers,read_orders,read_all_orders,read_discounts,write_discounts");
  });

  it("names every missing or invalid variable", () => {
    const { SHOPIFY_API_SECRET: _omit, ...missing } = valid;
    const err = (() => {
      try {
        parseEnv({ ...missing, ENCRYPTION_KEY: "short", DATABASE_URL: "mysql://x", QUEUE_CONCURRENCY: "zero" });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(EnvError);
    const message = (err as Error).message;
    expect(message).toMatch(/SHOPIFY_API_SECRET: is required but not set/);
    expect(message).toMatch(/ENCRYPTION_KEY: must be 32 bytes/);
    expect(message).toMatch(/DATABASE_URL: must start with file:, postgres:\/\/ or postgresql:\/\//);
    expect(message).toMatch(/QUEUE_CONCURRENCY/);
  });

  it("treats an unset DATABASE_URL as the SQLite default", () => {
    const { DATABASE_URL: _omit, ...rest } = valid;
    expect(parseEnv(rest).DATABASE_URL).toBe("file:./prisma/dev.sqlite");
  });

  it("takes SMTP_URL as unset when empty, and names it (never its value, which holds a password) when invalid", () => {
    expect(parseEnv(valid).SMTP_URL).toBeUndefined();
    expect(parseEnv({ ...valid, SMTP_URL: "" }).SMTP_URL).toBeUndefined();
    expect(parseEnv({ ...valid, SMTP_URL: "smtp://u:p@mail.example.com:587" }).SMTP_URL).toBe("smtp://u:p@mail.example.com:587");
    let message = "";
    try {
      parseEnv({ ...valid, SMTP_URL: "http://user:hunter2@mail.example.com" });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/SMTP_URL: must be smtp:\/\/\[user:pass@\]host\[:port\] or smtps:\/\/…/);
    expect(message).not.toContain("hunter2");
  });
});
