// Shopify session storage: Shopify's Prisma storage, with access tokens
// encrypted at rest.
//
// Invariant: a token is encrypted before it reaches the Session table and
// decrypted only when a session is loaded into memory. A row written before
// encryption was introduced (no "v1:" prefix) still loads, and is re-encrypted
// the next time it is stored.
import type { Session } from "@shopify/shopify-api";
import type { SessionStorage } from "@shopify/shopify-app-session-storage";
import { PrismaSessionStorage } from "@shopify/shopify-app-session-storage-prisma";
import { decryptSecret, encryptSecret, isEncrypted } from "./crypto.server";
import type { Db } from "./db.server";

function mapTokens(session: Session, fn: (value: string) => string): Session {
  // Session is a class with methods; clone through its own constructor so the
  // caller's object is never mutated.
  const copy = session.constructor === Object ? { ...session } : Object.assign(Object.create(Object.getPrototypeOf(session)), session);
  if (copy.accessToken) copy.accessToken = fn(copy.accessToken);
  if (copy.refreshToken) copy.refreshToken = fn(copy.refreshToken);
  return copy as Session;
}

const seal = (v: string) => (isEncrypted(v) ? v : encryptSecret(v));
const open = (v: string) => (isEncrypted(v) ? decryptSecret(v) : v);

export class EncryptedSessionStorage implements SessionStorage {
  private readonly inner: PrismaSessionStorage<never>;

  constructor(db: Db) {
    // The storage is typed against @prisma/client's default export; our clients
    // are generated elsewhere (one per provider) but have the same Session API.
    this.inner = new PrismaSessionStorage(db as never);
  }

  storeSession(session: Session) {
    return this.inner.storeSession(mapTokens(session, seal));
  }
  async loadSession(id: string) {
    const session = await this.inner.loadSession(id);
    return session && mapTokens(session, open);
  }
  deleteSession(id: string) {
    return this.inner.deleteSession(id);
  }
  deleteSessions(ids: string[]) {
    return this.inner.deleteSessions(ids);
  }
  async findSessionsByShop(shop: string) {
    return (await this.inner.findSessionsByShop(shop)).map((s) => mapTokens(s, open));
  }
  isReady() {
    return this.inner.isReady();
  }
}
