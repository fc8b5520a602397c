/**
 * The xDS benchmark's moving parts: one or more discovery-server child processes (replicas
 * serving the same snapshot), well-behaved ADS clients spread across them by address, bad
 * clients (one that never reads its connection, one that never ACKs), and the measurement of
 * one change: publish on every replica, then wait for every well-behaved client's ACK of the
 * new version. Every wait has a timeout. Loopback only.
 */
import { fork, type ChildProcess } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import { TypeUrl } from "../../xds/encode/type-urls";
import { StalledReader } from "../../test/harness/xds-stalled-reader";
import { AdsLoadClient, type Subscriptions } from "./ads-load-client";
import { meshSnapshot, serviceNames, type MeshGeneration } from "./bench-mesh";
import type { ServerCommand, ServerStats } from "./bench-server";

/** A command without the id the helper assigns (distributed over the union). */
type Command = ServerCommand extends infer C ? (C extends unknown ? Omit<C, "id"> : never) : never;

/** One server child and a request/response helper over IPC. */
export interface Replica {
  readonly port: number;
  readonly ask: (command: Command) => Promise<Record<string, unknown>>;
  readonly child: ChildProcess;
}

/** Forks `script --server <services>` with --expose-gc and waits for its port. */
export async function startReplica(script: string, services: number): Promise<Replica> {
  const child = fork(script, ["--server", String(services)], {
    stdio: "inherit",
    execArgv: [...process.execArgv, "--expose-gc"],
  });
  const pending = new Map<number, (m: Record<string, unknown>) => void>();
  let ids = 0;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("server child not ready in 60 s")), 60_000);
    child.once("error", reject);
    child.on("message", (m: Record<string, unknown>) => {
      if (m.ready) {
        clearTimeout(timer);
        resolve(Number(m.port));
      } else pending.get(Number(m.id))?.(m);
    });
  });
  const ask = (command: Command) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = ++ids;
      const timer = setTimeout(() => reject(new Error(`server ${command.cmd}: no answer`)), 60_000);
      pending.set(id, m => {
        clearTimeout(timer);
        pending.delete(id);
        resolve(m);
      });
      child.send({ ...command, id });
    });
  return { port, ask, child };
}

/** The kinds of change measured, and the type whose ACK ends each. */
export type ChangeKind = "route" | "endpoint" | "cluster";
export const KIND_TYPE: Record<ChangeKind, string> = {
  route: TypeUrl.route,
  endpoint: TypeUrl.endpoint,
  cluster: TypeUrl.cluster,
};

/** One change as the well-behaved clients saw it. */
export interface ChangeResult {
  /** Publish → last client's ACK, ms (the longest latency seen if not all ACKed in time). */
  readonly lastAckMs: number;
  /** Each client's publish → ACK, ms. */
  readonly clientMs: number[];
  readonly complete: boolean;
  /** Server CPU over all replicas, ms. */
  readonly cpuMs: number;
  /** CPU of the process running the clients, ms. */
  readonly driverCpuMs: number;
  readonly pushes: number;
  readonly bytes: number;
}

/** Polls `pred` every 2 ms until true or `ms` passed. */
export const until = (pred: () => boolean, ms: number): Promise<boolean> =>
  new Promise(resolve => {
    const deadline = performance.now() + ms;
    const tick = () =>
      pred() ? resolve(true) : performance.now() > deadline ? resolve(false) : setTimeout(tick, 2);
    tick();
  });

/** Percentile `p` of `xs` (nearest rank); NaN when empty. */
export const pct = (xs: readonly number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

const TYPE_BIT: Record<string, number> = {
  [TypeUrl.cluster]: 1,
  [TypeUrl.endpoint]: 2,
  [TypeUrl.listener]: 4,
  [TypeUrl.route]: 8,
};
const ALL_TYPES = 15;

/** What the client is waiting for: every well-behaved client ACKing `version` of `typeUrl`. */
interface Target {
  typeUrl: string;
  version: string;
  t0: number;
  latencies: number[];
  bytes: number;
  resolve?: () => void;
}

/** Replicas and their clients; the mesh generation they all serve. */
export class Fleet {
  readonly #good: AdsLoadClient[] = [];
  readonly #channels: grpc.Client[] = [];
  readonly #silent: { client: AdsLoadClient; channel: grpc.Client; synced: number }[] = [];
  readonly #stalled: StalledReader[] = [];
  readonly #synced: number[] = [];
  readonly #reachedAt: number[] = [];
  readonly #subscriptions: Subscriptions;
  #target?: Target;
  #done = 0;
  #seq = 0;
  /** The mesh generation last published. */
  readonly generation: { -readonly [K in keyof MeshGeneration]: number } = {
    route: 0,
    endpoint: 0,
    cluster: 0,
  };

  constructor(
    readonly replicas: readonly Replica[],
    private readonly services: number,
    private readonly variant: "sotw" | "delta" = "sotw",
  ) {
    this.#subscriptions = new Map<string, string[]>([
      [TypeUrl.cluster, []],
      [TypeUrl.endpoint, [...Array(services).keys()].map(i => serviceNames(i).cluster)],
      [TypeUrl.listener, []],
      [TypeUrl.route, [...Array(services).keys()].map(i => serviceNames(i).route)],
    ]);
  }

  /** Well-behaved clients connected and synced so far. */
  get size(): number {
    return this.#good.length;
  }

  get silentCount(): number {
    return this.#silent.length;
  }

  get stalledCount(): number {
    return this.#stalled.length;
  }

  // Client i talks to replica i mod R, as a Service spreading connections would.
  #portFor(i: number): number {
    return this.replicas[i % this.replicas.length]!.port;
  }

  // A local subchannel pool gives every client its own TCP connection, as real proxies have.
  #channel(i: number): grpc.Client {
    return new grpc.Client(`127.0.0.1:${this.#portFor(i)}`, grpc.credentials.createInsecure(), {
      "grpc.use_local_subchannel_pool": 1,
    });
  }

  /**
   * Connects well-behaved clients up to `n`, `batch` at a time, each batch synced (all four
   * types ACKed) within 60 s. Resolves to the number reached (less than `n` on a timeout or
   * the deadline).
   */
  async connect(n: number, batch: number, deadline: number): Promise<number> {
    for (let from = this.#good.length; from < n && performance.now() < deadline; from += batch) {
      const to = Math.min(n, from + batch);
      for (let i = from; i < to; i++) {
        const channel = this.#channel(i);
        this.#channels.push(channel);
        this.#synced[i] = 0;
        this.#reachedAt[i] = -1;
        const client = new AdsLoadClient(channel, `bench~${i}`, this.variant, (t, v, b) =>
          this.#onAck(i, t, v, b),
        );
        client.subscribe(this.#subscriptions);
        this.#good.push(client);
      }
      const ok = await until(() => {
        for (let i = from; i < to; i++) if (this.#synced[i] !== ALL_TYPES) return false;
        return true;
      }, 60_000);
      if (!ok) {
        console.log(`  batch ${from}..${to} did not sync within 60 s; stopping at ${from}`);
        return from;
      }
    }
    return this.#good.length;
  }

  #onAck(i: number, typeUrl: string, version: string, bytes: number): void {
    this.#synced[i]! |= TYPE_BIT[typeUrl] ?? 0;
    const t = this.#target;
    if (!t) return;
    t.bytes += bytes;
    if (typeUrl === t.typeUrl && version === t.version && this.#reachedAt[i] !== this.#seq) {
      this.#reachedAt[i] = this.#seq;
      t.latencies.push(performance.now() - t.t0);
      if (++this.#done === this.#good.length) t.resolve?.();
    }
  }

  /**
   * Adds clients that read every response and never ACK, up to `count`; resolves once each
   * received all four types (or false after 30 s).
   */
  async addSilent(count: number): Promise<boolean> {
    const from = this.#silent.length;
    for (let k = from; k < count; k++) {
      const channel = this.#channel(k);
      const entry = { client: undefined as unknown as AdsLoadClient, channel, synced: 0 };
      entry.client = new AdsLoadClient(
        channel,
        `silent~${k}`,
        this.variant,
        typeUrl => (entry.synced |= TYPE_BIT[typeUrl] ?? 0),
        false,
      );
      entry.client.subscribe(this.#subscriptions);
      this.#silent.push(entry);
    }
    return until(() => this.#silent.every(s => s.synced === ALL_TYPES), 30_000);
  }

  /**
   * Adds clients that never read their connection, up to `count`; resolves once every replica
   * counts them connected and holds responses for each of them unsent (or false after 30 s).
   */
  async addStalled(count: number, windowBytes: number): Promise<boolean> {
    const from = this.#stalled.length;
    for (let k = from; k < count; k++) {
      this.#stalled.push(
        new StalledReader({
          port: this.#portFor(k),
          nodeId: `stalled~${k}`,
          subscriptions: this.#subscriptions,
          windowBytes,
        }),
      );
    }
    const expected = this.#good.length + this.#silent.length + this.#stalled.length;
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline) {
      const stats = await this.stats(false);
      const connected = stats.reduce((s, x) => s + x.connected, 0);
      const backlog = stats.reduce((s, x) => s + x.backlogStreams, 0);
      if (connected >= expected && backlog >= this.#stalled.length) return true;
      await new Promise(r => setTimeout(r, 100));
    }
    return false;
  }

  /** Closes every bad client; resolves once the replicas count only the well-behaved ones. */
  async dropBadClients(): Promise<boolean> {
    for (const s of this.#silent.splice(0)) {
      s.client.close();
      s.channel.close();
    }
    for (const s of this.#stalled.splice(0)) s.close();
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline) {
      const stats = await this.stats(false);
      if (stats.reduce((s, x) => s + x.connected, 0) <= this.#good.length) return true;
      await new Promise(r => setTimeout(r, 100));
    }
    return false;
  }

  /** Every replica's counters (`gc`: after a full collection). */
  async stats(gc: boolean): Promise<ServerStats[]> {
    return Promise.all(
      this.replicas.map(async r => (await r.ask({ cmd: "stats", gc })).stats as ServerStats),
    );
  }

  /**
   * Publishes the next generation of `kind` on every replica and measures publish → each
   * well-behaved client's ACK of it (timeout 30 s + 10 ms per client).
   */
  async change(kind: ChangeKind): Promise<ChangeResult> {
    this.generation[kind] += 1;
    const version = meshSnapshot(this.services, this.generation).versions.get(
      KIND_TYPE[kind] as never,
    )!;
    const before = await this.stats(false);
    const driverBefore = process.cpuUsage();
    this.#seq += 1;
    this.#done = 0;
    const t: Target = { typeUrl: KIND_TYPE[kind], version, t0: 0, latencies: [], bytes: 0 };
    const all = new Promise<void>(resolve => (t.resolve = resolve));
    this.#target = t;
    t.t0 = performance.now();
    const published = Promise.all(
      this.replicas.map(r => r.ask({ cmd: "publish", generation: { ...this.generation } })),
    );
    let timer: NodeJS.Timeout | undefined;
    const complete = await Promise.race([
      all.then(() => true),
      new Promise<boolean>(r => (timer = setTimeout(() => r(false), 30_000 + this.size * 10))),
    ]);
    clearTimeout(timer);
    const lastAckMs = Math.max(...t.latencies, 0);
    await published;
    await new Promise(r => setTimeout(r, 50)); // let straggling ACKs land before reading CPU
    const driver = process.cpuUsage(driverBefore);
    const after = await this.stats(false);
    this.#target = undefined;
    const sum = (xs: ServerStats[], f: (s: ServerStats) => number) =>
      xs.reduce((s, x) => s + f(x), 0);
    return {
      lastAckMs,
      clientMs: t.latencies,
      complete,
      cpuMs: (sum(after, s => s.cpuMicros) - sum(before, s => s.cpuMicros)) / 1000,
      driverCpuMs: (driver.user + driver.system) / 1000,
      pushes: sum(after, s => s.pushes) - sum(before, s => s.pushes),
      bytes: t.bytes,
    };
  }

  /** Closes every client and stops every replica. */
  async close(): Promise<void> {
    await this.dropBadClients();
    for (const c of this.#good) c.close();
    for (const ch of this.#channels) ch.close();
    await Promise.all(this.replicas.map(r => r.ask({ cmd: "stop" }).catch(() => undefined)));
  }
}
