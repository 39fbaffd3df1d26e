// Validation issues become sentences that name the field (app/domain/validation.ts).
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fieldErrors, issueSentence } from "~/domain/validation";
import { saveSettings } from "~/domain/settings.server";

const labels = { name: "Name", email: "Email", count: "Count", kind: "Kind" };
const schema = z.object({
  name: z.string().max(100),
  email: z.email(),
  count: z.number().min(1),
  kind: z.enum(["a", "b"]),
  own: z.string().min(3, "Say at least three letters"),
});

describe("validation sentences", () => {
  it("rewrite zod's generic messages with the field's label, and keep the schemas' own", () => {
    const r = schema.safeParse({ name: "x".repeat(5000), email: "nope", count: 0, kind: "z", own: "ab" });
    expect(r.success).toBe(false);
    expect(fieldErrors(r.error!, labels)).toEqual({
      name: "Name can be at most 100 characters",
      email: "Email must be an email address, like name@example.com",
      count: "Count must be at least 1",
      kind: "Choose one of the offered values for kind",
      own: "Say at least three letters",
    });
    const missing = z.object({ name: z.string() }).safeParse({});
    expect(issueSentence(missing.error!.issues[0]!, labels)).toBe("Name is required");
  });

  it("a 5,000-character Commerce7 tenant in Settings is named, not described by the validator", async () => {
    const db = (await import("~/db.server")).default;
    await db.shop.create({ data: { domain: "long.myshopify.com" } });
    const r = await saveSettings(db, "long.myshopify.com", { crm: "commerce7", c7Tenant: "t".repeat(5000), c7AppId: "a", c7AppSecret: "s" });
    expect(r).toEqual({ ok: false, errors: { c7Tenant: "Tenant can be at most 200 characters" } });
  });
});
