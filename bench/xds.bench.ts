/**
 * xDS server under load, on loopback: N lightweight ADS clients (raw grpc-js streams, one TCP
 * connection each) against a DiscoveryServer in a child process. For each N: connection setup
 * in batches; then, for a route (RDS), an endpoint-only (EDS) and a cluster (CDS) change, the
 * time from publishing the snapshot to the last client's ACK (p50/p99 over several changes),
 * each client's ACK latency, server CPU and pushes per change, pushes/s, and response bytes.
 * SotW and Delta are compared on the same changes; encode cost per resource is compared with
 * plain protobufjs encoding. Ratios are against baselines measured in the same run.
 *
 * Run: `npx tsx bench/xds.bench.ts [--n 100,1000,5000] [--delta-n 100,1000] [--changes 5]
 *       [--services 20] [--batch 250] [--max-seconds 900]`
 * Bounded: every wait has a timeout, the whole run a deadline; it stops by itself.
 */
import { fork, type ChildProcess } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import { encodeResource } from "../xds/encode/encode-resource";
import { findMessageType } from "../xds/encode/proto-root";
import { TypeUrl } from "../xds/encode/type-urls";
import { AdsLoadClient } from "./xds/ads-load-client";
import { meshObjects, meshSnapshot, serviceNames, type MeshGeneration } from "./xds/bench-mesh";
import { runBenchServer, type ServerCommand, type ServerStats } from "./xds/bench-server";

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const list = (s: string): number[] => (s === "" ? [] : s.split(",").map(Number));

type ChangeKind = "route" | "endpoint" | "cluster";
const KIND_TYPE: Record<ChangeKind, string> = {
  route: TypeUrl.route,
  endpoint: TypeUrl.endpoint,
  cluster: TypeUrl.cluster,
};

/** A command without the id the helper assigns (distributed over the union). */
type Command = ServerCommand extends infer C ? (C extends unknown ? Omit<C, "id"> : never) : never;

/** The server child and a request/response helper over IPC. */
async function startServer(services: number): Promise<{
  port: number;
  ask: (command: Command) => Promise<Record<string, unknown>>;
  child: ChildProcess;
}> {
  const child = fork(process.argv[1]!, ["--server", String(services)], { stdio: "inherit" });
  const pending = new Map<number, (m: Record<string, unknown>) => void>();
  let ids = 0;
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.on("message", (m: Record<string, unknown>) => {
      if (m.ready) resolve(Number(m.port));
      else pending.get(Number(m.id))?.(m);
    });
  });
  const ask = (command: Command) =>
    new Promise<Record<string, unknown>>(resolve => {
      const id = ++ids;
      pending.set(id, resolve);
      child.send({ ...command, id });
    });
  return { port, ask, child };
}

/** What the clients are waiting for: every client ACKing `version` of `typeUrl`. */
interface Target {
  typeUrl: string;
  version: string;
  t0: number;
  latencies: number[];
  bytes: number;
  resolve?: () => void;
}

const pct = (xs: readonly number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const until = (pred: () => boolean, ms: number): Promise<boolean> =>
  new Promise(resolve => {
    const deadline = performance.now() + ms;
    const tick = () =>
      pred() ? resolve(true) : performance.now() > deadline ? resolve(false) : setTimeout(tick, 2);
    tick();
  });

/** Results of one (variant, N) run. */
interface RunResult {
  variant: "sotw" | "delta";
  n: number;
  reached: number;
  setupSeconds: number;
  rssBaseMb: number;
  rssMb: number;
  changes: Record<
    string,
    {
      lastAckMs: number[];
      clientMs: number[];
      cpuMsPerChange: number;
      pushesPerChange: number;
      bytesPerChange: number;
      complete: number;
    }
  >;
  clientCpuMs: number;
}

async function run(
  variant: "sotw" | "delta",
  n: number,
  opts: { services: number; changes: number; batch: number; deadline: number },
): Promise<RunResult> {
  const server = await startServer(opts.services);
  const stats = async () => (await server.ask({ cmd: "stats" })).stats as ServerStats;
  const base = await stats();
  const subscriptions = new Map<string, string[]>([
    [TypeUrl.cluster, []],
    [TypeUrl.endpoint, [...Array(opts.services).keys()].map(i => serviceNames(i).cluster)],
    [TypeUrl.listener, []],
    [TypeUrl.route, [...Array(opts.services).keys()].map(i => serviceNames(i).route)],
  ]);
  let target: Target | undefined;
  let done = 0;
  const synced = new Uint8Array(n); // bit per type ACKed at least once
  const reachedAt = new Int32Array(n).fill(-1);
  let seq = 0;
  const channels: grpc.Client[] = [];
  const clients: AdsLoadClient[] = [];
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  let reached = 0;
  for (let from = 0; from < n && performance.now() < opts.deadline; from += opts.batch) {
    const to = Math.min(n, from + opts.batch);
    for (let i = from; i < to; i++) {
      // A local subchannel pool gives every client its own TCP connection, as real proxies have.
      const channel = new grpc.Client(
        `127.0.0.1:${server.port}`,
        grpc.credentials.createInsecure(),
        { "grpc.use_local_subchannel_pool": 1 },
      );
      channels.push(channel);
      const bit: Record<string, number> = {
        [TypeUrl.cluster]: 1,
        [TypeUrl.endpoint]: 2,
        [TypeUrl.listener]: 4,
        [TypeUrl.route]: 8,
      };
      const client = new AdsLoadClient(
        channel,
        `bench~${i}`,
        variant,
        (typeUrl, version, bytes) => {
          synced[i]! |= bit[typeUrl] ?? 0;
          const t = target;
          if (!t) return;
          t.bytes += bytes;
          if (typeUrl === t.typeUrl && version === t.version && reachedAt[i] !== seq) {
            reachedAt[i] = seq;
            t.latencies.push(performance.now() - t.t0);
            if (++done === clients.length) t.resolve?.();
          }
        },
      );
      client.subscribe(subscriptions);
      clients.push(client);
    }
    const ok = await until(() => {
      for (let i = from; i < to; i++) if (synced[i] !== 15) return false;
      return true;
    }, 60_000);
    if (!ok) {
      console.log(
        `  ${variant} N=${n}: batch ${from}..${to} did not sync within 60 s; stopping at ${from}`,
      );
      break;
    }
    reached = to;
  }
  const setupSeconds = (performance.now() - started) / 1000;
  const afterSetup = await stats();

  const generation: MeshGeneration = { route: 0, endpoint: 0, cluster: 0 };
  const changes: RunResult["changes"] = {};
  for (const kind of ["route", "endpoint", "cluster"] as ChangeKind[]) {
    const lastAckMs: number[] = [];
    const clientMs: number[] = [];
    let cpu = 0;
    let pushes = 0;
    let bytes = 0;
    let complete = 0;
    for (let c = 0; c < opts.changes && reached === n && performance.now() < opts.deadline; c++) {
      (generation as Record<ChangeKind, number>)[kind] += 1;
      const version = meshSnapshot(opts.services, generation).versions.get(
        KIND_TYPE[kind] as never,
      )!;
      const before = await stats();
      seq += 1;
      done = 0;
      const t: Target = { typeUrl: KIND_TYPE[kind], version, t0: 0, latencies: [], bytes: 0 };
      const all = new Promise<void>(resolve => (t.resolve = resolve));
      target = t;
      t.t0 = performance.now();
      const published = server.ask({ cmd: "publish", generation: { ...generation } });
      const finished = await Promise.race([
        all.then(() => true),
        new Promise<boolean>(r => setTimeout(() => r(false), 30_000 + n * 10)),
      ]);
      const elapsed = Math.max(...t.latencies, 0);
      await published;
      await new Promise(r => setTimeout(r, 50)); // let straggling ACKs land before reading CPU
      const after = await stats();
      target = undefined;
      if (finished) complete += 1;
      lastAckMs.push(elapsed);
      clientMs.push(...t.latencies);
      cpu += (after.cpuMicros - before.cpuMicros) / 1000;
      pushes += after.pushes - before.pushes;
      bytes += t.bytes;
    }
    const k = Math.max(1, lastAckMs.length);
    changes[kind] = {
      lastAckMs,
      clientMs,
      cpuMsPerChange: cpu / k,
      pushesPerChange: pushes / k,
      bytesPerChange: bytes / k,
      complete,
    };
  }
  const cpu1 = process.cpuUsage(cpu0);
  for (const c of clients) c.close();
  for (const ch of channels) ch.close();
  await server.ask({ cmd: "stop" });
  return {
    variant,
    n,
    reached,
    setupSeconds,
    rssBaseMb: base.rssBytes / 2 ** 20,
    rssMb: afterSetup.rssBytes / 2 ** 20,
    changes,
    clientCpuMs: (cpu1.user + cpu1.system) / 1000,
  };
}

/** Encode cost per resource kind: the checked encoder vs plain protobufjs encoding. */
function encodeCost(services: number): void {
  const objects = meshObjects(1, { route: 0, endpoint: 0, cluster: 0 });
  const rate = (op: () => void): number => {
    for (let i = 0; i < 200; i++) op();
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < 500) {
      op();
      n++;
    }
    return ((performance.now() - start) * 1000) / n; // µs per op
  };
  console.log("\nEncode cost per resource (µs); baseline = protobufjs fromObject+encode alone");
  console.log("kind                  plain   checked   ratio   bytes");
  for (const object of objects) {
    const typeUrl = object["@type"];
    const type = findMessageType(typeUrl.slice(typeUrl.lastIndexOf("/") + 1))!;
    const body: Record<string, unknown> = { ...object };
    delete body["@type"];
    const plain = rate(() => type.encode(type.fromObject(body)).finish());
    const checked = rate(() => encodeResource(object));
    const size = type.encode(type.fromObject(body)).finish().length;
    const kind = typeUrl.slice(typeUrl.lastIndexOf(".") + 1);
    console.log(
      `${kind.padEnd(20)} ${plain.toFixed(1).padStart(6)}   ${checked.toFixed(1).padStart(7)}   ${(checked / plain).toFixed(1).padStart(4)}x   ${size}`,
    );
  }
  const start = performance.now();
  const reps = 20;
  for (let i = 0; i < reps; i++) meshSnapshot(services, { route: i, endpoint: 0, cluster: 0 });
  const ms = (performance.now() - start) / reps;
  console.log(
    `createSnapshot of ${services * 4} resources: ${ms.toFixed(1)} ms (${((ms * 1000) / (services * 4)).toFixed(1)} µs/resource, with hashing and the consistency check)`,
  );
}

function report(results: RunResult[]): void {
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "-");
  console.log("\nConnections (server in a child process; RSS after all clients synced)");
  console.log(
    "variant      N   reached   setup s   conn/s   server RSS MB   KB/conn   client CPU s",
  );
  for (const r of results) {
    console.log(
      `${r.variant.padEnd(7)} ${String(r.n).padStart(5)}   ${String(r.reached).padStart(7)}   ${f(r.setupSeconds).padStart(7)}   ${f(r.reached / r.setupSeconds, 0).padStart(6)}   ${f(r.rssBaseMb, 0).padStart(5)} → ${f(r.rssMb, 0).padStart(5)}   ${f(((r.rssMb - r.rssBaseMb) * 1024) / Math.max(1, r.reached)).padStart(7)}   ${f(r.clientCpuMs / 1000).padStart(12)}`,
    );
  }
  for (const kind of ["route", "endpoint", "cluster"]) {
    console.log(
      `\n${kind} change (${KIND_TYPE[kind as ChangeKind].split(".").pop()}): publish → ACK; ratio vs the smallest N of the same variant`,
    );
    console.log(
      "variant      N   changes   last ACK p50 / p99 ms   client ACK p50 / p99 ms   server CPU ms   pushes   pushes/s   KB sent   ratio p50",
    );
    for (const r of results) {
      const c = r.changes[kind];
      if (!c || c.lastAckMs.length === 0) continue;
      const base = results.find(b => b.variant === r.variant && b.changes[kind]?.lastAckMs.length)!;
      const p50 = pct(c.lastAckMs, 50);
      const baseP50 = pct(base.changes[kind]!.lastAckMs, 50);
      console.log(
        `${r.variant.padEnd(7)} ${String(r.n).padStart(5)}   ${`${c.complete}/${c.lastAckMs.length}`.padStart(7)}   ${f(p50).padStart(9)} / ${f(pct(c.lastAckMs, 99)).padStart(9)}   ${f(pct(c.clientMs, 50)).padStart(11)} / ${f(pct(c.clientMs, 99)).padStart(9)}   ${f(c.cpuMsPerChange).padStart(13)}   ${f(c.pushesPerChange, 0).padStart(6)}   ${f(c.pushesPerChange / (p50 / 1000), 0).padStart(8)}   ${f(c.bytesPerChange / 1024).padStart(7)}   ${f(p50 / baseP50, 2).padStart(8)}x`,
      );
    }
  }
  const sotwVsDelta = results.filter(r => r.variant === "delta");
  if (sotwVsDelta.length > 0) {
    console.log("\nSotW vs Delta at equal N (bytes and time per change; ratio = Delta / SotW)");
    for (const d of sotwVsDelta) {
      const s = results.find(r => r.variant === "sotw" && r.n === d.n);
      if (!s) continue;
      for (const kind of ["endpoint", "cluster"]) {
        const a = s.changes[kind]!;
        const b = d.changes[kind]!;
        console.log(
          `N=${d.n} ${kind.padEnd(8)}  bytes ${f(a.bytesPerChange / 1024)} KB → ${f(b.bytesPerChange / 1024)} KB (${f(b.bytesPerChange / a.bytesPerChange, 2)}x)   last ACK p50 ${f(pct(a.lastAckMs, 50))} → ${f(pct(b.lastAckMs, 50))} ms (${f(pct(b.lastAckMs, 50) / pct(a.lastAckMs, 50), 2)}x)   server CPU ${f(a.cpuMsPerChange)} → ${f(b.cpuMsPerChange)} ms`,
        );
      }
    }
  }
}

async function main(): Promise<void> {
  const services = Number(arg("services", "20"));
  const opts = {
    services,
    changes: Number(arg("changes", "5")),
    batch: Number(arg("batch", "250")),
    deadline: performance.now() + Number(arg("max-seconds", "900")) * 1000,
  };
  const sotwNs = list(arg("n", "100,1000,5000"));
  const deltaNs = list(arg("delta-n", "100,1000"));
  console.log(
    `xDS load: ${services} services (${services * 4} resources), ${opts.changes} changes per kind, batches of ${opts.batch}, Node ${process.version}, loopback`,
  );
  encodeCost(services);
  const results: RunResult[] = [];
  for (const [variant, ns] of [
    ["sotw", sotwNs],
    ["delta", deltaNs],
  ] as const) {
    for (const n of ns) {
      if (performance.now() > opts.deadline) {
        console.log(`deadline reached; skipping ${variant} N=${n}`);
        continue;
      }
      console.log(`running ${variant} N=${n} …`);
      results.push(await run(variant, n, opts));
    }
  }
  report(results);
}

if (process.argv.includes("--server")) {
  void runBenchServer(Number(arg("server", "20")));
} else {
  main().then(
    () => process.exit(0),
    err => {
      console.error(err);
      process.exit(1);
    },
  );
}
