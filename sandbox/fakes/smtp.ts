// A real SMTP server (smtp-server, the server half of nodemailer's project) on
// 127.0.0.1 that keeps every message it accepts, for tests and the sandbox.
//
// Faults, for the next `times` messages (or until cleared):
//   reject  the recipient is refused with 550 (a permanent rejection)
//   defer   the recipient is refused with 451 (try again later)
//   auth    the login is refused (535)
// `stop()` closes the listener for a true "connection refused"; `start()`
// listens again on the same port.
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export type SmtpFault = { mode: "reject" | "defer" | "auth"; times?: number };
export type ReceivedMail = { from: string; to: string[]; subject: string; text: string; raw: string };

export type FakeSmtp = {
  url: string;
  port: number;
  messages: ReceivedMail[];
  faults: { add(fault: SmtpFault): void; clear(): void };
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

export async function createFakeSmtp(opts: { user?: string; pass?: string } = {}): Promise<FakeSmtp> {
  const messages: ReceivedMail[] = [];
  let faults: SmtpFault[] = [];
  const take = (modes: SmtpFault["mode"][]) => {
    const f = faults.find((x) => modes.includes(x.mode));
    if (!f) return null;
    if (f.times !== undefined && --f.times <= 0) faults = faults.filter((x) => x !== f);
    return f;
  };
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
      const f = take(["reject", "defer"]);
      if (f?.mode === "reject") return callback(withCode(`Mailbox ${address.address} does not exist`, 550));
      if (f?.mode === "defer") return callback(withCode("Mailbox busy, try again later", 451));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
        messages.push(parse(Buffer.concat(chunks).toString("utf8"), from, session.envelope.rcptTo.map((r) => r.address)));
        callback();
      });
    },
  });

  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        port = (server.server.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();
  const auth = opts.user ? `${encodeURIComponent(opts.user)}:${encodeURIComponent(opts.pass ?? "")}@` : "";

  return {
    get url() {
      return `smtp://${auth}127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    messages,
    faults: {
      add(fault) {
        faults.push({ ...fault });
      },
      clear() {
        faults = [];
      },
    },
    stop: () => new Promise<void>((resolve) => server.server.close(() => resolve())),
    start: listen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
