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

/**
 * A plain gRPC server with the echo service on `host`, which must be a 127.0.0.x loopback
 * address: it binds exactly there, on a port the system picks.
 */
export async function startEchoServer(
  host: string,
  handlers: grpc.UntypedServiceImplementation,
): Promise<{ port: number; server: grpc.Server }> {
  if (!/^127\.\d+\.\d+\.\d+$/.test(host)) throw new Error(`${host} is not a loopback address`);
  const server = new grpc.Server();
  server.addService(ECHO_SERVICE, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:0`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { port, server };
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

/** What one echo call returned (backend name or `error:<code>`) and how long it took. */
export interface EchoResult {
  readonly who: string;
  readonly ms: number;
}

/** One echo call with request `headers`, timed. */
export function timedEcho(
  client: grpc.Client,
  headers: Record<string, string> = {},
  deadlineMs = 5_000,
): Promise<EchoResult> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) md.set(k, v);
  const start = performance.now();
  return new Promise(resolve =>
    client.makeUnaryRequest(
      PATH,
      raw,
      raw,
      Buffer.alloc(0),
      md,
      { deadline: Date.now() + deadlineMs },
      (err: grpc.ServiceError | null, value?: Buffer) =>
        resolve({ who: err ? `error:${err.code}` : String(value), ms: performance.now() - start }),
    ),
  );
}

/** `n` timed echo calls with `headers`, 50 at a time. */
export async function runEcho(
  client: grpc.Client,
  n: number,
  headers: Record<string, string> = {},
  deadlineMs = 5_000,
): Promise<EchoResult[]> {
  const out: EchoResult[] = [];
  for (let done = 0; done < n; done += 50)
    out.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(50, n - done) }, () =>
          timedEcho(client, headers, deadlineMs),
        ),
      )),
    );
  return out;
}

/** Results counted by answer. */
export function countAnswers(results: readonly EchoResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.who] = (counts[r.who] ?? 0) + 1;
  return counts;
}

/** Asserts `observed` of `n` is within 5 standard deviations of a Binomial(n, p) mean. */
export function expectBinomial(observed: number, n: number, p: number): void {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(observed - n * p)).toBeLessThanOrEqual(5 * sd);
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
