import { MeshRuntime } from "../../control-plane/mesh-runtime";
import type { ControlPlaneLogger } from "../../control-plane/logger";
import type { StoreObject } from "../../mesh/store";
import { SnapshotCache } from "../../xds/cache/snapshot-cache";
import { TypeUrl } from "../../xds/encode/type-urls";
import type { NodeInfo } from "../../xds/server/messages";
import { secret, selfSigned } from "../xds/compile/tls-fixtures";
import { manualTimers } from "./fakes";

function recordingLogger() {
  const lines: Array<{ level: string; msg: string; fields: Record<string, unknown> }> = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) =>
    void lines.push({ level, msg, fields });
  const logger: ControlPlaneLogger = {
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    debug: at("debug"),
  };
  return { logger, lines };
}

const client: NodeInfo = {
  id: "sidecar~127.0.0.5~client.default~default.svc.cluster.local",
  cluster: "test",
  metadata: { GENERATOR: "grpc", NAMESPACE: "default", LABELS: { app: "client" } },
  userAgent: "test",
};

const serviceEntry: StoreObject = {
  apiVersion: "networking.istio.io/v1",
  kind: "ServiceEntry",
  metadata: { name: "echo", namespace: "default" },
  spec: {
    hosts: ["echo.default.svc.cluster.local"],
    ports: [{ number: 7070, name: "grpc", protocol: "GRPC" }],
    resolution: "STATIC",
    location: "MESH_INTERNAL",
    endpoints: [{ address: "127.0.0.21", labels: { version: "v1" } }],
  },
} as unknown as StoreObject;

const routeNames = (cache: SnapshotCache) => [
  ...(cache.get(client.id)?.resources.get(TypeUrl.listener)?.keys() ?? []),
];

describe("MeshRuntime", () => {
  it("compiles a snapshot the moment a proxy connects, and forgets it when the proxy leaves", () => {
    const cache = new SnapshotCache();
    const runtime = new MeshRuntime({
      cache,
      logger: recordingLogger().logger,
      timers: manualTimers(),
    });
    runtime.apply({ type: "ADDED", object: serviceEntry });
    runtime.onConnect(client);
    expect(routeNames(cache)).toContain("echo.default.svc.cluster.local:7070");
    runtime.onConnect(client); // a second stream of the same node
    runtime.onDisconnect(client);
    expect(cache.get(client.id)).toBeDefined();
    runtime.onDisconnect(client);
    expect(cache.get(client.id)).toBeUndefined();
    expect(runtime.connected()).toEqual([]);
  });

  it("pushes a change to connected proxies after the quiet period, not before", () => {
    const cache = new SnapshotCache();
    const timers = manualTimers();
    const runtime = new MeshRuntime({
      cache,
      logger: recordingLogger().logger,
      timers,
      quietMs: 100,
    });
    runtime.onConnect(client);
    expect(routeNames(cache)).toEqual([]);
    runtime.apply({ type: "ADDED", object: serviceEntry });
    timers.advance(99);
    expect(routeNames(cache)).toEqual([]);
    timers.advance(1);
    expect(routeNames(cache)).toEqual(["echo.default.svc.cluster.local:7070"]);
    runtime.apply({ type: "DELETED", object: serviceEntry });
    timers.advance(100);
    expect(routeNames(cache)).toEqual([]);
  });

  it("ignores and reports Istio config that fails validation, keeping the last valid version", () => {
    const cache = new SnapshotCache();
    const timers = manualTimers();
    const { logger, lines } = recordingLogger();
    const runtime = new MeshRuntime({ cache, logger, timers });
    runtime.apply({ type: "ADDED", object: serviceEntry });
    const broken = {
      ...serviceEntry,
      spec: { ...(serviceEntry as { spec: object }).spec, ports: [{ number: 0, name: "grpc" }] },
    };
    runtime.apply({ type: "MODIFIED", object: broken as unknown as StoreObject });
    runtime.onConnect(client);
    expect(routeNames(cache)).toEqual(["echo.default.svc.cluster.local:7070"]);
    const warning = lines.find(l => l.msg.startsWith("invalid Istio config ignored"));
    expect(warning?.fields).toMatchObject({
      kind: "ServiceEntry",
      name: "echo",
      namespace: "default",
    });
    expect(String((warning?.fields.errors as string[])[0])).toContain(
      "ServiceEntry default/echo: spec.ports[0]",
    );
  });
  it("serves a gateway whose credential Secret is missing without that server, logs why once, and adds it when the Secret arrives", () => {
    const cache = new SnapshotCache();
    const timers = manualTimers();
    const { logger, lines } = recordingLogger();
    const runtime = new MeshRuntime({ cache, logger, timers, quietMs: 100 });
    const router: NodeInfo = {
      id: "router~10.1.2.3~gw-abc.istio-system~istio-system.svc.cluster.local",
      cluster: "test",
      metadata: { NAMESPACE: "istio-system", LABELS: { istio: "ingressgateway" } },
      userAgent: "test",
    };
    const gateway = {
      apiVersion: "networking.istio.io/v1",
      kind: "Gateway",
      metadata: { name: "gw", namespace: "default" },
      spec: {
        selector: { istio: "ingressgateway" },
        servers: [
          {
            port: { number: 443, name: "https", protocol: "HTTPS" },
            hosts: ["example.com"],
            tls: { mode: "SIMPLE", credentialName: "cred" },
          },
          { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] },
        ],
      },
    } as unknown as StoreObject;
    const listeners = () => [
      ...(cache.get(router.id)?.resources.get(TypeUrl.listener)?.keys() ?? []),
    ];
    const skipped = () => lines.filter(l => l.msg.startsWith("configuration left out"));
    runtime.apply({ type: "ADDED", object: gateway });
    runtime.onConnect(router);
    expect(listeners()).toEqual(["0.0.0.0_80"]);
    expect(skipped().map(l => l.fields.warnings)).toEqual([
      [
        'Gateway default/gw: spec.servers[0].tls.credentialName "cred": no Secret ' +
          "istio-system/cred with TLS data; the server is left out",
      ],
    ]);
    // An unrelated Secret neither joins the store nor triggers a push; the warning is not repeated.
    runtime.apply({ type: "ADDED", object: secret("db", "istio-system", { password: "x" }) });
    runtime.apply({ type: "ADDED", object: serviceEntry });
    timers.advance(100);
    expect(skipped()).toHaveLength(1);
    const pem = selfSigned("example.com");
    const cred = secret("cred", "istio-system", { "tls.crt": pem.cert, "tls.key": pem.key });
    runtime.apply({ type: "ADDED", object: cred });
    timers.advance(100);
    expect(listeners().sort()).toEqual(["0.0.0.0_443", "0.0.0.0_80"]);
    expect([...(cache.get(router.id)?.resources.get(TypeUrl.secret)?.keys() ?? [])]).toEqual([
      "kubernetes://cred",
    ]);
    // No log line carries key material.
    expect(JSON.stringify(lines)).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
  });

  describe("one compile per view", () => {
    const node = (ip: string, pod: string, labels: Record<string, string>): NodeInfo => ({
      id: `sidecar~${ip}~${pod}.default~default.svc.cluster.local`,
      cluster: "test",
      metadata: { NAMESPACE: "default", LABELS: labels },
      userAgent: "test",
    });
    const replicaA = node("10.0.0.1", "web-1", { app: "web" });
    const replicaB = node("10.0.0.2", "web-2", { app: "web" });
    const other = node("10.0.0.3", "api-1", { app: "api" });
    // A route only the web workload gets (sourceLabels): views must keep them apart.
    const routed = (weight: number): StoreObject =>
      ({
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "echo", namespace: "default" },
        spec: {
          hosts: ["echo.default.svc.cluster.local"],
          http: [
            {
              match: [{ sourceLabels: { app: "web" } }],
              route: [{ destination: { host: "echo.default.svc.cluster.local" }, weight }],
              timeout: `${weight}s`,
            },
          ],
        },
      }) as unknown as StoreObject;
    const route = (cache: SnapshotCache, n: NodeInfo) =>
      JSON.stringify(cache.get(n.id)?.resources.get(TypeUrl.route)?.get("7070")?.object ?? {});

    it.each([true, false])(
      "replicas share one snapshot and other workloads get theirs (sharing %s)",
      share => {
        const cache = new SnapshotCache();
        const timers = manualTimers();
        const runtime = new MeshRuntime({
          cache,
          logger: recordingLogger().logger,
          timers,
          shareViews: share,
        });
        runtime.apply({ type: "ADDED", object: serviceEntry });
        runtime.apply({ type: "ADDED", object: routed(100) });
        timers.advance(100);
        for (const n of [replicaA, replicaB, other]) runtime.onConnect(n);
        const [a, b, c] = [replicaA, replicaB, other].map(n => cache.get(n.id));
        expect(a === b).toBe(share);
        expect(a?.versions).toEqual(b?.versions);
        expect(route(cache, replicaA)).toContain('"seconds":100');
        expect(route(cache, other)).not.toContain('"seconds":100');
        expect(c).not.toBe(a);

        // A change reaches every member of the view, and still not the other workload.
        runtime.apply({ type: "MODIFIED", object: routed(100 - 1) });
        timers.advance(100);
        expect(route(cache, replicaA)).toContain('"seconds":99');
        expect(route(cache, replicaB)).toContain('"seconds":99');
        expect(route(cache, other)).not.toContain('"seconds":99');
        expect(cache.get(replicaA.id) === cache.get(replicaB.id)).toBe(share);

        // So does an endpoint change.
        runtime.apply({
          type: "MODIFIED",
          object: {
            ...serviceEntry,
            spec: {
              ...(serviceEntry as unknown as { spec: object }).spec,
              endpoints: [{ address: "127.0.0.22" }],
            },
          } as unknown as StoreObject,
        });
        timers.advance(100);
        for (const n of [replicaA, replicaB, other]) {
          const eds = cache.get(n.id)?.resources.get(TypeUrl.endpoint);
          expect(JSON.stringify([...(eds?.values() ?? [])].map(r => r.object))).toContain(
            "127.0.0.22",
          );
        }
        runtime.stop();
      },
    );

    it("a ServiceEntry listing one replica's address splits it from the view, and it serves the entry", () => {
      const cache = new SnapshotCache();
      const timers = manualTimers();
      const runtime = new MeshRuntime({ cache, logger: recordingLogger().logger, timers });
      runtime.apply({ type: "ADDED", object: serviceEntry });
      timers.advance(100);
      runtime.onConnect(replicaA);
      runtime.onConnect(replicaB);
      expect(cache.get(replicaA.id)).toBe(cache.get(replicaB.id));
      const inbound = (n: NodeInfo) =>
        [...(cache.get(n.id)?.resources.get(TypeUrl.cluster)?.keys() ?? [])].filter(name =>
          name.startsWith("inbound|"),
        );
      expect(inbound(replicaA)).toEqual([]);

      // After connecting: the view is taken again for the new store.
      runtime.apply({
        type: "ADDED",
        object: {
          apiVersion: "networking.istio.io/v1",
          kind: "ServiceEntry",
          metadata: { name: "vm-api", namespace: "default" },
          spec: {
            hosts: ["vm-api.internal"],
            ports: [{ number: 80, name: "http", protocol: "HTTP" }],
            resolution: "STATIC",
            location: "MESH_INTERNAL",
            endpoints: [{ address: "10.0.0.1", ports: { http: 8080 } }],
          },
        } as unknown as StoreObject,
      });
      timers.advance(100);
      expect(inbound(replicaA)).toEqual(["inbound|8080||"]);
      expect(inbound(replicaB)).toEqual([]);
      expect(cache.get(replicaA.id)).not.toBe(cache.get(replicaB.id));
      runtime.stop();
    });

    it("a replica connecting later gets the view's snapshot of the current store", () => {
      const cache = new SnapshotCache();
      const timers = manualTimers();
      const runtime = new MeshRuntime({ cache, logger: recordingLogger().logger, timers });
      runtime.apply({ type: "ADDED", object: serviceEntry });
      runtime.apply({ type: "ADDED", object: routed(100) });
      timers.advance(100);
      runtime.onConnect(replicaA);
      runtime.apply({ type: "MODIFIED", object: routed(42) });
      // Before the push: the newcomer compiles against the store as it is now.
      runtime.onConnect(replicaB);
      expect(route(cache, replicaB)).toContain('"seconds":42');
      timers.advance(100);
      expect(cache.get(replicaA.id)).toBe(cache.get(replicaB.id));
      runtime.stop();
    });
  });
});
