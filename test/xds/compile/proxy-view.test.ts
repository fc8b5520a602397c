/**
 * Proxies with equal views share one compiled set (the runtime compiles it from the view's
 * proxy). Two facts make that safe: compiling from the view's proxy gives what compiling from
 * the proxy itself gives, for every kind of proxy; and two proxies differing in any input the
 * compiler reads have different keys (and, where the config reads that input, different output).
 */
import { storeOf, type StoreObject } from "../../../mesh/store";
import { compile, parseProxy, type CompiledResources, type Proxy } from "../../../xds/compile";
import { proxyView } from "../../../xds/compile/proxy-view";
import { istioPath, loadYaml, storeObjects } from "./fixtures";

const BOOKINFO = loadYaml(istioPath("samples/bookinfo/platform/kube/bookinfo.yaml"));

const config = (kind: string, ns: string, name: string, spec: object): StoreObject =>
  ({
    apiVersion: kind.endsWith("Policy") ? "security.istio.io/v1" : "networking.istio.io/v1",
    kind,
    metadata: { name, namespace: ns },
    spec,
  }) as unknown as StoreObject;

// Config that reads each input of the view: namespace (Sidecar, exportTo, DestinationRule
// precedence, route sourceNamespace), labels (workload selectors, route sourceLabels, Services
// selecting the workload), locality (locality load balancing), kind.
const OBJECTS: StoreObject[] = [
  ...storeObjects(BOOKINFO),
  config("Sidecar", "team-a", "default", {
    egress: [{ hosts: ["./*", "default/ratings.default.svc.cluster.local"] }],
  }),
  config("Sidecar", "team-b", "narrow", {
    workloadSelector: { labels: { tier: "narrow" } },
    egress: [{ hosts: ["./*", "default/reviews.default.svc.cluster.local"] }],
  }),
  config("DestinationRule", "team-b", "reviews-canary", {
    host: "reviews.default.svc.cluster.local",
    workloadSelector: { matchLabels: { app: "canary" } },
    trafficPolicy: { connectionPool: { tcp: { maxConnections: 7 } } },
  }),
  config("DestinationRule", "default", "ratings", {
    host: "ratings",
    trafficPolicy: {
      outlierDetection: { consecutive5xxErrors: 5, interval: "10s", baseEjectionTime: "30s" },
    },
  }),
  config("VirtualService", "default", "details", {
    hosts: ["details"],
    http: [
      {
        match: [{ sourceLabels: { app: "productpage" } }],
        route: [{ destination: { host: "details" } }],
      },
      {
        match: [{ sourceNamespace: "team-b" }],
        fault: { abort: { httpStatus: 503, percentage: { value: 100 } } },
        route: [{ destination: { host: "details" } }],
      },
      { route: [{ destination: { host: "details" } }] },
    ],
  }),
  config("AuthorizationPolicy", "default", "reviews", {
    selector: { matchLabels: { app: "reviews" } },
    rules: [
      { from: [{ source: { principals: ["cluster.local/ns/default/sa/bookinfo-productpage"] } }] },
    ],
  }),
  {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { name: "gw", namespace: "default" },
    spec: {
      selector: { istio: "ingressgateway" },
      servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
    },
  } as unknown as StoreObject,
];
// Ratings' endpoints in two zones, so the client's locality decides their priorities.
const RATINGS_SLICE = {
  kind: "EndpointSlice",
  metadata: {
    name: "ratings-abc",
    namespace: "default",
    labels: { "kubernetes.io/service-name": "ratings" },
  },
  ports: [{ name: "http", port: 9080 }],
  endpoints: [
    { addresses: ["10.9.0.1"], zone: "zone-a" },
    { addresses: ["10.9.0.2"], zone: "zone-b" },
  ],
} as unknown as StoreObject;

const store = storeOf([...OBJECTS, RATINGS_SLICE]);

interface NodeSpec {
  type?: "sidecar" | "router";
  ip?: string;
  pod?: string;
  ns?: string;
  labels?: Record<string, string>;
  sa?: string;
  grpc?: boolean;
  zone?: string;
  podPorts?: string;
}

function proxy(spec: NodeSpec = {}): Proxy {
  const {
    type = "sidecar",
    ip = "10.1.0.1",
    pod = "pod-1",
    ns = "default",
    sa = "bookinfo",
  } = spec;
  const parsed = parseProxy({
    id: `${type}~${ip}~${pod}.${ns}~${ns}.svc.cluster.local`,
    metadata: {
      NAMESPACE: ns,
      SERVICE_ACCOUNT: sa,
      LABELS: spec.labels ?? { app: "productpage" },
      ...(spec.grpc ? { GENERATOR: "grpc" } : {}),
      ...(spec.podPorts ? { POD_PORTS: spec.podPorts } : {}),
    },
    locality: spec.zone ? { zone: spec.zone } : undefined,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join());
  return parsed.value;
}

function compiled(p: Proxy): CompiledResources {
  const result = compile(store, p);
  if (!result.ok) throw new Error(result.errors.join());
  return result.value;
}

const PROXIES: Array<[string, Proxy]> = [
  ["productpage sidecar", proxy()],
  ["reviews sidecar (inbound, authz)", proxy({ labels: { app: "reviews", version: "v1" } })],
  ["sidecar under a namespace Sidecar", proxy({ ns: "team-a" })],
  ["sidecar under a selecting Sidecar", proxy({ ns: "team-b", labels: { tier: "narrow" } })],
  ["sidecar with a zone", proxy({ zone: "zone-a" })],
  ["proxyless gRPC client", proxy({ grpc: true, labels: { app: "reviews" } })],
  ["ingress gateway", proxy({ type: "router", labels: { istio: "ingressgateway" } })],
];

describe("proxyView", () => {
  it.each(PROXIES)("%s: compiling its view's proxy gives what compiling it gives", (_, p) => {
    expect(compiled(proxyView(p).proxy)).toEqual(compiled(p));
  });

  it.each([
    ["another IP", proxy({ ip: "10.1.0.2" })],
    ["another pod name", proxy({ pod: "pod-3" })],
  ])("replicas share a view: %s", (_, replica) => {
    const base = proxy();
    expect(proxyView(replica).key).toBe(proxyView(base).key);
    expect(compiled(proxyView(replica).proxy)).toEqual(compiled(proxyView(base).proxy));
  });

  it("keys labels by content, not insertion order", () => {
    const a = proxy({ labels: { app: "reviews", version: "v1" } });
    const b = proxy({ labels: { version: "v1", app: "reviews" } });
    expect(proxyView(a).key).toBe(proxyView(b).key);
  });

  // Each pair differs in one input the compiler reads; the config above reads each of them.
  it.each<[string, NodeSpec, NodeSpec]>([
    ["namespace (Sidecar)", { ns: "team-a" }, { ns: "team-c" }],
    ["namespace (route sourceNamespace)", { ns: "team-b" }, { ns: "team-c" }],
    [
      "labels (route sourceLabels)",
      { labels: { app: "productpage" } },
      { labels: { app: "other" } },
    ],
    [
      "labels (a selecting Sidecar)",
      { ns: "team-b", labels: { tier: "narrow" } },
      { ns: "team-b", labels: { tier: "wide" } },
    ],
    [
      "labels (a selecting DestinationRule)",
      { ns: "team-b", labels: { app: "canary" } },
      { ns: "team-b", labels: { app: "stable" } },
    ],
    [
      "labels (Services selecting the workload)",
      { labels: { app: "ratings" } },
      { labels: { app: "none" } },
    ],
    ["locality", { zone: "zone-a" }, { zone: "zone-b" }],
    ["kind (Envoy or proxyless)", {}, { grpc: true }],
    [
      "kind (sidecar or gateway)",
      { labels: { istio: "ingressgateway" } },
      { type: "router", labels: { istio: "ingressgateway" } },
    ],
    [
      "a proxyless workload's IP (its server listeners)",
      { grpc: true, labels: { app: "ratings" } },
      { grpc: true, labels: { app: "ratings" }, ip: "10.1.0.9" },
    ],
  ])("proxies differing in %s have different views and different output", (_, a, b) => {
    const [pa, pb] = [proxy(a), proxy(b)];
    expect(proxyView(pa).key).not.toBe(proxyView(pb).key);
    expect(compiled(proxyView(pa).proxy)).not.toEqual(compiled(proxyView(pb).proxy));
  });

  it("keeps the pod's container ports in the view: a Service's named targetPort resolves against them", () => {
    const ports = (port: number) => JSON.stringify([{ name: "web-port", containerPort: port }]);
    const [a, b] = [proxy({ podPorts: ports(8080) }), proxy({ podPorts: ports(8081) })];
    expect(proxyView(a).proxy.podPorts).toEqual(a.podPorts);
    expect(proxyView(a).key).not.toBe(proxyView(b).key);
    expect(proxyView(a).key).toBe(proxyView(proxy({ podPorts: ports(8080), ip: "10.1.0.2" })).key);
  });

  it("keeps the service account in the view (identity), though no generator reads it today", () => {
    expect(proxyView(proxy({ sa: "a" })).key).not.toBe(proxyView(proxy({ sa: "b" })).key);
  });

  it("drops an Envoy proxy's IPs from the view: sidecars and gateways bind wildcard addresses", () => {
    expect(proxyView(proxy({ ip: "10.1.0.7" })).proxy.ips).toEqual([]);
    expect(proxyView(proxy({ ip: "10.1.0.7", grpc: true })).proxy.ips).toEqual(["10.1.0.7"]);
  });
});
