/**
 * Pushes that carry only the change: the runtime recompiles only the proxies a batch reaches,
 * and for endpoint-only batches only the Clusters and ClusterLoadAssignments of the services
 * whose endpoints moved. The last test is the safety net: after every kind of change, what each
 * proxy holds equals a full recompile from the same store.
 */
import { MeshRuntime } from "../../control-plane/mesh-runtime";
import type { StoreObject } from "../../mesh/store";
import { configChange, endpointChange, mergePushRequests } from "../../xds/cache/push-request";
import { planPush } from "../../xds/cache/push-scope";
import { createSnapshot, type Snapshot } from "../../xds/cache/snapshot";
import { SnapshotCache } from "../../xds/cache/snapshot-cache";
import { allResources, compile, parseProxy, type Proxy } from "../../xds/compile";
import { TypeUrl, type XdsTypeUrl } from "../../xds/encode/type-urls";
import type { NodeInfo } from "../../xds/server/messages";
import { manualTimers, recordingLogger } from "./fakes";

const node = (id: string, namespace: string, labels: Record<string, string>, extra = {}) =>
  ({
    id,
    cluster: "test",
    metadata: { NAMESPACE: namespace, LABELS: labels, ...extra },
    userAgent: "test",
  }) as NodeInfo;

/** In `front`, whose Sidecar hides every other namespace but istio-system. */
const hidden = node("sidecar~10.0.0.1~front-1.front~front.svc.cluster.local", "front", {
  app: "front",
});
/** In `shop`, seeing the whole mesh. */
const seeing = node("sidecar~10.0.0.2~web-1.shop~shop.svc.cluster.local", "shop", { app: "web" });
/** A proxyless gRPC client in `shop`. */
const grpc = node(
  "sidecar~10.0.0.3~cli-1.shop~shop.svc.cluster.local",
  "shop",
  { app: "cli" },
  {
    GENERATOR: "grpc",
  },
);
/** An ingress gateway. */
const gateway = node(
  "router~10.0.0.4~gw-1.istio-system~istio-system.svc.cluster.local",
  "istio-system",
  {
    istio: "ingressgateway",
  },
);
const ALL = [hidden, seeing, grpc, gateway];

const svc = (name: string, ns: string, port = 9080) =>
  ({
    kind: "Service",
    metadata: { name, namespace: ns },
    spec: {
      clusterIP: `10.96.${port % 250}.${name.length}`,
      selector: { app: name },
      ports: [{ name: "http", port }],
    },
  }) as StoreObject;

const slice = (service: string, ns: string, ips: string[], port = 9080) =>
  ({
    kind: "EndpointSlice",
    metadata: {
      name: `${service}-x`,
      namespace: ns,
      labels: { "kubernetes.io/service-name": service },
    },
    ports: [{ name: "http", port }],
    endpoints: ips.map((ip, i) => ({
      addresses: [ip],
      targetRef: { kind: "Pod", name: `${service}-${i}`, namespace: ns },
    })),
  }) as StoreObject;

const pod = (name: string, ns: string, ip: string, labels: Record<string, string>) =>
  ({
    kind: "Pod",
    metadata: { name, namespace: ns, labels },
    spec: { serviceAccountName: name.split("-")[0] },
    status: { podIP: ip, phase: "Running" },
  }) as StoreObject;

const istio = (kind: string, name: string, ns: string, spec: object) =>
  ({
    apiVersion: `${kind.endsWith("Authentication") || kind === "AuthorizationPolicy" ? "security" : "networking"}.istio.io/v1`,
    kind,
    metadata: { name, namespace: ns },
    spec,
  }) as unknown as StoreObject;

const REVIEWS = "reviews.shop.svc.cluster.local";

const vsReviews = (weight: number) =>
  istio("VirtualService", "reviews", "shop", {
    hosts: ["reviews"],
    http: [
      {
        route: [
          { destination: { host: "reviews", subset: "v1" }, weight },
          { destination: { host: "reviews", subset: "v2" }, weight: 100 - weight },
        ],
      },
    ],
  });

const mesh: StoreObject[] = [
  svc("reviews", "shop"),
  svc("ratings", "shop"),
  svc("front", "front", 8080),
  svc("web", "shop", 8000),
  slice("reviews", "shop", ["10.1.0.1", "10.1.0.2"]),
  slice("ratings", "shop", ["10.1.1.1"]),
  pod("reviews-0", "shop", "10.1.0.1", { app: "reviews", version: "v1" }),
  pod("reviews-1", "shop", "10.1.0.2", { app: "reviews", version: "v2" }),
  pod("ratings-0", "shop", "10.1.1.1", { app: "ratings", "security.istio.io/tlsMode": "istio" }),
  istio("Sidecar", "default", "front", { egress: [{ hosts: ["./*", "istio-system/*"] }] }),
  istio("DestinationRule", "reviews", "shop", {
    host: REVIEWS,
    subsets: [
      { name: "v1", labels: { version: "v1" } },
      { name: "v2", labels: { version: "v2" } },
    ],
  }),
  istio("Gateway", "gw", "istio-system", {
    selector: { istio: "ingressgateway" },
    servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
  }),
  istio("VirtualService", "ingress", "istio-system", {
    hosts: ["*"],
    gateways: ["gw"],
    http: [{ route: [{ destination: { host: "ratings.shop.svc.cluster.local" } }] }],
  }),
];

function setup(objects: StoreObject[] = mesh) {
  const cache = new SnapshotCache();
  const timers = manualTimers();
  const log = recordingLogger();
  const runtime = new MeshRuntime({ cache, logger: log, timers, quietMs: 100 });
  for (const object of objects) runtime.apply({ type: "ADDED", object });
  timers.advance(100);
  for (const n of ALL) runtime.onConnect(n);
  const snap = (n: NodeInfo) => cache.get(n.id)!;
  const change = (type: "ADDED" | "MODIFIED" | "DELETED", object: StoreObject) => {
    runtime.apply({ type, object });
    timers.advance(100);
  };
  const lastPush = () =>
    log.lines
      .map(l => JSON.parse(l) as Record<string, unknown>)
      .filter(l => l.msg === "xDS push")
      .pop();
  return { cache, runtime, snap, change, lastPush };
}

const typeVersions = (s: Snapshot, ...types: XdsTypeUrl[]) => types.map(t => s.versions.get(t));
const routeJson = (s: Snapshot) =>
  JSON.stringify([...s.resources.get(TypeUrl.route)!.values()].map(r => r.object));

/** The snapshot a full recompile of `n` from `store` publishes. */
function recompiled(store: MeshRuntime["store"], n: NodeInfo): Snapshot {
  const compiled = compile(store, { id: n.id, metadata: n.metadata });
  if (!compiled.ok) throw new Error(compiled.errors.join());
  const snapshot = createSnapshot(allResources(compiled.value));
  if (!snapshot.ok) throw new Error(snapshot.errors.join());
  return snapshot.value;
}

describe("pushes that carry only the change", () => {
  it("a VirtualService change on a host recompiles the proxies that see it, not one whose Sidecar hides it", () => {
    const { snap, change, lastPush } = setup();
    change("ADDED", vsReviews(90));
    const before = { hidden: snap(hidden), seeing: snap(seeing), gateway: snap(gateway) };
    change("MODIFIED", vsReviews(50));
    expect(snap(hidden)).toBe(before.hidden);
    expect(snap(gateway)).toBe(before.gateway); // bound to the mesh only
    expect(snap(seeing)).not.toBe(before.seeing);
    expect(routeJson(snap(seeing))).toContain('"weight":{"value":50}');
    expect(routeJson(before.seeing)).toContain('"weight":{"value":90}');
    expect(lastPush()).toMatchObject({ recompiled: 2, unchanged: 2, published: 2 });
  });

  it("deleting a VirtualService recomputes the proxies that saw its hosts", () => {
    const { snap, change } = setup();
    change("ADDED", vsReviews(90));
    const before = { hidden: snap(hidden), seeing: snap(seeing), grpc: snap(grpc) };
    change("DELETED", vsReviews(90));
    expect(snap(hidden)).toBe(before.hidden);
    expect(routeJson(snap(seeing))).not.toContain("|v1|");
    expect(routeJson(before.seeing)).toContain("|v1|");
    expect(snap(grpc)).not.toBe(before.grpc);
  });

  it("an endpoint change republishes only Clusters and ClusterLoadAssignments, of the changed service only", () => {
    const { snap, change, lastPush } = setup();
    const before = snap(seeing);
    change("MODIFIED", slice("reviews", "shop", ["10.1.0.1", "10.1.0.2", "10.1.0.9"]));
    const after = snap(seeing);
    expect(typeVersions(after, TypeUrl.listener, TypeUrl.route)).toEqual(
      typeVersions(before, TypeUrl.listener, TypeUrl.route),
    );
    expect(after.versions.get(TypeUrl.endpoint)).not.toBe(before.versions.get(TypeUrl.endpoint));
    // Untouched types are shared with the previous snapshot, not re-encoded.
    expect(after.resources.get(TypeUrl.listener)).toBe(before.resources.get(TypeUrl.listener));
    expect(after.resources.get(TypeUrl.route)).toBe(before.resources.get(TypeUrl.route));
    const ratings = "outbound|9080||ratings.shop.svc.cluster.local";
    expect(after.resources.get(TypeUrl.endpoint)!.get(ratings)).toBe(
      before.resources.get(TypeUrl.endpoint)!.get(ratings),
    );
    expect(
      JSON.stringify(
        after.resources.get(TypeUrl.endpoint)!.get(`outbound|9080||${REVIEWS}`)!.object,
      ),
    ).toContain("10.1.0.9");
    // The Sidecar hides `shop` from `front`, and the gateway routes to ratings only.
    expect(lastPush()).toMatchObject({
      full: false,
      endpointsOnly: 2,
      unchanged: 2,
      recompiled: 0,
    });
  });

  it("keeps a proxy whose last publish failed marked for a full recompile", () => {
    const { snap, change, runtime } = setup();
    // An unparseable node never compiles; the runtime must not treat it as up to date.
    const broken = node("not-a-node-id", "shop", {});
    runtime.onConnect(broken);
    change("MODIFIED", slice("reviews", "shop", ["10.1.0.1"]));
    expect(snap(broken)).toBeUndefined();
  });

  // After each change, every proxy holds exactly what a full recompile gives.
  const changes: Array<[string, "ADDED" | "MODIFIED" | "DELETED", StoreObject]> = [
    ["a VirtualService", "ADDED", vsReviews(80)],
    ["the VirtualService again", "MODIFIED", vsReviews(20)],
    [
      "a DestinationRule's subsets",
      "MODIFIED",
      istio("DestinationRule", "reviews", "shop", {
        host: REVIEWS,
        trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: "x-user" } } },
        subsets: [{ name: "v1", labels: { version: "v1" } }],
      }),
    ],
    [
      "a DestinationRule of a route's destination",
      "ADDED",
      istio("DestinationRule", "ratings", "shop", {
        host: "ratings",
        trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: "x-r" } } },
      }),
    ],
    ["a new endpoint", "MODIFIED", slice("reviews", "shop", ["10.1.0.1", "10.1.0.2", "10.1.0.3"])],
    [
      "its pod",
      "ADDED",
      pod("reviews-2", "shop", "10.1.0.3", {
        app: "reviews",
        version: "v1",
        "security.istio.io/tlsMode": "istio",
      }),
    ],
    [
      "a pod relabelled",
      "MODIFIED",
      pod("reviews-0", "shop", "10.1.0.1", { app: "reviews", version: "v2" }),
    ],
    ["an endpoint removed", "MODIFIED", slice("ratings", "shop", [])],
    [
      "a ServiceEntry",
      "ADDED",
      istio("ServiceEntry", "ext", "shop", {
        hosts: ["api.example.com"],
        ports: [{ number: 443, name: "tls", protocol: "TLS" }],
        resolution: "DNS",
        location: "MESH_EXTERNAL",
      }),
    ],
    [
      "a WorkloadEntry",
      "ADDED",
      istio("WorkloadEntry", "vm", "shop", {
        address: "10.2.0.1",
        labels: { app: "reviews", version: "v1" },
      }),
    ],
    [
      "a Sidecar in the root namespace",
      "ADDED",
      istio("Sidecar", "default", "istio-system", { egress: [{ hosts: ["*/*"] }] }),
    ],
    ["a Sidecar in a namespace", "DELETED", istio("Sidecar", "default", "front", {})],
    [
      "a PeerAuthentication",
      "ADDED",
      istio("PeerAuthentication", "off", "shop", { mtls: { mode: "DISABLE" } }),
    ],
    [
      "an AuthorizationPolicy",
      "ADDED",
      istio("AuthorizationPolicy", "deny", "shop", {
        selector: { matchLabels: { app: "web" } },
        action: "DENY",
        rules: [{ to: [{ operation: { paths: ["/admin"] } }] }],
      }),
    ],
    [
      "a RequestAuthentication",
      "ADDED",
      istio("RequestAuthentication", "jwt", "shop", {
        selector: { matchLabels: { app: "web" } },
        jwtRules: [{ issuer: "https://issuer.test", jwksUri: "https://issuer.test/jwks" }],
      }),
    ],
    ["a Service", "ADDED", svc("details", "shop")],
    [
      "a gateway's VirtualService",
      "MODIFIED",
      istio("VirtualService", "ingress", "istio-system", {
        hosts: ["*"],
        gateways: ["gw"],
        http: [{ route: [{ destination: { host: REVIEWS, subset: "v1" } }] }],
      }),
    ],
    ["the VirtualService deleted", "DELETED", vsReviews(20)],
  ];

  it("leaves every proxy with what a full recompile gives, after every kind of change", () => {
    const { runtime, snap, change } = setup();
    for (const [what, type, object] of changes) {
      change(type, object);
      for (const n of ALL)
        expect([what, n.id, snap(n).versions]).toEqual([
          what,
          n.id,
          recompiled(runtime.store, n).versions,
        ]);
    }
  });
});

describe("planPush", () => {
  const proxies = Object.fromEntries(
    ALL.map(n => [
      n.id.split("~")[2]!.split(".")[0]!,
      parseProxy({ id: n.id, metadata: n.metadata }),
    ]),
  ) as Record<string, { ok: true; value: Proxy }>;
  const { runtime } = setup();
  const store = runtime.store;

  it.each([
    [
      "a VirtualService of a hidden host",
      configChange("VirtualService/shop/nope"),
      { "front-1": "unchanged" },
    ],
    [
      "a Sidecar: its namespace only, never gateways",
      configChange("Sidecar/front/default"),
      { "front-1": "full", "web-1": "unchanged", "cli-1": "unchanged", "gw-1": "unchanged" },
    ],
    [
      "a Sidecar that exists in neither store",
      configChange("Sidecar/shop/none"),
      { "web-1": "unchanged" },
    ],
    [
      "a Gateway",
      configChange("Gateway/istio-system/gw"),
      { "front-1": "unchanged", "web-1": "unchanged", "gw-1": "full" },
    ],
    [
      "a Service (conservative)",
      configChange("Service/shop/ratings"),
      { "front-1": "full", "gw-1": "full" },
    ],
    ["something unknown", configChange("jwks"), { "front-1": "full", "cli-1": "full" }],
    [
      "an EndpointSlice",
      endpointChange("EndpointSlice/shop/reviews-x"),
      { "front-1": "endpoints", "gw-1": "endpoints" },
    ],
    [
      "an endpoint and a hidden host's config",
      mergePushRequests(
        endpointChange("EndpointSlice/shop/ratings-x"),
        configChange("VirtualService/shop/reviews"),
      ),
      { "front-1": "endpoints" },
    ],
  ])("%s", (_what, request, expected) => {
    // Planned against the store itself: the objects named exist in both versions.
    const plan = planPush(request, store, store);
    for (const [name, action] of Object.entries(expected))
      expect([name, plan(proxies[name]!.value).action]).toEqual([name, action]);
  });

  it("names the endpoint hosts of a slice, and of a pod's services", () => {
    const plan = planPush(
      mergePushRequests(
        endpointChange("EndpointSlice/shop/reviews-x"),
        endpointChange("Pod/shop/ratings-0"),
      ),
      store,
      store,
    );
    const step = plan(proxies["web-1"]!.value);
    expect(step.action === "endpoints" && [...(step.hosts ?? [])].sort()).toEqual([
      "ratings.shop.svc.cluster.local",
      REVIEWS,
    ]);
  });
});
