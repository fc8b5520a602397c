/**
 * The mesh store: persistent-map behaviour, O(change) updates with structural sharing, the
 * registry merging Services and ServiceEntries, protocols, and endpoints from every source.
 */
import {
  applyEvent,
  createStore,
  emptyMap,
  endpointsOf,
  entriesOf,
  getIn,
  kubePortProtocol,
  removeIn,
  servicesForHost,
  setIn,
  storeOf,
  type PMap,
  type StoreObject,
} from "../../../mesh/store";

const svc = (
  name: string,
  ns: string,
  spec: Record<string, unknown>,
  annotations?: Record<string, string>,
) => ({ kind: "Service", metadata: { name, namespace: ns, annotations }, spec }) as StoreObject;
const istio = (
  kind: string,
  name: string,
  ns: string,
  spec: Record<string, unknown>,
  labels?: Record<string, string>,
) =>
  ({
    apiVersion: "networking.istio.io/v1",
    kind,
    metadata: { name, namespace: ns, labels },
    spec,
  }) as unknown as StoreObject;

describe("persistent map", () => {
  it("agrees with a Map over random inserts and removes, and never changes old versions", () => {
    let map: PMap<number> = emptyMap();
    const model = new Map<string, number>();
    const versions: [PMap<number>, Map<string, number>][] = [];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 5_000; i++) {
      const key = `k${next() % 1500}`;
      if (next() % 3 === 0) {
        map = removeIn(map, key);
        model.delete(key);
      } else {
        map = setIn(map, key, i);
        model.set(key, i);
      }
      if (i % 1000 === 0) versions.push([map, new Map(model)]);
    }
    expect(map.size).toBe(model.size);
    expect(new Map([...entriesOf(map)])).toEqual(model);
    for (const [old, snapshot] of versions) expect(new Map([...entriesOf(old)])).toEqual(snapshot);
  });

  it("setting an equal value or removing an absent key returns the same map", () => {
    const a = setIn(emptyMap<string>(), "x", "1");
    expect(setIn(a, "x", "1")).toBe(a);
    expect(removeIn(a, "y")).toBe(a);
  });
});

describe("store updates", () => {
  const many = Array.from({ length: 2_000 }, (_, i) =>
    svc(`s${i}`, `ns${i % 20}`, { ports: [{ name: "http", port: 80 }] }),
  );

  it("an update shares every untouched object and index with the previous snapshot", () => {
    const before = storeOf(many);
    const after = applyEvent(before, {
      type: "MODIFIED",
      object: svc("s5", "ns5", { ports: [{ name: "grpc", port: 81 }] }),
    });
    expect(after.revision).toBe(before.revision + 1);
    expect(getIn(after.services, "ns6/s6")).toBe(getIn(before.services, "ns6/s6"));
    expect(getIn(after.registry, "s6.ns6.svc.cluster.local")).toBe(
      getIn(before.registry, "s6.ns6.svc.cluster.local"),
    );
    expect(after.pods).toBe(before.pods);
    expect(after.config).toBe(before.config);
    expect(servicesForHost(after, "s5.ns5.svc.cluster.local")[0]!.ports[0]).toMatchObject({
      port: 81,
      protocol: "GRPC",
    });
    expect(servicesForHost(before, "s5.ns5.svc.cluster.local")[0]!.ports[0]).toMatchObject({
      port: 80,
      protocol: "HTTP",
    });
  });

  it("an update costs far less than a rebuild", () => {
    const base = storeOf(many);
    const t0 = performance.now();
    let s = base;
    for (let i = 0; i < 2_000; i++)
      s = applyEvent(s, {
        type: "MODIFIED",
        object: svc(`s${i % 50}`, `ns${i % 20}`, { ports: [{ port: i }] }),
      });
    const perUpdate = (performance.now() - t0) / 2_000;
    const t1 = performance.now();
    storeOf(many);
    const rebuild = performance.now() - t1;
    expect(perUpdate * 20).toBeLessThan(rebuild);
  });

  it("deleting removes the object and its registry entry; unknown kinds are ignored", () => {
    const s = storeOf([svc("a", "x", { ports: [{ port: 80 }] })]);
    const deleted = applyEvent(s, { type: "DELETED", object: svc("a", "x", {}) });
    expect(deleted.services.size).toBe(0);
    expect(servicesForHost(deleted, "a.x.svc.cluster.local")).toEqual([]);
    expect(
      applyEvent(s, {
        type: "ADDED",
        object: { kind: "ConfigMap", metadata: {} } as unknown as StoreObject,
      }),
    ).toBe(s);
  });
});

describe("service registry", () => {
  it.each([
    ["http", undefined, undefined, "HTTP"],
    ["http-web", undefined, undefined, "HTTP"],
    ["GRPC-foo", undefined, undefined, "GRPC"],
    ["grpc-web-x", undefined, undefined, "GRPC-Web"],
    ["tcp-db", undefined, undefined, "TCP"],
    ["web", undefined, "http2", "HTTP2"],
    ["web", undefined, "kubernetes.io/h2c", "HTTP2"],
    ["web", undefined, "kubernetes.io/ws", "HTTP"],
    ["web", undefined, "kubernetes.io/wss", "HTTPS"],
    ["http", "UDP", undefined, "UDP"],
    ["metrics", undefined, undefined, "Unsupported"],
  ])("port name %s (%s, appProtocol %s) is %s", (name, proto, app, want) => {
    expect(kubePortProtocol(name, proto, app, 8080)).toBe(want);
  });

  // Istio's ConvertProtocol: server-first protocols on their usual ports are not sniffed.
  it.each([
    [25, "smtp", "TCP"],
    [53, "dns-tcp", "TCP"],
    [3306, "db", "TCP"],
    [27017, "", "TCP"],
    [3306, "mysql", "MySQL"],
    [53, "http", "HTTP"],
    [5432, "db", "Unsupported"],
  ])("an undeclared port %i named %j is %s", (port, name, want) => {
    expect(kubePortProtocol(name, undefined, undefined, port)).toBe(want);
  });

  it("merges Services and ServiceEntries per host, Kubernetes first", () => {
    const s = storeOf([
      istio("ServiceEntry", "dup", "default", {
        hosts: ["reviews.default.svc.cluster.local", "api.example.com"],
        ports: [{ number: 443, name: "tls", protocol: "TLS" }],
        resolution: "DNS",
      }),
      svc("reviews", "default", { clusterIP: "10.0.0.1", ports: [{ name: "http", port: 9080 }] }),
    ]);
    expect(servicesForHost(s, "reviews.default.svc.cluster.local").map(x => x.sourceKind)).toEqual([
      "Service",
      "ServiceEntry",
    ]);
    const api = servicesForHost(s, "api.example.com")[0]!;
    expect(api).toMatchObject({
      resolution: "DNS",
      meshExternal: true,
      ports: [{ port: 443, protocol: "TLS" }],
    });
    expect(endpointsOf(s, api, api.ports[0]!)).toMatchObject([
      { address: "api.example.com", port: 443 },
    ]);
  });

  it("endpoints come from EndpointSlices (with pod labels), selected WorkloadEntries and ServiceEntry endpoints", () => {
    const s = storeOf([
      svc("reviews", "default", {
        selector: { app: "reviews" },
        ports: [{ name: "http", port: 9080, targetPort: 8080 }],
      }),
      {
        kind: "EndpointSlice",
        metadata: {
          name: "reviews-abc",
          namespace: "default",
          labels: { "kubernetes.io/service-name": "reviews" },
        },
        ports: [{ name: "http", port: 8080 }],
        endpoints: [
          {
            addresses: ["10.1.0.5"],
            conditions: { ready: true },
            targetRef: { kind: "Pod", name: "reviews-v1" },
            zone: "a",
          },
          { addresses: ["10.1.0.6"], conditions: { ready: false } },
        ],
      } as StoreObject,
      {
        kind: "Pod",
        metadata: {
          name: "reviews-v1",
          namespace: "default",
          labels: { app: "reviews", version: "v1" },
        },
        spec: { serviceAccountName: "bookinfo-reviews" },
        status: { podIP: "10.1.0.5" },
      } as StoreObject,
      istio("WorkloadEntry", "vm", "default", {
        address: "192.168.0.9",
        labels: { app: "reviews", version: "vm" },
        ports: { http: 9999 },
      }),
      istio("ServiceEntry", "ext", "default", {
        hosts: ["ext.example.com"],
        ports: [{ number: 80, name: "http", protocol: "HTTP", targetPort: 8081 }],
        resolution: "STATIC",
        endpoints: [
          { address: "1.1.1.1" },
          { address: "2.2.2.2", ports: { http: 9000 }, weight: 3 },
        ],
      }),
    ]);
    const reviews = servicesForHost(s, "reviews.default.svc.cluster.local")[0]!;
    expect(endpointsOf(s, reviews, reviews.ports[0]!)).toMatchObject([
      {
        address: "10.1.0.5",
        port: 8080,
        labels: { version: "v1" },
        serviceAccount: "bookinfo-reviews",
        healthy: true,
        locality: "/a",
      },
      { address: "10.1.0.6", port: 8080, healthy: false },
      { address: "192.168.0.9", port: 9999, labels: { version: "vm" } },
    ]);
    const ext = servicesForHost(s, "ext.example.com")[0]!;
    expect(endpointsOf(s, ext, ext.ports[0]!)).toMatchObject([
      { address: "1.1.1.1", port: 8081, weight: 1 },
      { address: "2.2.2.2", port: 9000, weight: 3 },
    ]);
    // An EndpointSlice moving to another service leaves the old index.
    const moved = applyEvent(s, {
      type: "MODIFIED",
      object: {
        kind: "EndpointSlice",
        metadata: {
          name: "reviews-abc",
          namespace: "default",
          labels: { "kubernetes.io/service-name": "other" },
        },
      } as StoreObject,
    });
    expect(endpointsOf(moved, reviews, reviews.ports[0]!).map(e => e.address)).toEqual([
      "192.168.0.9",
    ]);
  });

  it("the exportTo annotation of a Service is read", () => {
    const s = applyEvent(createStore(), {
      type: "ADDED",
      object: svc(
        "a",
        "x",
        { ports: [{ port: 80 }] },
        { "networking.istio.io/exportTo": ".,prod" },
      ),
    });
    expect(servicesForHost(s, "a.x.svc.cluster.local")[0]!.exportTo).toEqual([".", "prod"]);
  });
});
