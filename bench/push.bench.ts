/**
 * Push cost in the mesh runtime: the synthetic mesh of 1,000 services × 10 endpoints
 * (Kubernetes Services, EndpointSlices and Pods; 300 VirtualServices, 300 DestinationRules) and
 * 50 connected Envoy sidecars: 10 workloads (Deployments), one per namespace `team-0`…`team-9`,
 * with 5 replicas each (same labels and service account, own pod name and IP). Three pushes,
 * timed end to end (plan, compile, encode, check, publish):
 *
 * - full: a Namespace event, which recompiles every proxy;
 * - endpoint-only: one EndpointSlice gains an endpoint;
 * - VirtualService: one VirtualService's weights change.
 *
 * Twice: without Sidecars (every proxy sees every service), and with a Sidecar per workload
 * namespace importing its own namespace and one of the ten service namespaces (each proxy sees
 * 100 services). Each twice again, in a child process of its own (so each RSS is its own):
 * compiling per proxy (the baseline: what the runtime did before views) and compiling once per
 * view (`xds/compile/proxy-view.ts`), with the ratio baseline ÷ views.
 *
 * With `PUSH_BENCH_BASELINE=<dir>`, the baseline is instead per view as the bench in `<dir>` (a
 * checkout of an earlier commit, with node_modules) measures it: before and after a change, in
 * one run.
 *
 * Every push here is synchronous (hand-fired debounce, no streams, no clients), so its wall time
 * is the main thread's CPU time plus the time it waited for a core. Both come from
 * /proc/thread-self/schedstat and are printed ("run", "queued"): on a loaded machine the wait
 * is most of the wall time. CPU is the process's (GC threads included). RSS is printed at the
 * end and at its peak.
 *
 * RSS is mostly garbage V8 has not collected yet: without a flag its heap limit follows the
 * memory it sees (¼ of it, at most 4 GiB), so on a large host the heap grows far past the live
 * set. The deployed watcher caps its heap below its container's 512 MiB limit
 * (package.json `pepr.env.NODE_OPTIONS`), and every measuring child runs with those flags, as
 * the watcher does in its pod. `PUSH_BENCH_NODE_ARGS` replaces them (`PUSH_BENCH_NODE_ARGS=`
 * measures with V8's defaults on this host).
 *
 * Run: npx tsx bench/push.bench.ts [proxies=50] [runs=3] [replicas=5]
 */
import { MeshRuntime } from "../control-plane/mesh-runtime";
import type { ControlPlaneLogger } from "../control-plane/logger";
import type { StoreObject } from "../mesh/store";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { SnapshotCache } from "../xds/cache/snapshot-cache";
import type { NodeInfo } from "../xds/server/messages";
import { endpointSlice, namespaceOf, synthetic, virtualService } from "./synthetic-mesh";

const PROXIES = Number(process.argv[2] ?? 50);
const RUNS = Number(process.argv[3] ?? 3);
const REPLICAS = Number(process.argv[4] ?? 5);
const WORKLOADS = Math.ceil(PROXIES / REPLICAS);

/** A debouncer clock the bench advances by hand, so a push runs exactly when asked. */
function handTimers() {
  let now = 0;
  const pending = new Map<number, () => void>();
  let next = 1;
  return {
    now: () => now + performance.now(),
    setTimeout: (fn: () => void) => (pending.set(next, fn), next++),
    clearTimeout: (h: unknown) => void pending.delete(h as number),
    fire() {
      now += 1_000;
      const due = [...pending.values()];
      pending.clear();
      for (const fn of due) fn();
    },
  };
}

const quiet: ControlPlaneLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};

/** Replica `p % REPLICAS` of workload `floor(p / REPLICAS)`. */
const proxyNode = (p: number): NodeInfo => {
  const w = Math.floor(p / REPLICAS);
  return {
    id: `sidecar~10.200.${p >> 8}.${p & 255}~app-${w}-${p}.team-${w}~team-${w}.svc.cluster.local`,
    cluster: "bench",
    metadata: {
      NAMESPACE: `team-${w}`,
      SERVICE_ACCOUNT: `app-${w}`,
      LABELS: { app: `app-${w}`, "pod-template-hash": `h${w}` },
    },
    userAgent: "bench",
  };
};

const sidecarFor = (w: number): StoreObject =>
  ({
    apiVersion: "networking.istio.io/v1",
    kind: "Sidecar",
    metadata: { name: "default", namespace: `team-${w}` },
    spec: { egress: [{ hosts: ["./*", `${namespaceOf(w)}/*`, "istio-system/*"] }] },
  }) as unknown as StoreObject;

const vs = (i: number, weight: number): StoreObject =>
  ({
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: `vs-${i}`, namespace: namespaceOf(i) },
    spec: virtualService(i, weight),
  }) as unknown as StoreObject;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The main thread's time on a core and waiting for one, in ms (Linux; zeros elsewhere). */
function schedstat(): [number, number] {
  try {
    const [run = 0, wait = 0] = readFileSync("/proc/thread-self/schedstat", "utf8")
      .split(" ")
      .map(Number);
    return [run / 1e6, wait / 1e6];
  } catch {
    return [0, 0];
  }
}

/** [wall ms, CPU ms, main thread on a core ms, main thread queued for a core ms]. */
type Timing = [number, number, number, number];

/** Times `fn`. */
function timed(fn: () => void): Timing {
  const [run0, wait0] = schedstat();
  const start = performance.now();
  const cpu = process.cpuUsage();
  fn();
  const used = process.cpuUsage(cpu);
  const [run1, wait1] = schedstat();
  const wall = performance.now() - start;
  return [wall, (used.user + used.system) / 1000, run1 - run0, wait1 - wait0];
}

/** Heap used after a full collection, in MiB (after every timing: the GC is forced). */
function liveHeapMiB(): number {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

const meanTiming = (ts: Timing[]): Timing =>
  [0, 1, 2, 3].map(i => mean(ts.map(t => t[i] ?? 0))) as Timing;

/** One scenario's figures, as a child process reports them. */
interface Figures {
  readonly visible: number;
  readonly objects: number;
  /** Each [wall ms, CPU ms, run ms, queued ms] (older benches: the first two only). */
  readonly connect: Timing;
  readonly full: Timing;
  readonly eds: Timing;
  readonly route: Timing;
  readonly rssMiB: number;
  readonly peakRssMiB?: number;
  /** Heap in use after a full GC at the end: what the runtime really holds. */
  readonly liveHeapMiB?: number;
}

function scenario(withSidecars: boolean, shareViews: boolean): Figures {
  const cache = new SnapshotCache();
  const timers = handTimers();
  const runtime = new MeshRuntime({ cache, logger: quiet, timers, shareViews });
  const objects = synthetic({ endpoints: "EndpointSlice" });
  if (withSidecars) for (let w = 0; w < WORKLOADS; w++) objects.push(sidecarFor(w));
  for (const object of objects) runtime.apply({ type: "ADDED", object });
  timers.fire();
  const nodes = Array.from({ length: PROXIES }, (_, p) => proxyNode(p));
  const connect = timed(() => {
    for (const n of nodes) runtime.onConnect(n);
  });

  // On a shared machine the CPU time is what the push itself costs.
  const push = (type: "ADDED" | "MODIFIED", object: StoreObject): Timing => {
    runtime.apply({ type, object });
    return timed(() => timers.fire());
  };
  const full: Timing[] = [];
  const eds: Timing[] = [];
  const route: Timing[] = [];
  for (let r = 0; r < RUNS; r++) {
    full.push(
      push("ADDED", { kind: "Namespace", metadata: { name: `bench-${r}` } } as StoreObject),
    );
    eds.push(push("MODIFIED", endpointSlice(5, 11 + r)));
    route.push(push("MODIFIED", vs(5, 80 - r)));
  }
  const visible = nodes.filter(n =>
    cache
      .get(n.id)
      ?.resources.get("type.googleapis.com/envoy.config.cluster.v3.Cluster" as never)
      ?.has("outbound|8080||svc-5.ns5.svc.cluster.local"),
  ).length;
  runtime.stop();
  return {
    visible,
    objects: objects.length,
    connect,
    full: meanTiming(full),
    eds: meanTiming(eds),
    route: meanTiming(route),
    rssMiB: process.memoryUsage().rss / 2 ** 20,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    liveHeapMiB: liveHeapMiB(),
  };
}

/**
 * The node flags of the deployed watcher (package.json `pepr.env.NODE_OPTIONS`, which Pepr puts
 * in both Deployments): the children measure the process as it runs in its pod.
 */
function deployedNodeOptions(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as {
    pepr?: { env?: Record<string, string> };
  };
  return pkg.pepr?.env?.NODE_OPTIONS ?? "";
}

const childNodeArgs = (process.env.PUSH_BENCH_NODE_ARGS ?? deployedNodeOptions())
  .split(" ")
  .filter(Boolean);

// Each measurement in a process of its own, so neither heats or bloats the other's heap.
function measure(withSidecars: boolean, shareViews: boolean, tree?: string): Figures {
  const script = tree ? join(tree, "bench", "push.bench.ts") : process.argv[1]!;
  const out = execFileSync(
    process.execPath,
    [...childNodeArgs, ...process.execArgv, script, ...process.argv.slice(2)],
    {
      cwd: tree,
      env: { ...process.env, PUSH_BENCH_CHILD: JSON.stringify({ withSidecars, shareViews }) },
      encoding: "utf8",
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(out.trim().split("\n").pop()!) as Figures;
}

const BASELINE_TREE = process.env.PUSH_BENCH_BASELINE;

function report(name: string, withSidecars: boolean): void {
  const base = BASELINE_TREE
    ? measure(withSidecars, true, BASELINE_TREE)
    : measure(withSidecars, false);
  const views = measure(withSidecars, true);
  console.log(
    `${name}: ${PROXIES} proxies = ${WORKLOADS} workloads × ${REPLICAS} replicas ` +
      `(${views.visible} see svc-5), ${views.objects} objects`,
  );
  const baseName = BASELINE_TREE ? "per view, baseline tree" : "per proxy (baseline)";
  console.log(
    `  ${"".padEnd(20)} ${baseName.padStart(44)} ${"per view".padStart(44)}   baseline/views`,
  );
  const ms = (x: number | undefined, width: number) =>
    x === undefined ? "?".padStart(width) : x.toFixed(0).padStart(width);
  const cell = ([wall, cpu, run, queued]: Timing) =>
    `${ms(wall, 7)} ms (CPU ${ms(cpu, 5)}, run ${ms(run, 5)}, queued ${ms(queued, 5)})`;
  const row = (label: string, b: Timing, v: Timing) =>
    console.log(
      `  ${label.padEnd(20)} ${cell(b)} ${cell(v)}   ${(b[0] / v[0]).toFixed(1).padStart(5)}x (CPU ${(b[1] / v[1]).toFixed(1)}x)`,
    );
  row("connect all", base.connect, views.connect);
  row("full push", base.full, views.full);
  row("endpoint-only push", base.eds, views.eds);
  row("VirtualService push", base.route, views.route);
  const rss = (f: Figures) =>
    `${f.rssMiB.toFixed(0).padStart(7)} MiB (peak ${ms(f.peakRssMiB, 4)}, live heap ${ms(f.liveHeapMiB, 3)})`.padEnd(
      44,
    );
  console.log(
    `  ${"RSS at end".padEnd(20)} ${rss(base)} ${rss(views)}   ${(base.rssMiB / views.rssMiB).toFixed(1).padStart(5)}x`,
  );
}

const child = process.env.PUSH_BENCH_CHILD;
if (child) {
  const { withSidecars, shareViews } = JSON.parse(child) as {
    withSidecars: boolean;
    shareViews: boolean;
  };
  console.log(JSON.stringify(scenario(withSidecars, shareViews)));
} else {
  console.log(
    `node flags of each measuring child: ${childNodeArgs.join(" ") || "(none: V8's defaults)"}` +
      (process.env.PUSH_BENCH_NODE_ARGS === undefined ? " (the deployed watcher's)" : ""),
  );
  report("no Sidecars", false);
  report("a Sidecar per workload namespace", true);
}
