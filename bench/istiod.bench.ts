/**
 * Rigging side by side with istiod (issue 15, item 5). One local cluster (test/harness/cluster.ts:
 * etcd, kube-apiserver, controller-manager, scheduler, kwok, all on loopback), the built Rigging
 * module (`npm run build` first) and istiod (pilot-discovery built from Istio's Go module by
 * `npm run istio:binaries`, run out of cluster by test/harness/istiod.ts) watching the same API
 * server, with the same config, in one run. Proxies are lightweight ADS clients
 * (bench/xds/istio-proxy-client.ts) with Istio's node id and metadata for pods of the cluster
 * (a Deployment kwok runs), subscribing as Envoy does and ACKing every response.
 *
 * Each figure is measured for one control plane at a time, istiod first, then Rigging, while
 * the other has no proxies connected (it still sees every change: both watch the same objects):
 *
 * - a VirtualService change → the new RDS at one proxy: p50 and p99 over `--changes` changes;
 *   the change puts a fresh marker into a header match, and "new" means an RDS response carrying
 *   that marker (timed from just before the PUT, so the API server's write and Rigging's
 *   validating webhook, which both sides pay, are inside every figure);
 * - N connected sidecars (`--n`, e.g. 50,200): the initial full push (connect → every proxy
 *   holds CDS, LDS, EDS and RDS, all ACKed) and, over `--fleet-changes` changes, change → the
 *   last proxy's ACK of the new RDS;
 * - with `--synthetic`: the synthetic mesh (bench/synthetic-mesh.ts: 1,000 ServiceEntries ×
 *   10 endpoints, 300 DestinationRules, 300 VirtualServices) applied, then the full push to
 *   50 sidecars;
 * - CPU-seconds (/proc/<pid>/stat) of each control plane process during its own phases, and its
 *   peak RSS (VmHWM in /proc/<pid>/status) at the end.
 *
 * Both use their defaults (debounce 100 ms quiet, 10 s max on both). The driver (this process,
 * all clients) shares the machine with both; its CPU is printed too. Every wait has a timeout,
 * the whole run a deadline (`--deadline` seconds); it stops every process it started.
 *
 * Run: npx tsx bench/istiod.bench.ts [--n=50,200] [--changes=20] [--fleet-changes=5]
 *        [--synthetic] [--istiod-rate=<new streams per second>] [--deadline=1500]
 */
import { freePort } from "../cli/local-cluster/ports";
import { startTestCluster, type LocalCluster } from "../test/harness/cluster";
import { startIstiod, type RunningIstiod } from "../test/harness/istiod";
import { createNamespace, getJson } from "../test/harness/kube";
import { startTestModule } from "../test/harness/module";
import type { ProxyIdentity } from "../test/harness/xds-diff/dump";
import { TypeUrl } from "../xds/encode/type-urls";
import type { DevSession } from "../cli/dev/runner";
import { procUsage } from "./proc-usage";
import { synthetic } from "./synthetic-mesh";
import { IstioProxyClient } from "./xds/istio-proxy-client";
import { pct, until } from "./xds/fleet";

const arg = (name: string, fallback: string): string =>
  process.argv.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3) ??
  (process.argv.includes(`--${name}`) ? "true" : fallback);
const FLEETS = arg("n", "50").split(",").filter(Boolean).map(Number);
const CHANGES = Number(arg("changes", "5"));
const FLEET_CHANGES = Number(arg("fleet-changes", "3"));
const SYNTHETIC = arg("synthetic", "false") === "true";
const DEADLINE_S = Number(arg("deadline", "1500"));
const SYNTHETIC_PROXIES = 50;
/**
 * istiod's limit on new xDS streams per second (PILOT_MAX_REQUESTS_PER_SECOND; by default
 * 15 + 5 × cores, at most 100: 25 on 2 cores). A stream that waits more than 1 s for it is
 * refused and the proxy reconnects after a backoff. Unset: istiod's default.
 */
const ISTIOD_RATE = arg("istiod-rate", "");

const NS = "bench";
const APP = "bench-proxy";
const HOST = `${APP}.${NS}.svc.cluster.local`;
const VS_PATH = `/apis/networking.istio.io/v1/namespaces/${NS}/virtualservices/${APP}`;

/** The marker of change `k`: never a substring of another change's marker. */
const marker = (k: number): string => `rev-${k}-rev`;

/** A control plane under test. */
interface Side {
  readonly name: "istiod" | "Rigging";
  readonly port: number;
  readonly pid: number;
  /** CPU seconds spent during this side's own phases. */
  cpuSeconds: number;
}

/** One figure for both sides. */
interface Row {
  readonly figure: string;
  readonly istiod: number;
  readonly rigging: number;
  readonly unit: string;
}

const rows: Row[] = [];
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

function virtualService(mark: string): Record<string, unknown> {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: APP, namespace: NS },
    spec: {
      hosts: [HOST],
      http: [
        {
          match: [{ headers: { "x-bench": { exact: mark } } }],
          route: [{ destination: { host: HOST } }],
        },
        { route: [{ destination: { host: HOST } }] },
      ],
    },
  };
}

/** The bench namespace: a Service, the proxies' Deployment (kwok runs its pods) and the VS. */
async function applyWorkload(cluster: LocalCluster, replicas: number): Promise<void> {
  await createNamespace(cluster, NS);
  const post = async (path: string, body: unknown) => {
    const res = await cluster.api("POST", path, body);
    if (res.status !== 201)
      throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  await post(`/api/v1/namespaces/${NS}/services`, {
    metadata: { name: APP, namespace: NS },
    spec: { selector: { app: APP }, ports: [{ name: "http", port: 8080 }] },
  });
  await post(`/apis/apps/v1/namespaces/${NS}/deployments`, {
    metadata: { name: APP, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: APP } },
      template: {
        metadata: { labels: { app: APP, version: "v1" } },
        spec: {
          containers: [{ name: "app", image: "docker.io/istio/examples-bookinfo-ratings-v1" }],
        },
      },
    },
  });
  await post(
    `/apis/networking.istio.io/v1/namespaces/${NS}/virtualservices`,
    virtualService(marker(0)),
  );
}

/** The proxies' identities: `count` running pods of the Deployment, with their IPs. */
async function runningPods(cluster: LocalCluster, count: number): Promise<ProxyIdentity[]> {
  type Pod = {
    metadata: { name: string; labels?: Record<string, string> };
    spec: { serviceAccountName?: string };
    status: { podIP?: string; phase?: string };
  };
  let found: ProxyIdentity[] = [];
  const ok = await untilAsync(async () => {
    const list = await getJson<{ items: Pod[] }>(
      cluster,
      `/api/v1/namespaces/${NS}/pods?labelSelector=app%3D${APP}`,
    );
    found = list.items
      .filter(p => p.status.podIP && p.status.phase === "Running")
      .map(p => ({
        kind: "sidecar" as const,
        ip: p.status.podIP!,
        podName: p.metadata.name,
        namespace: NS,
        labels: p.metadata.labels ?? {},
        serviceAccount: p.spec.serviceAccountName ?? "default",
      }));
    return found.length >= count;
  }, 240_000);
  if (!ok) throw new Error(`only ${found.length} of ${count} pods running after 240 s`);
  return found.slice(0, count);
}

/** Polls an async predicate every 500 ms until true or `ms` passed. */
async function untilAsync(pred: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await pred().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await sleep(500);
  }
}

let vsVersion = 0;
/** Puts change `k`'s marker into the VirtualService; returns performance.now() before the PUT. */
async function changeRoute(cluster: LocalCluster, k: number): Promise<number> {
  const current = await getJson<{ metadata: { resourceVersion: string } }>(cluster, VS_PATH);
  const next = virtualService(marker(k));
  (next.metadata as Record<string, unknown>).resourceVersion = current.metadata.resourceVersion;
  const t0 = performance.now();
  const res = await cluster.api("PUT", VS_PATH, next);
  if (res.status !== 200)
    throw new Error(`PUT ${VS_PATH}: ${res.status} ${JSON.stringify(res.body)}`);
  vsVersion = k;
  return t0;
}

/**
 * Proxies that record when each first saw an RDS response carrying the current marker.
 */
class Proxies {
  readonly clients: IstioProxyClient[] = [];
  /** Per client: when it saw `#mark` in RDS (performance.now()), or undefined. */
  #seen: (number | undefined)[] = [];
  #mark = Buffer.from(marker(0));
  /** Bytes of every response received so far. */
  bytes = 0;

  constructor(
    readonly port: number,
    identities: readonly ProxyIdentity[],
  ) {
    identities.forEach((id, i) => {
      this.#seen.push(undefined);
      this.clients.push(
        new IstioProxyClient(port, id, (typeUrl, bytes, at) => {
          this.bytes += bytes.length;
          if (
            typeUrl === TypeUrl.route &&
            this.#seen[i] === undefined &&
            bytes.includes(this.#mark)
          )
            this.#seen[i] = at;
        }),
      );
    });
  }

  /** Waits until every client is synced; resolves to each one's sync time, or undefined. */
  async synced(timeoutMs: number): Promise<number[] | undefined> {
    const ok = await until(() => this.clients.every(c => c.syncedAt !== undefined), timeoutMs);
    return ok ? this.clients.map(c => c.syncedAt!) : undefined;
  }

  /** Expects marker `k` next; clears what was seen. */
  expect(k: number): void {
    this.#mark = Buffer.from(marker(k));
    this.#seen = this.#seen.map(() => undefined);
  }

  /** Waits until every client saw the marker; resolves to the times, or undefined. */
  async sawMarker(timeoutMs: number): Promise<number[] | undefined> {
    const ok = await until(() => this.#seen.every(t => t !== undefined), timeoutMs);
    return ok ? (this.#seen as number[]) : undefined;
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}

/** Runs `phase` for `side`, adding the CPU its process spent to its account. */
async function measured<T>(side: Side, phase: () => Promise<T>): Promise<T> {
  const before = procUsage(side.pid).cpuSeconds;
  try {
    return await phase();
  } finally {
    side.cpuSeconds += procUsage(side.pid).cpuSeconds - before;
  }
}

/** VS change → new RDS at one proxy, `changes` times. */
async function singleProxy(cluster: LocalCluster, side: Side, id: ProxyIdentity, changes: number) {
  const proxies = new Proxies(side.port, [id]);
  try {
    if (!(await proxies.synced(60_000)))
      throw new Error(`${side.name}: one proxy not synced in 60 s`);
    const latencies: number[] = [];
    for (let i = 0; i < changes; i++) {
      const k = vsVersion + 1;
      proxies.expect(k);
      const t0 = await changeRoute(cluster, k);
      const seen = await proxies.sawMarker(30_000);
      if (!seen) throw new Error(`${side.name}: change ${k} not seen at one proxy in 30 s`);
      latencies.push(seen[0]! - t0);
      await sleep(300);
    }
    return latencies;
  } finally {
    proxies.close();
  }
}

/** N proxies: connect → all synced, then `changes` changes → last ACK. */
async function fleet(
  cluster: LocalCluster,
  side: Side,
  ids: readonly ProxyIdentity[],
  changes: number,
): Promise<{
  fullPushMs: number;
  fullPushP50Ms: number;
  fullPushMiB: number;
  lastAckMs: number[];
  reconnects: number;
}> {
  const t0 = performance.now();
  const proxies = new Proxies(side.port, ids);
  try {
    const synced = await proxies.synced(120_000 + ids.length * 500);
    if (!synced) {
      const late = proxies.clients.filter(c => c.syncedAt === undefined);
      throw new Error(
        `${side.name}: ${ids.length - late.length} of ${ids.length} proxies synced in time; ` +
          `not synced (type received/asked):\n  ${late.map(c => c.describe()).join("\n  ")}`,
      );
    }
    const fullPushMs = Math.max(...synced) - t0;
    const fullPushP50Ms = pct(
      synced.map(t => t - t0),
      50,
    );
    const fullPushMiB = proxies.bytes / 2 ** 20;
    await sleep(1_000);
    const lastAckMs: number[] = [];
    for (let i = 0; i < changes; i++) {
      const k = vsVersion + 1;
      proxies.expect(k);
      const c0 = await changeRoute(cluster, k);
      const seen = await proxies.sawMarker(60_000);
      if (!seen)
        throw new Error(`${side.name}: change ${k} not at all ${ids.length} proxies in 60 s`);
      lastAckMs.push(Math.max(...seen) - c0);
      await sleep(500);
    }
    const reconnects = proxies.clients.reduce((s, c) => s + c.reconnects, 0);
    return { fullPushMs, fullPushP50Ms, fullPushMiB, lastAckMs, reconnects };
  } finally {
    proxies.close();
    await sleep(1_000); // let the server see the streams go
  }
}

/** Creates the synthetic mesh's namespaces and objects, 8 requests at a time. */
async function applySynthetic(cluster: LocalCluster): Promise<number> {
  const objects = synthetic();
  for (let n = 0; n < 10; n++) await createNamespace(cluster, `ns${n}`);
  const plural: Record<string, string> = {
    ServiceEntry: "serviceentries",
    DestinationRule: "destinationrules",
    VirtualService: "virtualservices",
  };
  let next = 0;
  const worker = async () => {
    while (next < objects.length) {
      const o = objects[next++] as unknown as {
        kind: string;
        metadata: { namespace: string };
      };
      const path = `/apis/networking.istio.io/v1/namespaces/${o.metadata.namespace}/${plural[o.kind]}`;
      const res = await cluster.api("POST", path, o);
      if (res.status !== 201)
        throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return objects.length;
}

/**
 * Waits until one proxy at `side` holds at least `clusters` clusters and two fresh proxies,
 * 2 s apart, are sent the same counts (the mesh has landed and nothing is still arriving);
 * resolves to what it was sent, per type (resources in the last response).
 */
async function settled(side: Side, id: ProxyIdentity, clusters: number): Promise<string> {
  let last = "";
  for (let attempt = 0; attempt < 30; attempt++) {
    const probe = new Proxies(side.port, [id]);
    let count = 0;
    const ok = await until(() => {
      count = probe.clients[0]!.received(TypeUrl.cluster);
      return probe.clients[0]!.syncedAt !== undefined && count >= clusters;
    }, 10_000);
    const c = probe.clients[0]!;
    const held = `${c.received(TypeUrl.cluster)} clusters, ${c.received(TypeUrl.endpoint)} endpoint sets, ${c.received(TypeUrl.listener)} listeners, ${c.received(TypeUrl.route)} route configs`;
    probe.close();
    if (ok && held === last) return held;
    last = ok ? held : "";
    await sleep(2_000);
  }
  throw new Error(`${side.name}: fewer than ${clusters} clusters after 5 minutes`);
}

function record(figure: string, unit: string, istiod: number, rigging: number): void {
  rows.push({ figure, istiod, rigging, unit });
  log(`${figure}: istiod ${istiod.toFixed(1)} ${unit}, Rigging ${rigging.toFixed(1)} ${unit}`);
}

function table(): string {
  const lines = [
    "| figure | istiod | Rigging | Rigging/istiod |",
    "|---|---|---|---|",
    ...rows.map(
      r =>
        `| ${r.figure} | ${r.istiod.toFixed(1)} ${r.unit} | ${r.rigging.toFixed(1)} ${r.unit} | ${(r.rigging / r.istiod).toFixed(2)} |`,
    ),
  ];
  return lines.join("\n");
}

async function main(): Promise<void> {
  const started = Date.now();
  const maxN = Math.max(1, ...FLEETS, SYNTHETIC ? SYNTHETIC_PROXIES : 1);
  let cluster: LocalCluster | undefined;
  let session: DevSession | undefined;
  let istiod: RunningIstiod | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      await istiod?.stop().catch(() => undefined);
      await session?.stop().catch(() => undefined);
      await cluster?.stop().catch(() => undefined);
    })());
  const stopAndExit = (why: string, code: number) => {
    console.error(`stopping: ${why}`);
    void cleanUp().finally(() => process.exit(code));
  };
  const deadline = setTimeout(
    () => stopAndExit(`deadline of ${DEADLINE_S} s`, 2),
    DEADLINE_S * 1000,
  );
  process.once("SIGINT", () => stopAndExit("SIGINT", 130));
  process.once("SIGTERM", () => stopAndExit("SIGTERM", 143));
  const driverBefore = process.cpuUsage();
  try {
    log(`starting a local cluster (${Math.ceil(maxN / 100) + 1} kwok nodes)`);
    cluster = await startTestCluster({ nodes: Math.ceil(maxN / 100) + 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    await createNamespace(cluster, "istio-system");
    const riggingPort = await freePort();
    log("starting Rigging (the built module, dist/)");
    session = await startTestModule({
      env: { RIGGING_XDS_ADDRESS: `127.0.0.1:${riggingPort}` },
    });
    // After the module: it installs the Istio CRDs istiod's informers need.
    log("starting istiod");
    istiod = await startIstiod({
      kubeconfig: cluster.kubeconfigPath,
      env: ISTIOD_RATE ? { PILOT_MAX_REQUESTS_PER_SECOND: ISTIOD_RATE } : {},
    });
    await istiod.ready(90_000);
    const sides: Side[] = [
      { name: "istiod", port: istiod.grpcPort, pid: istiod.child.pid!, cpuSeconds: 0 },
      { name: "Rigging", port: riggingPort, pid: session.child.pid!, cpuSeconds: 0 },
    ];
    const [sideI, sideR] = sides as [Side, Side];
    log(`applying the workload: Service, Deployment of ${maxN} pods, VirtualService`);
    await applyWorkload(cluster, maxN);
    const ids = await runningPods(cluster, maxN);
    log(`${ids.length} pods running`);
    for (const side of sides) {
      log(`${side.name}: one proxy synced: ${await settled(side, ids[0]!, 1)}`);
    }
    const idle = sides.map(s => procUsage(s.pid));
    log(
      `after start: istiod ${idle[0]!.cpuSeconds.toFixed(1)} CPU-s, RSS ${idle[0]!.rssMiB.toFixed(0)} MiB; ` +
        `Rigging ${idle[1]!.cpuSeconds.toFixed(1)} CPU-s, RSS ${idle[1]!.rssMiB.toFixed(0)} MiB`,
    );
    record("RSS after start, workload applied", "MiB", idle[0]!.rssMiB, idle[1]!.rssMiB);

    // 1. VS change → RDS at one proxy.
    const single: Record<string, number[]> = {};
    for (const side of sides) {
      single[side.name] = await measured(side, () => singleProxy(cluster!, side, ids[0]!, CHANGES));
      log(
        `${side.name}: one proxy, ${CHANGES} changes: ${single[side.name]!.map(x => x.toFixed(0)).join(", ")} ms`,
      );
    }
    record(
      `VS change → RDS at 1 proxy, p50 (${CHANGES} changes)`,
      "ms",
      pct(single.istiod!, 50),
      pct(single.Rigging!, 50),
    );
    record(
      `VS change → RDS at 1 proxy, p99 (${CHANGES} changes)`,
      "ms",
      pct(single.istiod!, 99),
      pct(single.Rigging!, 99),
    );

    // 2. N proxies.
    for (const n of FLEETS) {
      const results: Record<string, Awaited<ReturnType<typeof fleet>>> = {};
      const cpu: Record<string, number> = {};
      for (const side of sides) {
        const before = side.cpuSeconds;
        results[side.name] = await measured(side, () =>
          fleet(cluster!, side, ids.slice(0, n), FLEET_CHANGES),
        );
        cpu[side.name] = side.cpuSeconds - before;
        const r = results[side.name]!;
        log(
          `${side.name}: ${n} proxies: full push ${r.fullPushMs.toFixed(0)} ms (p50 ${r.fullPushP50Ms.toFixed(0)}), ` +
            `${r.reconnects} streams refused and reopened, last ACK ${r.lastAckMs.map(x => x.toFixed(0)).join(", ")} ms, CPU ${cpu[side.name]!.toFixed(2)} s`,
        );
      }
      const [a, b] = [results.istiod!, results.Rigging!];
      record(
        `${n} proxies: initial full push, connect → all ACKed`,
        "ms",
        a.fullPushMs,
        b.fullPushMs,
      );
      record(`${n} proxies: bytes of the full push`, "MiB", a.fullPushMiB, b.fullPushMiB);
      record(
        `${n} proxies: VS change → last ACK, p50 (${FLEET_CHANGES} changes)`,
        "ms",
        pct(a.lastAckMs, 50),
        pct(b.lastAckMs, 50),
      );
      record(
        `${n} proxies: VS change → last ACK, max`,
        "ms",
        Math.max(...a.lastAckMs),
        Math.max(...b.lastAckMs),
      );
      record(`${n} proxies: CPU of the phase`, "s", cpu.istiod!, cpu.Rigging!);
    }

    // 3. The synthetic mesh, full push to 50 proxies.
    if (SYNTHETIC) {
      const t = Date.now();
      const beforeApply = sides.map(s => procUsage(s.pid).cpuSeconds);
      const count = await applySynthetic(cluster);
      log(`synthetic mesh: ${count} objects applied in ${((Date.now() - t) / 1000).toFixed(0)} s`);
      for (const side of sides)
        log(`${side.name}: one proxy holds ${await settled(side, ids[0]!, 1000)}`);
      const applyCpu = sides.map((s, i) => procUsage(s.pid).cpuSeconds - beforeApply[i]!);
      log(`synthetic mesh settled on both after ${((Date.now() - t) / 1000).toFixed(0)} s`);
      record(
        "synthetic mesh: CPU to take it in (apply → settled, both at once)",
        "s",
        applyCpu[0]!,
        applyCpu[1]!,
      );
      const results: Record<string, Awaited<ReturnType<typeof fleet>>> = {};
      const cpu: Record<string, number> = {};
      for (const side of sides) {
        const before = side.cpuSeconds;
        results[side.name] = await measured(side, () =>
          fleet(cluster!, side, ids.slice(0, SYNTHETIC_PROXIES), 0),
        );
        cpu[side.name] = side.cpuSeconds - before;
        log(
          `${side.name}: synthetic, ${SYNTHETIC_PROXIES} proxies: full push ${results[side.name]!.fullPushMs.toFixed(0)} ms, ` +
            `${results[side.name]!.reconnects} streams refused and reopened`,
        );
      }
      record(
        `synthetic 1,000 services: full push to ${SYNTHETIC_PROXIES} proxies`,
        "ms",
        results.istiod!.fullPushMs,
        results.Rigging!.fullPushMs,
      );
      record(
        "synthetic 1,000 services: bytes of the full push",
        "MiB",
        results.istiod!.fullPushMiB,
        results.Rigging!.fullPushMiB,
      );
      record(`synthetic 1,000 services: CPU of the full push`, "s", cpu.istiod!, cpu.Rigging!);
    }

    const end = sides.map(s => procUsage(s.pid));
    record("CPU during its own phases", "s", sideI.cpuSeconds, sideR.cpuSeconds);
    record("CPU over the whole run (process total)", "s", end[0]!.cpuSeconds, end[1]!.cpuSeconds);
    record("peak RSS (VmHWM)", "MiB", end[0]!.peakRssMiB, end[1]!.peakRssMiB);
    const driver = process.cpuUsage(driverBefore);
    console.log(
      `\nRigging side by side with istiod (one run, istiod's stream rate limit ${ISTIOD_RATE || "default"}, ${Math.round((Date.now() - started) / 1000)} s; ` +
        `driver CPU ${((driver.user + driver.system) / 1e6).toFixed(1)} s):\n${table()}`,
    );
  } finally {
    clearTimeout(deadline);
    log("stopping istiod, Rigging and the cluster");
    await cleanUp();
  }
}

main().then(
  () => process.exit(0),
  err => {
    console.error(err);
    process.exit(1);
  },
);
