/**
 * The mesh config ConfigMap as the control plane follows it: a valid config reaches every
 * connected proxy and the CA, a refused one changes nothing and says why, an unchanged one
 * pushes nothing, a deleted one returns the mesh to Istio's defaults. Real runtime, cache and
 * CA; the watch is the callback Pepr would call.
 */
import { Registry } from "prom-client";
import { meshConfigWatch, type ConfigMapObject } from "../../control-plane/mesh-config-source";
import { MeshCa } from "../../control-plane/mesh-ca";
import { createMeshMetrics, registerMeshMetrics } from "../../control-plane/mesh-metrics";
import { MeshRuntime } from "../../control-plane/mesh-runtime";
import type { StoreObject } from "../../mesh/store";
import { SnapshotCache } from "../../xds/cache/snapshot-cache";
import { TypeUrl } from "../../xds/encode/type-urls";
import type { NodeInfo } from "../../xds/server/messages";
import { depsAt, manualTimers, MemoryStore, recordingLogger } from "./fakes";

const client: NodeInfo = {
  id: "sidecar~127.0.0.5~client.default~default.svc.cluster.local",
  cluster: "test",
  metadata: { GENERATOR: "grpc", NAMESPACE: "default", LABELS: { app: "client" } },
  userAgent: "test",
};

const echo = {
  apiVersion: "networking.istio.io/v1",
  kind: "ServiceEntry",
  metadata: { name: "echo", namespace: "default" },
  spec: {
    hosts: ["echo.default.svc.cluster.local"],
    ports: [{ number: 7070, name: "grpc", protocol: "GRPC" }],
    resolution: "STATIC",
    location: "MESH_INTERNAL",
    endpoints: [{ address: "127.0.0.21", serviceAccount: "echo" }],
  },
} as unknown as StoreObject;

const mutual = {
  apiVersion: "networking.istio.io/v1",
  kind: "DestinationRule",
  metadata: { name: "echo", namespace: "default" },
  spec: {
    host: "echo.default.svc.cluster.local",
    trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } },
  },
} as unknown as StoreObject;

const CLUSTER = "outbound|7070||echo.default.svc.cluster.local";

const configMap = (mesh: string | undefined): ConfigMapObject => ({
  metadata: { namespace: "istio-system", name: "istio" },
  data: mesh === undefined ? {} : { mesh },
});

function setup() {
  const cache = new SnapshotCache();
  const timers = manualTimers();
  const logger = recordingLogger();
  const metrics = createMeshMetrics();
  const registry = new Registry();
  registerMeshMetrics(registry, metrics);
  const runtime = new MeshRuntime({ cache, logger, timers, metrics });
  const ca = new MeshCa({
    store: new MemoryStore(),
    logger,
    deps: depsAt({ now: new Date() }),
    readPublishedBundle: async () => undefined,
  });
  const watch = meshConfigWatch({ runtime, ca, logger, loads: metrics.meshConfigLoads });
  runtime.apply({ type: "ADDED", object: echo });
  runtime.apply({ type: "ADDED", object: mutual });
  runtime.onConnect(client);
  const snapshot = () => cache.get(client.id);
  const clusterJson = () =>
    JSON.stringify(snapshot()?.resources.get(TypeUrl.cluster)?.get(CLUSTER)?.object ?? {});
  const loads = async () =>
    Object.fromEntries(
      (await metrics.meshConfigLoads.get()).values.map(v => [String(v.labels.result), v.value]),
    );
  const afterPush = () => timers.advance(100);
  return { runtime, ca, logger, watch, snapshot, clusterJson, loads, afterPush };
}

const ALIASES = "trustDomain: td1\ntrustDomainAliases: [cluster.local, old.td]\n";

describe("mesh config ConfigMap", () => {
  it("a valid config reaches connected proxies (secure naming accepts every aliased trust domain) and the CA", async () => {
    const s = setup();
    expect(s.clusterJson()).toContain("spiffe://cluster.local/ns/default/sa/echo");
    expect(s.clusterJson()).not.toContain("old.td");
    s.watch(configMap(ALIASES), "ADDED");
    s.afterPush();
    const json = s.clusterJson();
    expect(json).toContain("spiffe://td1/ns/default/sa/echo");
    expect(json).toContain("spiffe://cluster.local/ns/default/sa/echo");
    expect(json).toContain("spiffe://old.td/ns/default/sa/echo");
    expect(s.ca.trustDomain).toBe("td1");
    expect(s.runtime.meshConfig.trustDomainAliases).toEqual(["cluster.local", "old.td"]);
    const applied = s.logger.lines
      .map(l => JSON.parse(l))
      .find(l => l.msg === "mesh config applied");
    expect(applied).toMatchObject({ configMap: "istio-system/istio", trustDomain: "td1" });
    expect(await s.loads()).toEqual({ applied: 1 });
  });

  it("an invalid config is refused whole, named by ConfigMap, field and rule; proxies and CA keep the previous one", async () => {
    const s = setup();
    s.watch(configMap(ALIASES), "ADDED");
    s.afterPush();
    const before = s.snapshot();
    s.watch(
      configMap(
        "trustDomain: td2\nextensionProviders:\n- name: authz\n  envoyExtAuthzGrpc:\n    service: authz.foo.svc.cluster.local\n    port: 999999\n",
      ),
      "MODIFIED",
    );
    s.afterPush();
    expect(s.snapshot()).toBe(before);
    expect(s.ca.trustDomain).toBe("td1");
    expect(s.runtime.meshConfig.trustDomain).toBe("td1");
    const refusal = s.logger.lines.find(l => l.includes('"level":"error"'))!;
    expect(refusal).toContain("mesh config refused: the previous mesh config stays in effect");
    expect(refusal).toContain(
      "ConfigMap istio-system/istio: data.mesh: extensionProviders[0].envoyExtAuthzGrpc.port",
    );
    expect(await s.loads()).toEqual({ applied: 1, rejected: 1 });
  });

  it("a config that says the same again pushes nothing", async () => {
    const s = setup();
    s.watch(configMap(ALIASES), "ADDED");
    s.afterPush();
    const before = s.snapshot();
    // Same meaning, other spelling: aliases in another order.
    s.watch(
      configMap("trustDomain: td1\ntrustDomainAliases: [old.td, cluster.local]\n"),
      "MODIFIED",
    );
    s.afterPush();
    expect(s.snapshot()).toBe(before);
    expect(await s.loads()).toEqual({ applied: 1, unchanged: 1 });
  });

  it("deleting the ConfigMap returns the mesh to Istio's defaults", async () => {
    const s = setup();
    s.watch(configMap(ALIASES), "ADDED");
    s.afterPush();
    s.watch(configMap(ALIASES), "DELETED");
    s.afterPush();
    expect(s.clusterJson()).toContain("spiffe://cluster.local/ns/default/sa/echo");
    expect(s.clusterJson()).not.toContain("old.td");
    expect(s.clusterJson()).not.toContain("td1");
    expect(s.ca.trustDomain).toBe("cluster.local");
    expect(await s.loads()).toEqual({ applied: 1, defaults: 1 });
  });

  it("a ConfigMap without a mesh key, or fields Rigging does not act on, loads with notes", () => {
    const s = setup();
    s.watch(configMap(undefined), "ADDED");
    expect(s.runtime.meshConfig.trustDomain).toBe("cluster.local");
    s.watch(configMap("ingressClass: istio\ntrustDomian: x\n"), "MODIFIED");
    const notes = s.logger.lines.find(l => l.includes("mesh config fields not acted on"))!;
    expect(notes).toContain("data.mesh: ingressClass");
    expect(notes).toContain("trustDomian");
  });
});
