/**
 * A stand-in for a Kubernetes Service in front of control-plane replicas, on loopback: a TCP
 * relay that sends each new connection to the next *ready* replica (round robin), as kube-proxy
 * does with the endpoints the kubelet's readiness probes leave in the EndpointSlice. Established
 * connections stay where they are, as with a real Service; when a replica's end closes, the
 * client's end closes too, and the client's reconnect picks again. A connect that fails (the
 * replica died between two probes) moves on to the next ready replica, like a SYN retried to
 * another endpoint after the endpoint was removed.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { request } from "node:http";

/** One replica behind the Service. */
export interface ServiceBackend {
  /** Name used in reports (`a`, `b`). */
  readonly name: string;
  /** Its xDS port on 127.0.0.1. */
  readonly port: number;
  /** Its `/ready` port on 127.0.0.1; without one the replica counts as ready while it accepts. */
  readonly readyPort?: number;
}

/** A running Service stand-in. */
export interface ServiceProxy {
  /**
   * The addresses clients dial, `host:port`, one per listen host. grpc-js shares one connection
   * among channels with the same target and options (its global subchannel pool), so proxies
   * hosted in one test process each dial their own address, as pods on different nodes would.
   */
  readonly addresses: readonly string[];
  /** Names of the replicas the last probes found ready. */
  ready(): string[];
  /** Open connections per replica name. */
  connections(): Record<string, number>;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * Starts the relay on each of `hosts` (127.0.0.x); replicas are probed every `probeMs` (the
 * kubelet's `periodSeconds`).
 */
export async function startServiceProxy(
  backends: readonly ServiceBackend[],
  { hosts = ["127.0.0.1"], probeMs = 250 }: { hosts?: readonly string[]; probeMs?: number } = {},
): Promise<ServiceProxy> {
  const ready = new Set(backends.filter(b => b.readyPort === undefined).map(b => b.name));
  const open = new Map<string, Set<Socket>>(backends.map(b => [b.name, new Set()]));
  let next = 0;
  const probe = async () => {
    await Promise.all(
      backends.map(async b => {
        if (b.readyPort === undefined) return;
        if (await isReady(b.readyPort)) ready.add(b.name);
        else ready.delete(b.name);
      }),
    );
  };
  await probe();
  const timer = setInterval(() => void probe(), probeMs);

  const relay = (client: Socket, tried: Set<string>) => {
    const candidates = backends.filter(b => ready.has(b.name) && !tried.has(b.name));
    if (candidates.length === 0) {
      client.destroy();
      return;
    }
    const backend = candidates[next++ % candidates.length]!;
    tried.add(backend.name);
    const upstream = connect(backend.port, "127.0.0.1");
    let connected = false;
    upstream.once("connect", () => {
      connected = true;
      open.get(backend.name)!.add(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on("error", () => {
      if (!connected) relay(client, tried);
      else client.destroy();
    });
    upstream.on("close", () => {
      open.get(backend.name)!.delete(upstream);
      if (connected) client.destroy();
    });
    client.on("error", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
  };

  const servers: Server[] = [];
  const addresses: string[] = [];
  for (const host of hosts) {
    if (!/^127\.\d+\.\d+\.\d+$/.test(host)) throw new Error(`${host} is not a loopback address`);
    const server = createServer(client => {
      client.pause();
      relay(client, new Set());
    });
    servers.push(server);
    const port = await new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, host, () => {
        const address = server.address();
        resolve(typeof address === "object" && address ? address.port : 0);
      });
    });
    addresses.push(`${host}:${port}`);
  }
  return {
    addresses,
    ready: () => backends.filter(b => ready.has(b.name)).map(b => b.name),
    connections: () => Object.fromEntries([...open].map(([name, set]) => [name, set.size])),
    close: async () => {
      clearInterval(timer);
      for (const set of open.values()) for (const s of set) s.destroy();
      await Promise.all(servers.map(s => new Promise<void>(resolve => s.close(() => resolve()))));
    },
  };
}

/** Whether `GET /ready` on 127.0.0.1:`port` answers 200 within a second. */
export function isReady(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const req = request({ host: "127.0.0.1", port, path: "/ready", timeout: 1000 }, res => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(false));
    req.end();
  });
}
