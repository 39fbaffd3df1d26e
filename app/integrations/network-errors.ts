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
