import { createServer } from "node:net";

// Ports this process has handed out: two clusters started at once in one process must not be
// given the same port in the window between probing a port and the child binding it.
const handedOut = new Set<number>();

/** A TCP port on 127.0.0.1 that nothing listens on right now and this process has not handed out. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await probe();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("could not find a free loopback port after 50 attempts");
}

function probe(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
