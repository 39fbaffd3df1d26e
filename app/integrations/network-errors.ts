// A failed request's transport error, in words a merchant can act on (the
// queue screen and alert emails show it), with the low-level code kept in
// brackets for whoever reads the logs. Pure.
const PLAIN: Record<string, string> = {
  ECONNREFUSED: "refused the connection (the service is down or unreachable)",
  ECONNRESET: "dropped the connection before answering",
  UND_ERR_SOCKET: "dropped the connection before answering",
  EPIPE: "dropped the connection before answering",
  UND_ERR_CONNECT_TIMEOUT: "could not be reached in time",
  ETIMEDOUT: "could not be reached in time",
  UND_ERR_HEADERS_TIMEOUT: "did not answer in time",
  UND_ERR_BODY_TIMEOUT: "did not finish its answer in time",
  ENOTFOUND: "could not be found (its address did not resolve)",
  EAI_AGAIN: "could not be found just now (name lookup failed)",
  EHOSTUNREACH: "could not be reached (no route to it)",
  ENETUNREACH: "could not be reached (the network is down)",
  CERT_HAS_EXPIRED: "presented an expired certificate",
};

/** "dropped the connection before answering (UND_ERR_SOCKET)", or the error's own message when it is no transport error we know. */
export function networkProblem(error: unknown): string {
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof code === "string") return PLAIN[code] ? `${PLAIN[code]} (${code})` : `failed (${code})`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Whether nothing answered: a transport error (a socket or DNS code) or a
 * timeout, anywhere in the error's cause chain. The queue records such a
 * failure as "unreachable", which merchants read as "could not be reached";
 * an answer that came back wrong (5xx, malformed) is not one.
 */
export function isTransportFailure(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e && typeof e === "object"; depth++) {
    const { code, name } = e as { code?: unknown; name?: unknown };
    if (typeof code === "string" && (code in PLAIN || /^(E[A-Z]{3,}|UND_ERR_[A-Z_]+)$/.test(code))) return true;
    if (name === "TimeoutError") return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
