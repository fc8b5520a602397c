/**
 * Compiler table tests, one feature per row, asserting the Envoy resources as decoded from
 * their protobuf bytes (so a dropped or misspelled field fails the assertion, not just the
 * encoder check).
 */
import { storeOf, type StoreObject } from "../../../mesh/store";
import { compile, type CompiledResources } from "../../../xds/compile";
import type { ResourceObject } from "../../../xds/encode/encode-resource";
import { checkedSnapshot, decoded, grpcNode, named, sidecarNode, istioObject } from "./fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
type Json = Record<string, any>;
type JsonList = any[];
/* eslint-enable @typescript-eslint/no-explicit-any */

/** A resource decoded from its encoded bytes. */
const dec = (r: ResourceObject): Json => decoded(r);

const cfg = (kind: string, name: string, spec: Json, namespace = "default", extra: Json = {}) =>
  istioObject(kind, name, namespace, spec, extra);

const SE = (name: string, ns = "default", extra: Json = {}) =>
  cfg(
    "ServiceEntry",
    name,
    {
      hosts: [`${name}.${ns}.svc.cluster.local`],
      ports: [{ number: 9080, name: "grpc", protocol: "GRPC" }],
      location: "MESH_INTERNAL",
      resolution: "STATIC",
      endpoints: [
        { address: "10.0.0.1", labels: { version: "v1" } },
        { address: "10.0.0.2", labels: { version: "v2" }, locality: "us/east/a" },
      ],
      ...extra,
    },
    ns,
  );

const DR = (spec: Json) => cfg("DestinationRule", "reviews", { host: "reviews", ...spec });
const VS = (http: Json[]) => cfg("VirtualService", "reviews", { hosts: ["reviews"], http });
const HOST = "reviews.default.svc.cluster.local";
const GRPC = grpcNode("10.1.2.3", "client-abc", "default", { app: "client", team: "a" });
const SIDECAR = sidecarNode("10.1.2.3", "client-abc", "default", { app: "client" });

function build(
  objects: StoreObject[],
  node: { id: string; metadata: Json } = GRPC,
): CompiledResources {
  const result = compile(storeOf(objects), node);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  checkedSnapshot(result.value); // every resource passes the encoder check, every reference resolves
  return result.value;
}

function grpcRoutes(objects: StoreObject[], node = GRPC): JsonList {
  const rc = dec(named(build(objects, node).routes, `${HOST}:9080`));
  return rc.virtual_hosts[0].routes ?? []; // an empty repeated field decodes as absent
}

describe("proxyless gRPC resources", () => {
  it("names listeners, routes, clusters and assignments as Istio's grpcgen does", () => {
    const r = build([SE("reviews"), DR({ subsets: [{ name: "v1", labels: { version: "v1" } }] })]);
    const listener = dec(named(r.listeners, `${HOST}:9080`));
    expect(listener.api_listener.api_listener.rds.route_config_name).toBe(`${HOST}:9080`);
    expect(listener.api_listener.api_listener.http_filters.map((f: Json) => f.name)).toEqual([
      "envoy.filters.http.fault",
      "envoy.filters.http.router",
    ]);
    expect(r.clusters.map(c => c.name)).toEqual([
      `outbound|9080||${HOST}`,
      `outbound|9080|v1|${HOST}`,
    ]);
    const cluster = dec(named(r.clusters, `outbound|9080|v1|${HOST}`));
    expect(cluster).toMatchObject({
      type: "EDS",
      lb_policy: "ROUND_ROBIN",
      eds_cluster_config: { service_name: `outbound|9080|v1|${HOST}` },
    });
    const cla = dec(named(r.endpoints, `outbound|9080|v1|${HOST}`));
    expect(cla.endpoints).toHaveLength(1);
    expect(cla.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({
      address: "10.0.0.1",
      port_value: 9080,
    });
    const all = dec(named(r.endpoints, `outbound|9080||${HOST}`));
    expect(all.endpoints.map((e: Json) => e.locality)).toEqual([
      {},
      { region: "us", zone: "east", sub_zone: "a" },
    ]);
    expect(all.endpoints.every((e: Json) => e.load_balancing_weight.value >= 1)).toBe(true);
  });

  it.each([
    ["exact uri", { uri: { exact: "/a.B/C" } }, { path: "/a.B/C" }],
    ["prefix uri", { uri: { prefix: "/a.B/" } }, { prefix: "/a.B/" }],
    ["regex uri", { uri: { regex: "/a\\..*" } }, { safe_regex: { regex: "/a\\..*" } }],
    [
      "ignoreUriCase",
      { uri: { prefix: "/x" }, ignoreUriCase: true },
      { prefix: "/x", case_sensitive: { value: false } },
    ],
    [
      "end-user header",
      { headers: { "end-user": { exact: "jason" } } },
      { prefix: "/", headers: [{ name: "end-user", string_match: { exact: "jason" } }] },
    ],
    [
      "header present, header absent",
      { headers: { "x-a": {} }, withoutHeaders: { "x-b": { prefix: "z" } } },
      {
        headers: [
          { name: "x-a", present_match: true },
          { name: "x-b", string_match: { prefix: "z" }, invert_match: true },
        ],
      },
    ],
    [
      "method and authority",
      { method: { exact: "POST" }, authority: { regex: "rev.*" } },
      {
        headers: [
          { name: ":authority", string_match: { safe_regex: { regex: "rev.*" } } },
          { name: ":method", string_match: { exact: "POST" } },
        ],
      },
    ],
    [
      "query params",
      { queryParams: { id: { exact: "1" }, q: { regex: "a+" } } },
      {
        query_parameters: [
          { name: "id", string_match: { exact: "1" } },
          { name: "q", string_match: { safe_regex: { regex: "a+" } } },
        ],
      },
    ],
  ])("match: %s", (_label, match, want) => {
    const routes = grpcRoutes([
      SE("reviews"),
      VS([{ match: [match], route: [{ destination: { host: "reviews" } }] }]),
    ]);
    expect(routes).toHaveLength(1);
    expect(routes[0].match).toMatchObject(want);
  });

  it.each([
    ["port 9080 applies", { port: 9080 }, 1],
    ["port 9999 does not", { port: 9999 }, 0],
    ["own sourceLabels apply", { sourceLabels: { app: "client" } }, 1],
    ["other sourceLabels do not", { sourceLabels: { app: "other" } }, 0],
    ["own sourceNamespace applies", { sourceNamespace: "default" }, 1],
    ["other sourceNamespace does not", { sourceNamespace: "prod" }, 0],
    ["gateway-only match does not", { gateways: ["istio-system/ingress"] }, 0],
  ])("match condition decided at compile time: %s", (_label, match, n) => {
    const routes = grpcRoutes([
      SE("reviews"),
      VS([{ match: [match], route: [{ destination: { host: "reviews" } }] }]),
    ]);
    expect(routes).toHaveLength(n);
  });

  it("weighted subsets, timeout, retries and fault on one route", () => {
    const [route] = grpcRoutes([
      SE("reviews"),
      VS([
        {
          route: [
            { destination: { host: "reviews", subset: "v1" }, weight: 80 },
            { destination: { host: "reviews", subset: "v2" }, weight: 20 },
            { destination: { host: "reviews", subset: "v3" }, weight: 0 },
          ],
          timeout: "1.5s",
          retries: { attempts: 3, perTryTimeout: "500ms", retryOn: "unavailable,cancelled,503" },
          fault: {
            abort: { grpcStatus: "UNAVAILABLE", percentage: { value: 12.5 } },
            delay: { fixedDelay: "2s", percentage: { value: 0.1 } },
          },
        },
      ]),
    ]);
    expect(route.route.weighted_clusters.clusters).toEqual([
      { name: `outbound|9080|v1|${HOST}`, weight: { value: 80 } },
      { name: `outbound|9080|v2|${HOST}`, weight: { value: 20 } },
    ]);
    expect(route.route.timeout).toEqual({ seconds: "1", nanos: 500_000_000 });
    expect(route.route.max_stream_duration.max_stream_duration).toEqual({
      seconds: "1",
      nanos: 500_000_000,
    });
    expect(route.route.retry_policy).toMatchObject({
      num_retries: { value: 3 },
      retry_on: "unavailable,cancelled,retriable-status-codes",
      retriable_status_codes: [503],
      per_try_timeout: { nanos: 500_000_000 },
    });
    expect(route.typed_per_filter_config["envoy.filters.http.fault"]).toMatchObject({
      "@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault",
      abort: { grpc_status: 14, percentage: { numerator: 125_000, denominator: "MILLION" } },
      delay: {
        fixed_delay: { seconds: "2" },
        percentage: { numerator: 1_000, denominator: "MILLION" },
      },
    });
  });

  it("attempts: 0 turns retries off; no retries block keeps Istio's default policy", () => {
    const [off] = grpcRoutes([
      SE("reviews"),
      VS([{ route: [{ destination: { host: "reviews" } }], retries: { attempts: 0 } }]),
    ]);
    expect(off.route.retry_policy).toBeUndefined();
    const [dflt] = grpcRoutes([SE("reviews")]);
    expect(dflt.route.retry_policy).toMatchObject({
      num_retries: { value: 2 },
      retry_on: expect.stringContaining("unavailable"),
    });
    // As istiod: `retriable-status-codes` without codes, so a 503 is not retried by default.
    expect(dflt.route.retry_policy.retriable_status_codes).toBeUndefined();
  });

  it.each([
    ["ROUND_ROBIN", { simple: "ROUND_ROBIN" }, "ROUND_ROBIN", "ROUND_ROBIN"],
    ["RANDOM (gRPC falls back to round robin)", { simple: "RANDOM" }, "ROUND_ROBIN", "RANDOM"],
    ["LEAST_REQUEST", { simple: "LEAST_REQUEST" }, "ROUND_ROBIN", "LEAST_REQUEST"],
    ["unset (Envoy default LEAST_REQUEST)", undefined, "ROUND_ROBIN", "LEAST_REQUEST"],
    [
      "consistent hash by header",
      { consistentHash: { httpHeaderName: "x-user" } },
      "RING_HASH",
      "RING_HASH",
    ],
  ])("load balancing %s", (_label, loadBalancer, grpcPolicy, envoyPolicy) => {
    const objects = [SE("reviews"), DR(loadBalancer ? { trafficPolicy: { loadBalancer } } : {})];
    const name = `outbound|9080||${HOST}`;
    expect(dec(named(build(objects).clusters, name)).lb_policy).toBe(grpcPolicy);
    expect(dec(named(build(objects, SIDECAR).clusters, name)).lb_policy).toBe(envoyPolicy);
  });

  it("consistent hash puts a header hash policy on the route and a ring on the cluster", () => {
    const objects = [
      SE("reviews"),
      DR({
        trafficPolicy: {
          loadBalancer: {
            consistentHash: { httpHeaderName: "x-user", ringHash: { minimumRingSize: 2048 } },
          },
        },
      }),
    ];
    const [route] = grpcRoutes(objects);
    expect(route.route.hash_policy).toEqual([{ header: { header_name: "x-user" } }]);
    const cluster = dec(named(build(objects).clusters, `outbound|9080||${HOST}`));
    expect(cluster.ring_hash_lb_config.minimum_ring_size).toEqual({ value: "2048" });
  });

  it("outlier detection as Istio translates it; subset policy overrides the top level", () => {
    const objects = [
      SE("reviews"),
      DR({
        trafficPolicy: {
          outlierDetection: {
            consecutive5xxErrors: 3,
            interval: "10s",
            baseEjectionTime: "30s",
            maxEjectionPercent: 50,
          },
        },
        subsets: [
          {
            name: "v1",
            labels: { version: "v1" },
            trafficPolicy: { outlierDetection: { consecutiveGatewayErrors: 2 } },
          },
        ],
      }),
    ];
    // Istio's mapping is Envoy's; proxyless gRPC gets failure-percentage ejection instead
    // (locality-outlier.test.ts).
    const r = build(objects, SIDECAR);
    expect(dec(named(r.clusters, `outbound|9080||${HOST}`)).outlier_detection).toEqual({
      consecutive_5xx: { value: 3 },
      enforcing_consecutive_5xx: { value: 100 },
      enforcing_success_rate: { value: 0 },
      interval: { seconds: "10", nanos: 0 },
      base_ejection_time: { seconds: "30", nanos: 0 },
      max_ejection_percent: { value: 50 },
    });
    expect(dec(named(r.clusters, `outbound|9080|v1|${HOST}`)).outlier_detection).toEqual({
      consecutive_gateway_failure: { value: 2 },
      enforcing_consecutive_gateway_failure: { value: 100 },
      enforcing_success_rate: { value: 0 },
    });
  });

  it.each([
    [
      "exportTo '.' hides a service from other namespaces",
      [SE("ratings", "prod", { exportTo: ["."] })],
      false,
    ],
    ["exportTo 'default' shows it", [SE("ratings", "prod", { exportTo: ["default"] })], true],
    [
      "a namespace Sidecar without the host hides it",
      [
        SE("ratings", "prod"),
        cfg("Sidecar", "default", { egress: [{ hosts: ["./*", "istio-system/*"] }] }),
      ],
      false,
    ],
    [
      "a Sidecar selecting other workloads does not",
      [
        SE("ratings", "prod"),
        cfg("Sidecar", "other", {
          workloadSelector: { labels: { app: "other" } },
          egress: [{ hosts: ["./*"] }],
        }),
      ],
      true,
    ],
    [
      "a root-namespace Sidecar applies when the namespace has none",
      [
        SE("ratings", "prod"),
        cfg("Sidecar", "default", { egress: [{ hosts: ["./*"] }] }, "istio-system"),
      ],
      false,
    ],
  ])("%s", (_label, objects, visible) => {
    const names = build([SE("reviews"), ...objects]).listeners.map(l => l.name);
    expect(names.includes("ratings.prod.svc.cluster.local:9080")).toBe(visible);
    expect(names).toContain(`${HOST}:9080`);
  });

  it("the proxy's own namespace's DestinationRule wins over the service namespace's", () => {
    const objects = [
      SE("ratings", "prod"),
      cfg(
        "DestinationRule",
        "ratings",
        { host: "ratings.prod.svc.cluster.local", subsets: [{ name: "prod-rule" }] },
        "prod",
      ),
      cfg("DestinationRule", "ratings", {
        host: "ratings.prod.svc.cluster.local",
        subsets: [{ name: "client-rule" }],
      }),
    ];
    const names = build(objects).clusters.map(c => c.name);
    expect(names).toContain("outbound|9080|client-rule|ratings.prod.svc.cluster.local");
    expect(names).not.toContain("outbound|9080|prod-rule|ratings.prod.svc.cluster.local");
  });
});

describe("Envoy sidecar resources", () => {
  const bookinfoLike: StoreObject[] = [
    {
      kind: "Service",
      metadata: { name: "reviews", namespace: "default" },
      spec: {
        clusterIP: "10.96.0.10",
        selector: { app: "reviews" },
        ports: [{ name: "http", port: 9080 }],
      },
    } as StoreObject,
    {
      kind: "Service",
      metadata: { name: "mysql", namespace: "default" },
      spec: {
        clusterIP: "10.96.0.11",
        selector: { app: "mysql" },
        ports: [{ name: "tcp", port: 3306 }],
      },
    } as StoreObject,
  ];

  it("has Istio's listener, route and cluster names", () => {
    const r = build(
      bookinfoLike,
      sidecarNode("10.1.2.3", "reviews-v1-abc", "default", { app: "reviews" }),
    );
    expect(r.listeners.map(l => l.name)).toEqual([
      "virtualOutbound",
      "0.0.0.0_9080",
      "10.96.0.11_3306",
      "virtualInbound",
    ]);
    expect(r.routes.map(x => x.name)).toEqual(["9080"]);
    expect(r.clusters.map(c => c.name)).toEqual([
      "outbound|3306||mysql.default.svc.cluster.local",
      "outbound|9080||reviews.default.svc.cluster.local",
      "inbound|9080||",
      "BlackHoleCluster",
      "PassthroughCluster",
      "InboundPassthroughCluster",
    ]);
    const outbound = dec(named(r.listeners, "0.0.0.0_9080"));
    expect(outbound.filter_chains[0].filters[0].typed_config.rds.route_config_name).toBe("9080");
    const rc = dec(named(r.routes, "9080"));
    expect(rc.virtual_hosts.map((v: Json) => v.name)).toEqual([
      "reviews.default.svc.cluster.local:9080",
      "allow_any",
    ]);
    // Istio 1.31's forms: no `:port` (the route config ignores the port), the absolute FQDN.
    expect(rc.ignore_port_in_host_matching).toBe(true);
    expect(rc.virtual_hosts[0].domains).toEqual([
      "reviews.default.svc.cluster.local",
      "reviews.default.svc.cluster.local.",
      "reviews",
      "reviews.default.svc",
      "reviews.default",
      "10.96.0.10",
    ]);
    const inbound = dec(named(r.listeners, "virtualInbound"));
    expect(inbound.address.socket_address.port_value).toBe(15006);
    const served = inbound.filter_chains.find((c: Json) => c.name === "0.0.0.0_9080");
    expect(served.filter_chain_match.destination_port).toEqual({ value: 9080 });
  });
  it("a mesh VirtualService's hosts that name no service on a port get virtual hosts as in istiod", () => {
    const web: StoreObject = {
      kind: "Service",
      metadata: { name: "web", namespace: "default" },
      spec: {
        clusterIP: "10.96.0.12",
        selector: { app: "web" },
        ports: [{ name: "http", port: 80 }],
      },
    } as StoreObject;
    const r = build(
      [
        ...bookinfoLike,
        web,
        // Names no port-80 service: on route 80 under its own host (istiod's port-80 rule).
        cfg("VirtualService", "reviews", {
          hosts: ["reviews"],
          http: [{ route: [{ destination: { host: "reviews" } }] }],
        }),
        // Names a port-80 service and an external host: the host joins route 80.
        cfg("VirtualService", "web", {
          hosts: ["web", "web.example.com"],
          http: [{ route: [{ destination: { host: "web" } }] }],
        }),
        // Its only route is for port 9080: nothing on route 80.
        cfg("VirtualService", "other", {
          hosts: ["other.example.com"],
          http: [{ match: [{ port: 9080 }], route: [{ destination: { host: "reviews" } }] }],
        }),
      ],
      sidecarNode("10.1.2.3", "client-abc", "default", { app: "client" }),
    );
    const rc80 = dec(named(r.routes, "80"));
    expect(rc80.virtual_hosts.map((v: Json) => [v.name, v.domains])).toEqual([
      ["reviews.default.svc.cluster.local:80", ["reviews.default.svc.cluster.local"]],
      [
        "web.default.svc.cluster.local:80",
        expect.arrayContaining(["web.default.svc.cluster.local"]),
      ],
      ["web.example.com:80", ["web.example.com"]],
      ["allow_any", ["*"]],
    ]);
    // As istiod: the destination is looked up among the services on the route's port, so a
    // service without port 80 is routed on 80 (a cluster neither control plane sends).
    expect(rc80.virtual_hosts[0].routes[0].route.cluster).toBe(
      "outbound|80||reviews.default.svc.cluster.local",
    );
    expect(dec(named(r.routes, "9080")).virtual_hosts[0].routes[0].route.cluster).toBe(
      "outbound|9080||reviews.default.svc.cluster.local",
    );
    const rc9080 = dec(named(r.routes, "9080"));
    expect(rc9080.virtual_hosts.map((v: Json) => v.name)).toEqual([
      "reviews.default.svc.cluster.local:9080",
      "allow_any",
    ]);
  });
});
