// A port nothing listens on now, from the OS: the sandbox holds fixed ports
// (SANDBOX_PORT and the next five), so a test's own server must not guess.
import { createServer } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
