// Secrets at rest: AES-256-GCM with a random 96-bit IV per value.
//
// Envelope format: "v1:" + base64url(iv ‖ tag ‖ ciphertext). The version prefix
// lets a future key rotation tell old envelopes from new ones. Decryption
// authenticates the value, so a tampered or wrongly-keyed envelope throws rather
// than returning garbage. Plaintext never appears in logs or error messages.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { env } from "./env.server";

const PREFIX = "v1:";
const IV_BYTES = 12;
const TAG_BYTES = 16;

function keyBytes(key: string = env.ENCRYPTION_KEY): Buffer {
  return Buffer.from(key, "base64");
}

export function encryptSecret(plaintext: string, key?: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", keyBytes(key), iv);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
}

export function decryptSecret(envelope: string, key?: string): string {
  if (!envelope.startsWith(PREFIX)) throw new Error("decryptSecret: not an encrypted value");
  const raw = Buffer.from(envelope.slice(PREFIX.length), "base64url");
  if (raw.length < IV_BYTES + TAG_BYTES) throw new Error("decryptSecret: truncated value");
  const decipher = createDecipheriv("aes-256-gcm", keyBytes(key), raw.subarray(0, IV_BYTES));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch {
    throw new Error("decryptSecret: value could not be authenticated (wrong ENCRYPTION_KEY or tampered data)");
  }
}

export function isEncrypted(value: string): boolean {
  return value.startsWith(PREFIX);
}
