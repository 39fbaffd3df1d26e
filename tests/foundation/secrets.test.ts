// Secrets at rest: Commerce7 credentials and Shopify access tokens are stored
// encrypted, round-trip exactly, and do not appear in the raw table rows.
import { Session } from "@shopify/shopify-api";
import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret } from "~/crypto.server";
import prisma from "~/db.server";
import { getCommerce7Credentials, publicShopSettings, setCommerce7Credentials } from "~/domain/shops.server";
import { EncryptedSessionStorage } from "~/sessions.server";

describe("AES-GCM envelopes", () => {
  it("round-trip, use a fresh IV each time, and refuse a tampered value or a wrong key", () => {
    const a = encryptSecret("s3cret");
    const b = encryptSecret("s3cret");
    expect(a).not.toBe(b);
    expect(decryptSecret(a)).toBe("s3cret");
    // Flip one bit of the ciphertext's last byte (always a change, unlike editing base64 text).
    const [prefix, body] = [a.slice(0, a.indexOf(":") + 1), Buffer.from(a.slice(a.indexOf(":") + 1), "base64url")];
    body[body.length - 1]! ^= 1;
    const tampered = prefix + body.toString("base64url");
    expect(tampered).not.toBe(a);
    expect(() => decryptSecret(tampered)).toThrow(/could not be authenticated/);
    expect(() => decryptSecret(a, Buffer.alloc(32, 9).toString("base64"))).toThrow(/could not be authenticated/);
  });
});

describe("Commerce7 credentials", () => {
  it("round-trip through the database and are not readable in the table", async () => {
    const shop = "c7.myshopify.com";
    await setCommerce7Credentials(prisma, shop, { tenant: "napa-cellars", appId: "app-123", appSecret: "very-secret-value" });
    expect(await getCommerce7Credentials(prisma, shop)).toEqual({ tenant: "napa-cellars", appId: "app-123", appSecret: "very-secret-value" });

    const raw = await prisma.$queryRawUnsafe<Record<string, unknown>[]>(`SELECT * FROM "Shop" WHERE "domain" = '${shop}'`);
    const dump = JSON.stringify(raw);
    expect(dump).not.toContain("very-secret-value");
    expect(dump).not.toContain("app-123");
    expect(dump).toContain("napa-cellars");

    const settings = publicShopSettings((await prisma.shop.findUniqueOrThrow({ where: { domain: shop } }))!);
    expect(JSON.stringify(settings)).not.toContain("very-secret-value");
    expect(settings.c7CredentialsConfigured).toBe(true);
  });

  it("are null for a shop without any, and scoped to the shop", async () => {
    await setCommerce7Credentials(prisma, "a.myshopify.com", { tenant: "t", appId: "i", appSecret: "s" });
    expect(await getCommerce7Credentials(prisma, "b.myshopify.com")).toBeNull();
  });
});

describe("Shopify sessions", () => {
  it("store the access token encrypted and load it decrypted", async () => {
    const storage = new EncryptedSessionStorage(prisma);
    const session = new Session({ id: "offline_enc.myshopify.com", shop: "enc.myshopify.com", state: "s", isOnline: false });
    session.accessToken = "shpat_plaintext_token";
    session.scope = "read_customers";
    expect(await storage.storeSession(session)).toBe(true);
    expect(session.accessToken).toBe("shpat_plaintext_token"); // the caller's object is untouched

    const row = await prisma.session.findUniqueOrThrow({ where: { id: session.id } });
    expect(row.accessToken).not.toContain("shpat_plaintext_token");
    expect(row.accessToken.startsWith("v1:")).toBe(true);

    const loaded = await storage.loadSession(session.id);
    expect(loaded?.accessToken).toBe("shpat_plaintext_token");
    expect(typeof loaded?.isActive).toBe("function"); // a real Session, not a plain row
    expect((await storage.findSessionsByShop("enc.myshopify.com"))[0]?.accessToken).toBe("shpat_plaintext_token");
  });
});
