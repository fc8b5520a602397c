/**
 * Push cost in the mesh runtime: the synthetic mesh of 1,000 services × 10 endpoints
 * (Kubernetes Services, EndpointSlices and Pods; 300 VirtualServices, 300 DestinationRules) and
 * 50 connected Envoy sidecars, each in its own namespace. Three pushes, timed end to end
 * (plan, compile, encode, check, publish):
 *
 * - full: a Namespace event, which recompiles every proxy — the baseline, measured in this run;
 * - endpoint-only: one EndpointSlice gains an endpoint;
 * - VirtualService: one VirtualService's weights change.
 *
 * Twice: without Sidecars (every proxy sees every service), and with a Sidecar per proxy
 * namespace importing its own namespace and one of the ten service namespaces (each proxy sees
 * 100 services; a host is seen by 5 proxies). Ratios are full ÷ incremental. The runtime
 * encodes through its encode cache; the split below shows where a full push's time goes
 * without it (compile vs encode + check) and what the cache saves on the same resources.
 *
 * Run: npx tsx bench/push.bench.ts [proxies=50] [runs=3]
 */
import { MeshRuntime } from "../control-plane/mesh-runtime";
import type { ControlPlaneLogger } from "../control-plane/logger";
import type { StoreObject } from "../mesh/store";
import { EncodeCache } from "../xds/cache/encode-cache";
import { createSnapshot } from "../xds/cache/snapshot";
import { SnapshotCache } from "../xds/cache/snapshot-cache";
import { allResources, compile } from "../xds/compile";
import type { NodeInfo } from "../xds/server/messages";
import { endpointSlice, namespaceOf, synthetic, virtualService } from "./synthetic-mesh";

const PROXIES = Number(process.argv[2] ?? 50);
const RUNS = Number(process.argv[3] ?? 3);

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

const proxyNode = (p: number): NodeInfo => ({
  id: `sidecar~10.200.${p >> 8}.${p & 255}~app-${p}.team-${p}~team-${p}.svc.cluster.local`,
  cluster: "bench",
  metadata: { NAMESPACE: `team-${p}`, LABELS: { app: `app-${p}` } },
  userAgent: "bench",
});

const sidecarFor = (p: number): StoreObject =>
  ({
    apiVersion: "networking.istio.io/v1",
    kind: "Sidecar",
    metadata: { name: "default", namespace: `team-${p}` },
    spec: { egress: [{ hosts: ["./*", `${namespaceOf(p)}/*`, "istio-system/*"] }] },
  }) as unknown as StoreObject;

const vs = (i: number, weight: number): StoreObject =>
  ({
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: `vs-${i}`, namespace: namespaceOf(i) },
    spec: virtualService(i, weight),
  }) as unknown as StoreObject;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (ms: number) => `${ms.toFixed(1).padStart(8)} ms`;

function scenario(name: string, withSidecars: boolean): void {
  const cache = new SnapshotCache();
  const timers = handTimers();
  const runtime = new MeshRuntime({ cache, logger: quiet, timers });
  const objects = synthetic({ endpoints: "EndpointSlice" });
  if (withSidecars) for (let p = 0; p < PROXIES; p++) objects.push(sidecarFor(p));
  for (const object of objects) runtime.apply({ type: "ADDED", object });
  timers.fire();
  const nodes = Array.from({ length: PROXIES }, (_, p) => proxyNode(p));
  let t0 = performance.now();
  for (const n of nodes) runtime.onConnect(n);
  const connectMs = performance.now() - t0;

  const push = (type: "ADDED" | "MODIFIED", object: StoreObject): number => {
    runtime.apply({ type, object });
    const start = performance.now();
    timers.fire();
    return performance.now() - start;
  };
  const full: number[] = [];
  const eds: number[] = [];
  const route: number[] = [];
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
  console.log(
    `${name}: ${PROXIES} proxies (${visible} see svc-5), ${objects.length} objects; connect all ${connectMs.toFixed(0)} ms`,
  );
  console.log(`  full push            ${fmt(mean(full))}   (baseline)`);
  console.log(
    `  endpoint-only push   ${fmt(mean(eds))}   full/endpoint ${(mean(full) / mean(eds)).toFixed(1)}x`,
  );
  console.log(
    `  VirtualService push  ${fmt(mean(route))}   full/VirtualService ${(mean(full) / mean(route)).toFixed(1)}x`,
  );

  // Where a full push goes: compile, then encode + consistency check, for the same proxies.
  t0 = performance.now();
  const compiled = nodes.map(n => compile(runtime.store, { id: n.id, metadata: n.metadata }));
  const compileMs = performance.now() - t0;
  t0 = performance.now();
  let resources = 0;
  for (const c of compiled) {
    if (!c.ok) throw new Error(c.errors.join());
    const all = allResources(c.value);
    resources += all.length;
    createSnapshot(all);
  }
  const encodeMs = performance.now() - t0;
  // How many of those resources are byte-identical across proxies (what the encode cache saves).
  const distinct = new Set(
    compiled.flatMap(c => (c.ok ? allResources(c.value).map(r => JSON.stringify(r)) : [])),
  );
  const encoder = new EncodeCache();
  t0 = performance.now();
  for (const c of compiled) if (c.ok) createSnapshot(allResources(c.value), encoder.encode);
  const cachedMs = performance.now() - t0;
  console.log(
    `  full push split (no encode cache): compile ${compileMs.toFixed(0)} ms, encode+check ` +
      `${encodeMs.toFixed(0)} ms (${((100 * encodeMs) / (compileMs + encodeMs)).toFixed(0)}%); ` +
      `${resources} resources, ${distinct.size} distinct (${((100 * distinct.size) / resources).toFixed(0)}%)`,
  );
  console.log(
    `  encode+check of the same through the encode cache ${cachedMs.toFixed(0)} ms ` +
      `(uncached/cached ${(encodeMs / cachedMs).toFixed(1)}x)`,
  );
  runtime.stop();
}

scenario("no Sidecars", false);
scenario("a Sidecar per proxy namespace", true);
console.log(`RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
