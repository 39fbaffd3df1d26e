// Outgoing email over SMTP (nodemailer): the only code that talks to a mail
// server. Errors are classified for the queue like any platform's:
//   connection refused, timeouts, 4xx replies  → retryable (try again later)
//   5xx replies (mailbox unknown, rejected)    → permanent, with the reply
//   authentication refused                      → auth (fix SMTP_URL)
// The SMTP URL carries a password: it is never logged nor put in an error.
import nodemailer, { type Transporter } from "nodemailer";
import { SyncError } from "../../queue/errors";

export type Mail = { to: string; subject: string; text: string };

const transports = new Map<string, Transporter>();

function transportFor(url: string): Transporter {
  let t = transports.get(url);
  if (!t) {
    t = nodemailer.createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 });
    transports.set(url, t);
  }
  return t;
}

/** Sends one message; throws SyncError. `smtpUrl` and `from` come from the environment. */
export async function sendMail(smtpUrl: string, from: string, mail: Mail, signal?: AbortSignal): Promise<{ messageId: string }> {
  signal?.throwIfAborted();
  try {
    const sent = await transportFor(smtpUrl).sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
    const rejected = (sent.rejected ?? []).map((r: string | { address: string }) => (typeof r === "string" ? r : r.address));
    if (rejected.length > 0) throw new SyncError("permanent", `The mail server refused ${rejected.join(", ")}`, { platform: "email" });
    return { messageId: sent.messageId };
  } catch (error) {
    throw classify(error);
  }
}

function classify(error: unknown): SyncError {
  if (error instanceof SyncError) return error;
  const e = error as { code?: string; responseCode?: number; response?: string; message?: string };
  const reply = (e.response ?? e.message ?? "unknown error").replace(/\s+/g, " ").slice(0, 300);
  if (e.code === "EAUTH") return new SyncError("auth", `The mail server refused the SMTP credentials: ${reply}`, { platform: "email", cause: error });
  if (typeof e.responseCode === "number" && e.responseCode >= 500) {
    return new SyncError("permanent", `The mail server rejected the message (${e.responseCode}): ${reply}`, { platform: "email", cause: error });
  }
  return new SyncError("retryable", `Could not send email: ${reply}`, { platform: "email", cause: error });
}
