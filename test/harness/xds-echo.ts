/**
 * A tiny echo gRPC service for data-plane tests, without `.proto` files: the method
 * `/rigging.test.Echo/Who` takes any bytes and answers with the backend's name, so a client
 * can count which backend served each call.
 */
import { createServer } from "node:net";
import * as grpc from "@grpc/grpc-js";

const PATH = "/rigging.test.Echo/Who";
const raw = (b: Buffer): Buffer => b;

/** The echo service definition. */
export const ECHO_SERVICE: grpc.ServiceDefinition = {
  Who: {
    path: PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: raw,
    responseDeserialize: raw,
  },
};

/** Handlers answering with `name`. */
export function echoHandlers(name: string): grpc.UntypedServiceImplementation {
  return {
    Who: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) =>
      done(null, Buffer.from(name)),
  };
}

/** A plain gRPC echo backend on 127.0.0.1 (loopback only). */
export async function startEchoBackend(name: string): Promise<{ port: number; stop: () => void }> {
  const server = new grpc.Server();
  server.addService(ECHO_SERVICE, echoHandlers(name));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { port, stop: () => server.forceShutdown() };
}

/** One echo call; resolves to the backend name or `error:<code>`. */
export function callEcho(client: grpc.Client, deadlineMs = 5_000): Promise<string> {
  return new Promise(resolve => {
    client.makeUnaryRequest(
      PATH,
      raw,
      raw,
      Buffer.alloc(0),
      { deadline: Date.now() + deadlineMs },
      (err: grpc.ServiceError | null, value?: Buffer) =>
        resolve(err ? `error:${err.code}` : String(value)),
    );
  });
}

/** `n` sequential-in-batches echo calls, counted by answer. */
export async function countEcho(
  client: grpc.Client,
  n: number,
  concurrency = 50,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let done = 0; done < n; done += concurrency) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(concurrency, n - done) }, () => callEcho(client)),
    );
    for (const who of batch) counts[who] = (counts[who] ?? 0) + 1;
  }
  return counts;
}

/** A TCP port free on 127.0.0.1 right now (for servers that cannot bind port 0). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
