// Every session token and webhook HMAC the sandbox hands out, so the browser
// run can prove that none of them ever reached the app's log (tests/e2e/support/sandbox-setup.ts).
const issued = new Set<string>();

export function remember(secret: string) {
  issued.add(secret);
  return secret;
}

export function issuedSecrets(): ReadonlySet<string> {
  return issued;
}

/** A JWT's shape (three base64url parts, the first a JSON header): a session token whoever minted it. */
const JWT = /eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/;

/** The log lines that leak a secret, each with what leaked (never the secret itself). */
export function leakedLines(lines: readonly string[]): { line: number; what: string }[] {
  const out: { line: number; what: string }[] = [];
  lines.forEach((text, i) => {
    if (JWT.test(text)) out.push({ line: i + 1, what: "a JWT" });
    else if (/[?&](id_token|hmac|session|signature)=[^&\s"]/i.test(text)) out.push({ line: i + 1, what: "a token or HMAC query value" });
    else for (const s of issued) if (text.includes(s) || text.includes(s.split(".").pop()!)) out.push({ line: i + 1, what: "an issued token or HMAC" });
  });
  return out;
}
