/**
 * A TCP relay on loopback that a test can cut and restore: a network partition between one
 * process and a server (here: one control-plane replica and the API server), while every other
 * process still reaches that server directly.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

/** A running relay. */
export interface TcpRelay {
  /** The port on 127.0.0.1 that leads to the target while the relay is up. */
  readonly port: number;
  /** Closes every relayed connection and refuses new ones (the port is closed). */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  /** Closes for good. */
  close(): Promise<void>;
}

/** Starts a relay from a free 127.0.0.1 port to 127.0.0.1:`targetPort`. */
export async function startTcpRelay(targetPort: number): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = async () => {
    const s = createServer(client => {
      const upstream = connect(targetPort, "127.0.0.1");
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => resolve());
    });
    const address = s.address();
    port = typeof address === "object" && address ? address.port : port;
    server = s;
  };
  const cut = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (s) await new Promise<void>(resolve => s.close(() => resolve()));
  };
  await listen();
  return { port, cut, restore: listen, close: cut };
}
