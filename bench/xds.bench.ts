/**
 * xDS server under load, on loopback: lightweight ADS clients (raw grpc-js streams, one TCP
 * connection each) against DiscoveryServers in child processes. Figures are ratios against
 * baselines measured in the same run.
 *
 * 1. Scaling (`--n`, `--delta-n`): for each N, connection setup in batches; then, for a route
 *    (RDS), an endpoint-only (EDS) and a cluster (CDS) change, the time from publishing the
 *    snapshot to the last client's ACK (p50/p99 over several changes), each client's ACK
 *    latency, server CPU and pushes per change, pushes/s, and response bytes. SotW and Delta
 *    are compared on the same changes; encode cost per resource against plain protobufjs.
 * 2. Load (`--load-n`, SotW): N clients on one replica, change → last ACK; then bad clients
 *    added in steps (`--bad`, that many of each kind): stalled readers, which never read their
 *    connection (raw HTTP/2 with a `--slow-window`-byte stream window, socket paused, so the
 *    server's writes back up), and silent clients, which read every response and never ACK.
 *    At each step the same changes are measured for the N well-behaved clients, with the bad
 *    clients there and again after they left (ratio: with / mean of the runs without just
 *    before and after, goal ≤ 1.5×); the server's heap (after GC) and RSS give memory per bad
 *    client, checked again after `--flat-changes` more changes (flat = bounded). Memory per
 *    connected client comes from the same replica before and after the N clients connected.
 * 3. Replicas: the same N clients spread over two replicas (same snapshot; client i talks to
 *    replica i mod 2), change → last ACK, ratio two / one (one: every run of section 2
 *    without bad clients, pooled).
 *
 * Run: `npx tsx bench/xds.bench.ts [--n 100,1000] [--delta-n 100] [--load-n 1000]
 *       [--bad 1,10,50] [--changes 5] [--mem-changes 3] [--flat-changes 9]
 *       [--slow-window 1024] [--warmup 3] [--services 20] [--batch 250] [--max-seconds 600]`
 *   --n / --delta-n   client counts of the scaling section, SotW / Delta ("" skips)
 *   --load-n          well-behaved clients of the load and replica sections (0 skips both);
 *                     the full figure of issue 17 is `--load-n 5000`
 *   --bad             bad clients of each kind per step, dropped after it ("" skips)
 *   --changes         changes of each kind (route, endpoint, cluster) per measurement
 *   --mem-changes     changes pushed after adding each kind of bad client, before its memory
 *   --flat-changes    further changes after which memory is read again (flatness)
 *   --slow-window     HTTP/2 stream window, bytes, a stalled reader announces
 *   --warmup          unmeasured changes before each replica's first measurement (JIT)
 *   --max-seconds     deadline of the whole run; sections not started by then are skipped
 * The default run takes about 2–3 minutes on 2 cores; `--n "" --delta-n "" --load-n 5000` about 5 minutes.
 * Bounded: every wait has a timeout, the whole run a deadline; it stops by itself.
 */
import { encodeResource } from "../xds/encode/encode-resource";
import { findMessageType } from "../xds/encode/proto-root";
import { runBenchServer, type ServerStats } from "./xds/bench-server";
import { meshObjects, meshSnapshot } from "./xds/bench-mesh";
import {
  Fleet,
  KIND_TYPE,
  pct,
  startReplica,
  type ChangeKind,
  type ChangeResult,
} from "./xds/fleet";

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
};
const list = (s: string): number[] => (s === "" ? [] : s.split(",").map(Number));
const KINDS: readonly ChangeKind[] = ["route", "endpoint", "cluster"];

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

interface Options {
  services: number;
  changes: number;
  batch: number;
  deadline: number;
}

async function run(variant: "sotw" | "delta", n: number, opts: Options): Promise<RunResult> {
  const fleet = new Fleet(
    [await startReplica(process.argv[1]!, opts.services)],
    opts.services,
    variant,
  );
  const [base] = await fleet.stats(false);
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const reached = await fleet.connect(n, opts.batch, opts.deadline);
  const setupSeconds = (performance.now() - started) / 1000;
  const [afterSetup] = await fleet.stats(false);

  const changes: RunResult["changes"] = {};
  for (const kind of KINDS) {
    const results: ChangeResult[] = [];
    for (let c = 0; c < opts.changes && reached === n && performance.now() < opts.deadline; c++)
      results.push(await fleet.change(kind));
    const k = Math.max(1, results.length);
    const total = (f: (r: ChangeResult) => number) => results.reduce((s, r) => s + f(r), 0);
    changes[kind] = {
      lastAckMs: results.map(r => r.lastAckMs),
      clientMs: results.flatMap(r => r.clientMs),
      cpuMsPerChange: total(r => r.cpuMs) / k,
      pushesPerChange: total(r => r.pushes) / k,
      bytesPerChange: total(r => r.bytes) / k,
      complete: results.filter(r => r.complete).length,
    };
  }
  const cpu1 = process.cpuUsage(cpu0);
  await fleet.close();
  return {
    variant,
    n,
    reached,
    setupSeconds,
    rssBaseMb: base!.rssBytes / 2 ** 20,
    rssMb: afterSetup!.rssBytes / 2 ** 20,
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

/** One measurement of the load section: changes of every kind, for the well-behaved clients. */
interface Measured {
  label: string;
  lastAckMs: number[];
  clientMs: number[];
  complete: number;
  cpuMsPerChange: number;
  /** CPU of this process (every client), which shares the 2 cores with the replicas. */
  driverCpuMsPerChange: number;
}

async function measure(fleet: Fleet, label: string, opts: Options): Promise<Measured> {
  // Every measurement starts from a collected heap, so that one does not carry another's
  // garbage (at 5,000 clients a major GC in the replica is a visible part of a change).
  await fleet.stats(true);
  const results: ChangeResult[] = [];
  for (let c = 0; c < opts.changes && performance.now() < opts.deadline; c++)
    for (const kind of KINDS) results.push(await fleet.change(kind));
  return {
    label,
    lastAckMs: results.map(r => r.lastAckMs),
    clientMs: results.flatMap(r => r.clientMs),
    complete: results.filter(r => r.complete).length,
    cpuMsPerChange: results.reduce((s, r) => s + r.cpuMs, 0) / Math.max(1, results.length),
    driverCpuMsPerChange:
      results.reduce((s, r) => s + r.driverCpuMs, 0) / Math.max(1, results.length),
  };
}

/** A fresh replica's first pushes run cold (JIT); `--warmup` changes go unmeasured first. */
async function warmThenMeasure(
  fleet: Fleet,
  label: string,
  opts: Options & { warmup: number },
): Promise<Measured> {
  await changes(fleet, opts.warmup, opts.deadline);
  return measure(fleet, label, opts);
}

/** Heap after GC and RSS of one replica, bytes. */
interface Memory {
  heap: number;
  rss: number;
}
const memoryOf = (s: ServerStats): Memory => ({ heap: s.heapUsedBytes, rss: s.rssBytes });
const perClient = (a: Memory, b: Memory, count: number): Memory => ({
  heap: (b.heap - a.heap) / Math.max(1, count),
  rss: (b.rss - a.rss) / Math.max(1, count),
});

/** One step of bad clients: their memory, and the change measurement while they are there. */
interface BadStep {
  count: number;
  stalled: Memory;
  silent: Memory;
  /** Growth per bad client over `--flat-changes` further changes. */
  growth: Memory;
  backlogMessages: number;
  measured: Measured;
}

interface LoadResult {
  n: number;
  reached: number;
  perConnected: Memory;
  /** Measurements without bad clients: before the first step and after each one. */
  without: Measured[];
  /** Step i ran between without[i] and without[i + 1]. */
  steps: BadStep[];
  two?: Measured;
  twoReached: number;
}

async function changes(fleet: Fleet, count: number, deadline: number): Promise<void> {
  for (let i = 0; i < count && performance.now() < deadline; i++)
    await fleet.change(KINDS[i % KINDS.length]!);
}

/** Adds `count` bad clients of each kind, reads their memory, measures, and drops them. */
async function badStep(
  fleet: Fleet,
  count: number,
  opts: Options & { memChanges: number; flatChanges: number; slowWindow: number },
): Promise<BadStep> {
  console.log(`load: ${count} stalled readers and ${count} silent clients …`);
  await changes(fleet, 1, opts.deadline);
  const before = memoryOf((await fleet.stats(true))[0]!);
  if (!(await fleet.addStalled(count, opts.slowWindow)))
    console.log(`  stalled readers not all connected and backed up within 30 s`);
  await changes(fleet, opts.memChanges, opts.deadline);
  const withStalled = memoryOf((await fleet.stats(true))[0]!);
  if (!(await fleet.addSilent(count))) console.log(`  silent clients not all served within 30 s`);
  await changes(fleet, opts.memChanges, opts.deadline);
  const withSilent = memoryOf((await fleet.stats(true))[0]!);
  const measured = await measure(fleet, `+${count} stalled, +${count} silent`, opts);
  await changes(fleet, opts.flatChanges, opts.deadline);
  const [later] = await fleet.stats(true);
  if (!(await fleet.dropBadClients())) console.log(`  bad clients not all gone within 30 s`);
  return {
    count,
    stalled: perClient(before, withStalled, count),
    silent: perClient(withStalled, withSilent, count),
    growth: perClient(withSilent, memoryOf(later!), 2 * count),
    backlogMessages: later!.backlogMessages,
    measured,
  };
}

async function load(
  n: number,
  bad: readonly number[],
  opts: Options & { memChanges: number; flatChanges: number; slowWindow: number; warmup: number },
): Promise<LoadResult> {
  const script = process.argv[1]!;
  console.log(`load: ${n} clients on one replica …`);
  const fleet = new Fleet([await startReplica(script, opts.services)], opts.services);
  const empty = memoryOf((await fleet.stats(true))[0]!);
  const reached = await fleet.connect(n, opts.batch, opts.deadline);
  const connected = memoryOf((await fleet.stats(true))[0]!);
  const result: LoadResult = {
    n,
    reached,
    perConnected: perClient(empty, connected, reached),
    without: [await warmThenMeasure(fleet, "one replica, no bad clients", opts)],
    steps: [],
    twoReached: 0,
  };
  // Each step is bracketed by measurements without bad clients, so that drift over the run
  // (JIT, other load on the shared machine) weighs on both sides of its ratio.
  for (const count of bad) {
    if (performance.now() > opts.deadline || reached < n) break;
    result.steps.push(await badStep(fleet, count, opts));
    result.without.push(await measure(fleet, `no bad clients (after ${count})`, opts));
  }
  await fleet.close();
  if (performance.now() < opts.deadline) {
    console.log(`load: ${n} clients on two replicas …`);
    const replicas = await Promise.all([
      startReplica(script, opts.services),
      startReplica(script, opts.services),
    ]);
    const two = new Fleet(replicas, opts.services);
    result.twoReached = await two.connect(n, opts.batch, opts.deadline);
    if (result.twoReached === n) result.two = await warmThenMeasure(two, "two replicas", opts);
    await two.close();
  }
  return result;
}

function reportLoad(r: LoadResult, slowWindow: number): void {
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "-");
  const kb = (x: number) => f(x / 1024).padStart(8);
  const first = r.without[0]!;
  console.log(
    `\nLoad: ${r.reached}/${r.n} SotW clients; change → last ACK over ${first.lastAckMs.length} changes (route, endpoint, cluster in turn)`,
  );
  console.log(
    `memory per connected client: ${kb(r.perConnected.heap)} KB heap (after GC), ${kb(r.perConnected.rss)} KB RSS`,
  );
  console.log(
    "ratio: a step against the mean of the runs without bad clients just before and after it; the others against the first\n" +
      "clients                              changes   last ACK p50 / p99 ms   client ACK p50 / p99 ms   server CPU ms   clients CPU ms   ratio p50   ratio p99",
  );
  const p50 = (m: Measured) => pct(m.lastAckMs, 50);
  const p99 = (m: Measured) => pct(m.lastAckMs, 99);
  const row = (m: Measured, against: { p50: number; p99: number }) =>
    console.log(
      `${m.label.padEnd(34)} ${`${m.complete}/${m.lastAckMs.length}`.padStart(9)}   ${f(p50(m)).padStart(9)} / ${f(p99(m)).padStart(9)}   ${f(pct(m.clientMs, 50)).padStart(11)} / ${f(pct(m.clientMs, 99)).padStart(9)}   ${f(m.cpuMsPerChange).padStart(13)}   ${f(m.driverCpuMsPerChange).padStart(14)}   ${f(p50(m) / against.p50, 2).padStart(8)}x   ${f(p99(m) / against.p99, 2).padStart(8)}x`,
    );
  const ofFirst = { p50: p50(first), p99: p99(first) };
  const bracket = (i: number) => {
    const after = r.without[i + 1] ?? r.without[i]!;
    return {
      p50: (p50(r.without[i]!) + p50(after)) / 2,
      p99: (p99(r.without[i]!) + p99(after)) / 2,
    };
  };
  row(first, ofFirst);
  r.steps.forEach((s, i) => {
    row(s.measured, bracket(i));
    if (r.without[i + 1]) row(r.without[i + 1]!, ofFirst);
  });
  if (r.steps.length > 0) {
    const ratios = r.steps.map((s, i) => p50(s.measured) / bracket(i).p50);
    const worst = Math.max(...ratios);
    const worst99 = Math.max(...r.steps.map((s, i) => p99(s.measured) / bracket(i).p99));
    console.log(
      `with / without bad clients (worst step): p50 ${f(worst, 2)}x, p99 ${f(worst99, 2)}x (goal ≤ 1.5x)`,
    );
    console.log(
      `\nMemory per bad client (replica heap after GC / RSS, KB); stalled readers announce a ${slowWindow}-byte window`,
    );
    console.log(
      "step   stalled heap    RSS   silent heap    RSS   growth per bad client over more changes: heap    RSS   responses held unsent",
    );
    for (const s of r.steps) {
      console.log(
        `${String(s.count).padStart(4)}   ${kb(s.stalled.heap)} ${kb(s.stalled.rss)}   ${kb(s.silent.heap)} ${kb(s.silent.rss)}   ${" ".repeat(37)}${kb(s.growth.heap)} ${kb(s.growth.rss)}   ${String(s.backlogMessages).padStart(8)}`,
      );
    }
    const last = r.steps[r.steps.length - 1]!;
    // Flat: over the further changes the bad clients' heap grew by less than a tenth of what
    // they hold, or by less than 256 KB in all (the noise of a collected heap). Holding every
    // unread push would add about one response per type and change, per client.
    const held = last.count * (last.stalled.heap + last.silent.heap);
    const grown = 2 * last.count * last.growth.heap;
    const flat = Math.abs(grown) < Math.max(256 * 1024, 0.1 * Math.abs(held));
    console.log(
      `memory per bad client at ${last.count} of each: stalled ${f(last.stalled.heap, 0)} B heap, silent ${f(last.silent.heap, 0)} B heap; ` +
        `after more changes ${f(last.growth.heap, 0)} B heap per bad client (${f(grown / 1024)} KB in all): ${flat ? "flat (bounded)" : "GROWING"}`,
    );
  }
  if (r.two) {
    // One replica: every run without bad clients, pooled (it spans the whole first half).
    const pooled = r.without.flatMap(m => m.lastAckMs);
    const one = { p50: pct(pooled, 50), p99: pct(pooled, 99) };
    console.log(
      `\nReplicas: ${r.n} clients spread over two replicas; ratio against one replica, every run without bad clients pooled (p50 ${f(one.p50)} / p99 ${f(one.p99)} ms over ${pooled.length} changes)`,
    );
    row(r.two, one);
    console.log(
      `two / one replicas: p50 ${f(p50(r.two) / one.p50, 2)}x, p99 ${f(p99(r.two) / one.p99, 2)}x`,
    );
  } else if (r.twoReached < r.n) {
    console.log(`\nReplicas: only ${r.twoReached}/${r.n} clients synced on two replicas`);
  }
}

async function main(): Promise<void> {
  const services = Number(arg("services", "20"));
  const maxSeconds = Number(arg("max-seconds", "600"));
  const opts = {
    services,
    changes: Number(arg("changes", "5")),
    batch: Number(arg("batch", "250")),
    deadline: performance.now() + maxSeconds * 1000,
    memChanges: Number(arg("mem-changes", "3")),
    flatChanges: Number(arg("flat-changes", "9")),
    slowWindow: Number(arg("slow-window", "1024")),
    warmup: Number(arg("warmup", "3")),
  };
  // Past the deadline every section stops starting new work; this catches a wait that hangs.
  setTimeout(
    () => {
      console.error(`run exceeded --max-seconds ${maxSeconds} by 120 s; stopping`);
      process.exit(2);
    },
    (maxSeconds + 120) * 1000,
  ).unref();
  const sotwNs = list(arg("n", "100,1000"));
  const deltaNs = list(arg("delta-n", "100"));
  const loadN = Number(arg("load-n", "1000"));
  const bad = list(arg("bad", "1,10,50"));
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
  if (results.length > 0) report(results);
  if (loadN > 0 && performance.now() < opts.deadline)
    reportLoad(await load(loadN, bad, opts), opts.slowWindow);
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
