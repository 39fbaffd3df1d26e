// A real SMTP server (smtp-server, the server half of nodemailer's project) on
// 127.0.0.1 that keeps every message it accepts, for tests and the sandbox.
//
// Faults, for the next `times` messages (or until cleared):
//   down    the listener is closed (connection refused) while this fault is set;
//           clearing or replacing it listens again on the same port
//   4xx     the recipient is refused with 451 (try again later); alias `defer`
//   5xx     the recipient is refused with 550 (a permanent rejection); alias `reject`
//   slow    the message is accepted `delayMs` (default 30 s) late
//   auth    the login is refused (535)
// Like the HTTP fakes, they are set over HTTP on `controlUrl`:
// `POST /__fake/faults` (replaces; `"add": true` appends), `DELETE`, `GET`;
// `GET /__fake/messages` lists what was received. `stop()` / `start()` close
// and reopen the SMTP listener directly.
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { FaultList, faultsControl, startControlServer } from "./http";

export const SMTP_FAULT_MODES = ["down", "4xx", "5xx", "slow", "auth", "defer", "reject"] as const;
export type SmtpFaultMode = (typeof SMTP_FAULT_MODES)[number];
export type SmtpFault = { mode: SmtpFaultMode; times?: number; delayMs?: number };
export type ReceivedMail = { from: string; to: string[]; subject: string; text: string; raw: string };

export type FakeSmtp = {
  url: string;
  port: number;
  /** Where the /__fake/ control API listens (HTTP). */
  controlUrl: string;
  messages: ReceivedMail[];
  faults: FaultList<SmtpFaultMode>;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
};

/** Decodes what nodemailer may send: quoted-printable bodies, soft line breaks. */
function decodeBody(headers: string, body: string): string {
  if (!/content-transfer-encoding:\s*quoted-printable/i.test(headers)) return body;
  return Buffer.from(
    body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    "latin1",
  ).toString("utf8");
}

function parse(raw: string, from: string, to: string[]): ReceivedMail {
  const split = raw.indexOf("\r\n\r\n");
  const headers = split >= 0 ? raw.slice(0, split) : raw;
  const body = split >= 0 ? raw.slice(split + 4) : "";
  const unfolded = headers.replace(/\r\n[ \t]+/g, " ");
  const subject = /^subject:\s*(.*)$/im.exec(unfolded)?.[1] ?? "";
  return { from, to, subject: subject.trim(), text: decodeBody(unfolded, body).replace(/\r\n/g, "\n").trimEnd(), raw };
}

export async function createFakeSmtp(opts: { user?: string; pass?: string; port?: number; controlPort?: number } = {}): Promise<FakeSmtp> {
  const messages: ReceivedMail[] = [];
  // Opens or closes the listener to match whether a `down` fault is set.
  const reconcile = async () => {
    if (faults.has("down") && listening) await stop();
    else if (!faults.has("down") && !listening && !closed) await listen();
  };
  const faults: FaultList<SmtpFaultMode> = new FaultList<SmtpFaultMode>(SMTP_FAULT_MODES, reconcile);
  const take = (modes: SmtpFaultMode[]) => faults.take({ path: "" }, modes);
  const withCode = (message: string, responseCode: number) => Object.assign(new Error(message), { responseCode });

  const server = new SMTPServer({
    secure: false,
    disabledCommands: ["STARTTLS"],
    authOptional: !opts.user,
    logger: false,
    onAuth(auth, _session, callback) {
      if (take(["auth"]) || auth.username !== opts.user || auth.password !== opts.pass) return callback(withCode("Authentication failed", 535));
      callback(null, { user: auth.username });
    },
    onRcptTo(address, _session, callback) {
      const f = take(["5xx", "reject", "4xx", "defer"]);
      if (f?.mode === "5xx" || f?.mode === "reject") return callback(withCode(`Mailbox ${address.address} does not exist`, 550));
      if (f?.mode === "4xx" || f?.mode === "defer") return callback(withCode("Mailbox busy, try again later", 451));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const slow = take(["slow"]);
        const accept = () => {
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
          messages.push(parse(Buffer.concat(chunks).toString("utf8"), from, session.envelope.rcptTo.map((r) => r.address)));
          callback();
        };
        if (slow) setTimeout(accept, slow.delayMs ?? 30_000);
        else accept();
      });
    },
  });

  let port = opts.port ?? 0;
  let listening = false;
  let closed = false;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        port = (server.server.address() as AddressInfo).port;
        listening = true;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      listening = false;
      server.server.close(() => resolve());
    });
  await listen();
  const auth = opts.user ? `${encodeURIComponent(opts.user)}:${encodeURIComponent(opts.pass ?? "")}@` : "";

  const control = await startControlServer(async ({ method, what, raw }) => {
    const own = await faultsControl(faults, method, what, raw);
    if (own) return own;
    if (what === "messages" && method === "DELETE") {
      messages.length = 0;
      return { status: 200, body: { messages: [] } };
    }
    if (what === "messages") return { status: 200, body: { messages: messages.map(({ raw: _raw, ...m }) => m) } };
    if (what === "reset" && method === "POST") {
      messages.length = 0;
      await faults.clear();
      return { status: 200, body: { ok: true } };
    }
    return undefined;
  }, opts.controlPort);

  return {
    get url() {
      return `smtp://${auth}127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    controlUrl: control.url,
    messages,
    faults,
    stop,
    start: listen,
    close: async () => {
      closed = true;
      await control.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
