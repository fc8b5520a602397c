import { Registry } from "prom-client";
import { createMeshMetrics, registerMeshMetrics } from "../../control-plane/mesh-metrics";
import { MeshRuntime } from "../../control-plane/mesh-runtime";
import type { StoreObject } from "../../mesh/store";
import { SnapshotCache } from "../../xds/cache/snapshot-cache";
import type { NodeInfo } from "../../xds/server/messages";
import { manualTimers, recordingLogger } from "./fakes";

const client = (name: string): NodeInfo => ({
  id: `sidecar~10.0.0.${name.length}~${name}.shop~shop.svc.cluster.local`,
  cluster: "test",
  metadata: { NAMESPACE: "shop", LABELS: { app: name } },
  userAgent: "test",
});

const service = {
  kind: "Service",
  metadata: { name: "reviews", namespace: "shop" },
  spec: {
    clusterIP: "10.96.0.9",
    selector: { app: "reviews" },
    ports: [{ name: "http", port: 9080 }],
  },
} as StoreObject;

const slice = (ips: string[]) =>
  ({
    kind: "EndpointSlice",
    metadata: {
      name: "reviews-x",
      namespace: "shop",
      labels: { "kubernetes.io/service-name": "reviews" },
    },
    ports: [{ name: "http", port: 9080 }],
    endpoints: ips.map(ip => ({ addresses: [ip] })),
  }) as StoreObject;

describe("mesh metrics", () => {
  it("a push records its duration by kind and what it did per proxy", async () => {
    const registry = new Registry();
    const metrics = createMeshMetrics();
    registerMeshMetrics(registry, metrics);
    const timers = manualTimers();
    const runtime = new MeshRuntime({
      cache: new SnapshotCache(),
      logger: recordingLogger(),
      timers,
      metrics,
    });
    runtime.apply({ type: "ADDED", object: service });
    timers.advance(100); // no proxy yet: a push that handles none
    runtime.onConnect(client("web"));
    runtime.onConnect(client("cli"));
    runtime.apply({ type: "ADDED", object: slice(["10.1.0.1"]) });
    timers.advance(100);
    runtime.apply({
      type: "ADDED",
      object: { ...service, metadata: { name: "ratings", namespace: "shop" } } as StoreObject,
    });
    timers.advance(100);
    const text = await registry.metrics();
    expect(text).toMatch(/^rigging_mesh_push_duration_seconds_count\{kind="endpoints"\} 1$/m);
    expect(text).toMatch(/^rigging_mesh_push_duration_seconds_count\{kind="full"\} 2$/m);
    expect(text).toMatch(/^rigging_mesh_proxy_pushes_total\{action="endpoints"\} 2$/m);
    expect(text).toMatch(/^rigging_mesh_proxy_pushes_total\{action="full"\} 2$/m);
    expect(text).toContain("# TYPE rigging_jwks_fetch_total counter");
  });
});
