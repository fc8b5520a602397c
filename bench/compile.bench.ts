/**
 * Compile time and output size per proxy: Istio's pilot benchmark config sets
 * (`pilot/pkg/xds/testdata/benchmarks/*.yaml`, Go templates expanded for `.Services`) and a
 * synthetic mesh of 1,000 services × 10 endpoints with 300 VirtualServices and 300
 * DestinationRules. Baseline, measured in the same run: `JSON.stringify` of the compiled
 * resources (the least any serializer must do with them); the ratio is compile ÷ baseline.
 * Also: one incremental EDS update (store event + endpoint recompile), and the cost of telemetry
 * per proxy (no metrics provider and no Telemetry, against the default prometheus metrics plus a
 * mesh-wide Telemetry with access logs and a metrics override), both in this run.
 * Run: npx tsx bench/compile.bench.ts [services=100]
 */
import { readdirSync, readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { applyEvent, storeOf, type MeshStore, type StoreObject } from "../mesh/store";
import { allResources, buildScope, compile, compileEndpoints, parseProxy } from "../xds/compile";
import { sharedPath } from "../test/harness/shared";
import { synthetic } from "./synthetic-mesh";

const SERVICES = Number(process.argv[2] ?? 100);
const DIR = sharedPath("istio/pilot/pkg/xds/testdata/benchmarks");
const NODES = {
  sidecar: {
    id: "sidecar~1.1.1.1~app-abc.default~default.svc.cluster.local",
    metadata: { NAMESPACE: "default", LABELS: { app: "app" } },
  },
  grpc: {
    id: "sidecar~1.1.1.1~app-abc.default~default.svc.cluster.local",
    metadata: { GENERATOR: "grpc", NAMESPACE: "default" },
  },
};

/** Expands the few Go-template forms the benchmark files use. */
function expand(text: string, services: number): string {
  return text.replace(
    /\{\{-? range \$i := until \.Services \}\}([\s\S]*?)\{\{-? end \}\}/g,
    (_m, body: string) =>
      Array.from({ length: services }, (_, i) =>
        body
          .replace(/\{\{\s*div \$i (\d+)\s*\}\}/g, (_x, d: string) =>
            String(Math.floor(i / Number(d))),
          )
          .replace(/\{\{\s*mod \$i (\d+)\s*\}\}/g, (_x, d: string) => String(i % Number(d)))
          .replace(/\{\{\s*\$i\s*\}\}/g, String(i)),
      ).join("\n"),
  );
}

function objects(text: string): StoreObject[] {
  return parseAllDocuments(text)
    .map(d => d.toJS() as StoreObject | null)
    .filter((o): o is StoreObject => !!o && typeof o === "object" && "kind" in o)
    .map(o => ({ ...o, metadata: { namespace: "default", ...o.metadata } }) as StoreObject);
}

function time<T>(fn: () => T, runs = 5): { ms: number; value: T } {
  let value = fn();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) value = fn();
  return { ms: (performance.now() - t0) / runs, value };
}

function report(name: string, store: MeshStore): void {
  for (const [kind, node] of Object.entries(NODES)) {
    const { ms, value } = time(() => compile(store, node));
    if (!value.ok) throw new Error(value.errors.join());
    const resources = allResources(value.value);
    const base = time(() => JSON.stringify(resources));
    console.log(
      `${name.padEnd(34)} ${kind.padEnd(8)} ${String(resources.length).padStart(6)} resources ` +
        `${(base.value.length / 1024).toFixed(0).padStart(7)} KiB JSON  compile ${ms.toFixed(1).padStart(8)} ms  ` +
        `stringify ${base.ms.toFixed(1).padStart(7)} ms  ratio ${(ms / base.ms).toFixed(1)}x`,
    );
  }
}

for (const file of readdirSync(DIR)
  .filter(f => f.endsWith(".yaml"))
  .sort()) {
  try {
    report(
      `${file} (${SERVICES} services)`,
      storeOf(objects(expand(readFileSync(`${DIR}/${file}`, "utf8"), SERVICES))),
    );
  } catch (err) {
    console.log(`${file.padEnd(34)} skipped: ${(err as Error).message.split("\n")[0]}`);
  }
}
const big = time(() => storeOf(synthetic()), 1);
console.log(`synthetic store build: ${big.ms.toFixed(0)} ms`);
report("synthetic 1000x10, 300 VS, 300 DR", big.value);

// Incremental EDS: one endpoint change, then only the ClusterLoadAssignments of one proxy.
const proxy = parseProxy(NODES.sidecar);
if (proxy.ok) {
  const changed = {
    apiVersion: "networking.istio.io/v1",
    kind: "ServiceEntry",
    metadata: { name: "svc-5", namespace: "ns5" },
    spec: {
      hosts: ["svc-5.ns5.svc.cluster.local"],
      ports: [{ number: 8080, name: "http", protocol: "HTTP" }],
      resolution: "STATIC",
      location: "MESH_INTERNAL",
      endpoints: [{ address: "10.9.9.9" }],
    },
  } as unknown as StoreObject;
  const apply = time(() => applyEvent(big.value, { type: "MODIFIED", object: changed }), 100);
  const eds = time(() => compileEndpoints(buildScope(apply.value, proxy.value)));
  const full = time(() => compile(apply.value, proxy.value));
  console.log(
    `incremental: store event ${(apply.ms * 1000).toFixed(0)} µs, EDS-only recompile ${eds.ms.toFixed(1)} ms, full recompile ${full.ms.toFixed(1)} ms (ratio ${(full.ms / eds.ms).toFixed(1)}x)`,
  );
}
// Telemetry per proxy: the same sidecar compiled without and with it.
{
  const mesh = {
    apiVersion: "telemetry.istio.io/v1",
    kind: "Telemetry",
    metadata: { name: "mesh-default", namespace: "istio-system" },
    spec: {
      accessLogging: [
        { providers: [{ name: "envoy" }], filter: { expression: "response.code >= 400" } },
      ],
      metrics: [
        {
          overrides: [
            {
              match: { metric: "REQUEST_COUNT" },
              tagOverrides: { request_host: { value: "request.host" } },
            },
          ],
        },
      ],
    },
  } as unknown as StoreObject;
  const withTelemetry = applyEvent(big.value, { type: "ADDED", object: mesh });
  // Both sides pass mesh options of the same shape: only the metrics provider differs.
  const off = { defaultProviders: { metrics: [], tracing: [], accessLogging: [] } };
  const on = { defaultProviders: { metrics: ["prometheus"], tracing: [], accessLogging: [] } };
  // Alternated rounds, best of each, so warm-up and a busy machine do not favour one side.
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < 8; round++) {
    a.push(time(() => compile(big.value, NODES.sidecar, off), 2).ms);
    b.push(time(() => compile(withTelemetry, NODES.sidecar, on), 2).ms);
  }
  const without = Math.min(...a);
  const withIt = Math.min(...b);
  console.log(
    `telemetry per sidecar (synthetic, best of 8): without ${without.toFixed(1)} ms, with ${withIt.toFixed(1)} ms (${(((withIt - without) / without) * 100).toFixed(1)}%)`,
  );
}
console.log(`RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
