/**
 * Envoy sidecar outbound TCP/TLS routing (VirtualService `tcp` and `tls` routes), protocol
 * sniffing on ports with no declared protocol, and AUTO_PASSTHROUGH gateway servers, asserted
 * on Listeners and Clusters as decoded from their protobuf bytes; every build also passes the
 * snapshot check (encoding, and every RDS/EDS name resolves).
 *
 * These are Envoy-config assertions only: the data plane our end-to-end tests run,
 * grpc-js-xds, has no TCP proxying, listener filters or filter chain matching, so nothing here
 * can be exercised by a real client short of a real Envoy.
 */
import { storeOf, type StoreObject } from "../../../mesh/store";
import {
  buildScope,
  compile,
  compileEndpoints,
  parseProxy,
  type CompiledResources,
} from "../../../xds/compile";
import { ignoredTlsRouteWarnings } from "../../../xds/compile/routes/tcp-routes";
import type { ResourceObject } from "../../../xds/encode/encode-resource";
import {
  checkedSnapshot,
  decoded,
  istioPath,
  loadYaml,
  named,
  sidecarNode,
  storeObjects,
  istioObject,
} from "./fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

const dec = (r: ResourceObject): Json => decoded(r);
const names = (list: readonly ResourceObject[]) => list.map(r => r.name ?? r.cluster_name);

const cfg = (kind: string, name: string, spec: Json, namespace = "default") =>
  istioObject(kind, name, namespace, spec);

/** A Kubernetes Service; `clusterIP: "None"` makes it headless (no VIP). */
function service(
  name: string,
  clusterIP: string,
  ports: { name?: string; port: number; appProtocol?: string }[],
  ns = "default",
): StoreObject {
  return {
    kind: "Service",
    metadata: { name, namespace: ns },
    spec: { clusterIP, selector: { app: name }, ports },
  } as unknown as StoreObject;
}

const host = (name: string, ns = "default") => `${name}.${ns}.svc.cluster.local`;
const outbound = (port: number, subset: string, name: string) =>
  `outbound|${port}|${subset}|${host(name)}`;

const MYSQL = service("mysql", "10.96.0.11", [{ name: "tcp-mysql", port: 3306 }]);
const MYSQL_SUBSETS = cfg("DestinationRule", "mysql", {
  host: "mysql",
  subsets: [
    { name: "v1", labels: { version: "v1" } },
    { name: "v2", labels: { version: "v2" } },
  ],
});
const EGRESS = service("egress", "10.96.0.12", [{ name: "tls", port: 443 }]);
const CLIENT = sidecarNode("10.1.2.3", "client-abc", "default", { app: "client" });

function build(objects: StoreObject[], node: Json = CLIENT): CompiledResources {
  const result = compile(storeOf(objects), node as { id: string });
  if (!result.ok) throw new Error(result.errors.join("\n"));
  checkedSnapshot(result.value); // every resource encodes, every RDS/EDS reference resolves
  return result.value;
}

const listener = (r: CompiledResources, name: string): Json => dec(named(r.listeners, name));
const tcpProxyOf = (chain: Json): Json =>
  chain.filters.find((f: Json) => f.name === "envoy.filters.network.tcp_proxy").typed_config;
const listenerFilterNames = (l: Json): string[] =>
  (l.listener_filters ?? []).map((f: Json) => f.name);
/** Where each chain of a listener sends TCP: its cluster, or its weighted clusters. */
const destinations = (l: Json): unknown[] =>
  [...(l.filter_chains ?? []), ...(l.default_filter_chain ? [l.default_filter_chain] : [])].map(
    c => {
      const p = tcpProxyOf(c);
      return p.cluster ?? p.weighted_clusters.clusters.map((w: Json) => `${w.name}@${w.weight}`);
    },
  );

const tcpVs = (tcp: Json[], name = "mysql", hosts = ["mysql"]) =>
  cfg("VirtualService", name, { hosts, tcp });
const to = (subset: string, weight?: number) => ({
  destination: { host: "mysql", subset },
  ...(weight === undefined ? {} : { weight }),
});

describe("sidecar outbound tcp routes", () => {
  it("a weighted 80/20 split becomes tcp_proxy weighted_clusters, stats named by the VirtualService", () => {
    const r = build([MYSQL, MYSQL_SUBSETS, tcpVs([{ route: [to("v1", 80), to("v2", 20)] }])]);
    const l = listener(r, "10.96.0.11_3306");
    expect(l.filter_chains).toHaveLength(1);
    expect(l.default_filter_chain).toBeUndefined();
    expect(l.listener_filters).toBeUndefined();
    const proxy = tcpProxyOf(l.filter_chains[0]);
    expect(proxy.stat_prefix).toBe("mysql.default");
    expect(proxy.cluster).toBeUndefined();
    expect(proxy.weighted_clusters.clusters).toEqual([
      { name: outbound(3306, "v1", "mysql"), weight: 80 },
      { name: outbound(3306, "v2", "mysql"), weight: 20 },
    ]);
  });

  it("one destination is a plain cluster, with the DestinationRule's TCP settings", () => {
    const dr = cfg("DestinationRule", "mysql", {
      host: "mysql",
      trafficPolicy: {
        connectionPool: { tcp: { idleTimeout: "30s", maxConnectionDuration: "1h" } },
        loadBalancer: { consistentHash: { useSourceIp: true } },
      },
      subsets: [{ name: "v1", labels: { version: "v1" } }],
    });
    const r = build([MYSQL, dr, tcpVs([{ route: [to("v1")] }])]);
    const proxy = tcpProxyOf(listener(r, "10.96.0.11_3306").filter_chains[0]);
    expect(proxy).toMatchObject({
      stat_prefix: outbound(3306, "v1", "mysql"),
      cluster: outbound(3306, "v1", "mysql"),
      idle_timeout: { seconds: "30", nanos: 0 },
      max_downstream_connection_duration: { seconds: "3600", nanos: 0 },
      hash_policy: [{ source_ip: {} }],
    });
  });

  // Static conditions are decided for this proxy now: a route whose match excludes it is skipped.
  it.each([
    [
      "matching sourceLabels",
      { app: "canary" },
      [{ port: 3306, sourceLabels: { app: "canary" } }],
      "v2",
    ],
    [
      "other sourceLabels",
      { app: "client" },
      [{ port: 3306, sourceLabels: { app: "canary" } }],
      "v1",
    ],
    ["another port", { app: "canary" }, [{ port: 9999 }], "v1"],
    ["another sourceNamespace", { app: "canary" }, [{ sourceNamespace: "prod" }], "v1"],
    ["gateways without mesh", { app: "canary" }, [{ gateways: ["istio-system/gw"] }], "v1"],
    ["any of several matches", { app: "canary" }, [{ port: 9999 }, { port: 3306 }], "v2"],
  ])("match on %s", (_, labels, match, subset) => {
    const vs = tcpVs([{ match, route: [to("v2")] }, { route: [to("v1")] }]);
    const node = sidecarNode("10.1.2.3", "client-abc", "default", labels);
    const l = listener(build([MYSQL, MYSQL_SUBSETS, vs], node), "10.96.0.11_3306");
    expect(destinations(l)).toEqual([outbound(3306, subset, "mysql")]);
  });

  it("first match wins: a catch-all route ends the list, across VirtualServices too", () => {
    const first = tcpVs([{ route: [to("v1")] }, { route: [to("v2")] }], "a-first");
    const second = tcpVs([{ route: [to("v2")] }], "b-second");
    const l = listener(build([MYSQL, MYSQL_SUBSETS, first, second]), "10.96.0.11_3306");
    expect(destinations(l)).toEqual([outbound(3306, "v1", "mysql")]);
  });

  it("destinationSubnets routes get a prefix_ranges chain; the service's cluster takes the rest", () => {
    const vs = tcpVs([
      { match: [{ destinationSubnets: ["10.96.0.0/16", "192.168.1.7"] }], route: [to("v2")] },
    ]);
    const l = listener(build([MYSQL, MYSQL_SUBSETS, vs]), "10.96.0.11_3306");
    expect(l.filter_chains).toHaveLength(1);
    expect(l.filter_chains[0].filter_chain_match).toEqual({
      prefix_ranges: [
        { address_prefix: "10.96.0.0", prefix_len: { value: 16 } },
        { address_prefix: "192.168.1.7", prefix_len: { value: 32 } },
      ],
    });
    expect(destinations(l)).toEqual([outbound(3306, "v2", "mysql"), outbound(3306, "", "mysql")]);
  });

  it("with no VirtualService, tcp_proxy to the service's own cluster", () => {
    const l = listener(build([MYSQL]), "10.96.0.11_3306");
    expect(l.filter_chains).toHaveLength(1);
    expect(l.filter_chains[0].filter_chain_match).toBeUndefined();
    expect(tcpProxyOf(l.filter_chains[0])).toEqual({
      "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
      stat_prefix: outbound(3306, "", "mysql"),
      cluster: outbound(3306, "", "mysql"),
    });
  });

  // Validation refuses these; config may still arrive (e.g. before the webhook ran).
  it.each([
    ["no route", { route: [] }],
    ["no route field", {}],
    ["several destinations all weighted 0", { route: [to("v1", 0), to("v2", 0)] }],
  ])("a tcp route with %s is skipped without failing the compile", (_, bad) => {
    const vs = tcpVs([bad, { route: [to("v2")] }]);
    const l = listener(build([MYSQL, MYSQL_SUBSETS, vs]), "10.96.0.11_3306");
    expect(destinations(l)).toEqual([outbound(3306, "v2", "mysql")]);
  });
});

const tlsVs = (tls: Json[], name = "egress") =>
  cfg("VirtualService", name, { hosts: ["egress"], tls });
const toEgress = (subset: string) => ({ destination: { host: "egress", subset } });
const EGRESS_SUBSETS = cfg("DestinationRule", "egress", {
  host: "egress",
  subsets: ["a", "b", "c"].map(name => ({ name, labels: { version: name } })),
});

describe("sidecar outbound tls routes", () => {
  it("sniHosts become server_names chains read by tls_inspector; unmatched names pass through", () => {
    const vs = tlsVs([
      { match: [{ sniHosts: ["b.example.com", "a.example.com"] }], route: [toEgress("a")] },
      { match: [{ sniHosts: ["c.example.com"], port: 443 }], route: [toEgress("c")] },
    ]);
    const l = listener(build([EGRESS, EGRESS_SUBSETS, vs]), "10.96.0.12_443");
    expect(listenerFilterNames(l)).toEqual(["envoy.filters.listener.tls_inspector"]);
    expect(l.filter_chains.map((c: Json) => c.filter_chain_match)).toEqual([
      { server_names: ["a.example.com", "b.example.com"] },
      { server_names: ["c.example.com"] },
    ]);
    expect(destinations(l)).toEqual([
      outbound(443, "a", "egress"),
      outbound(443, "c", "egress"),
      "PassthroughCluster",
    ]);
    expect(l.default_filter_chain.name).toBe("PassthroughFilterChain");
  });

  it("under REGISTRY_ONLY, unmatched SNI names go to the BlackHoleCluster", () => {
    const vs = tlsVs([{ match: [{ sniHosts: ["a.example.com"] }], route: [toEgress("a")] }]);
    const sidecar = cfg("Sidecar", "default", { outboundTrafficPolicy: { mode: "REGISTRY_ONLY" } });
    const l = listener(build([EGRESS, EGRESS_SUBSETS, vs, sidecar]), "10.96.0.12_443");
    expect(destinations(l)).toEqual([outbound(443, "a", "egress"), "BlackHoleCluster"]);
  });

  it("first match wins: a later match on the same SNI names is unreachable and left out", () => {
    const vs = tlsVs([
      { match: [{ sniHosts: ["a.example.com"] }], route: [toEgress("a")] },
      { match: [{ sniHosts: ["a.example.com"] }], route: [toEgress("b")] },
    ]);
    const l = listener(build([EGRESS, EGRESS_SUBSETS, vs]), "10.96.0.12_443");
    expect(destinations(l)).toEqual([outbound(443, "a", "egress"), "PassthroughCluster"]);
  });

  it("a TLS port without tls routes goes whole to the service's cluster (no SNI on a VIP)", () => {
    const l = listener(build([EGRESS]), "10.96.0.12_443");
    expect(l.listener_filters).toBeUndefined();
    expect(l.filter_chains).toHaveLength(1);
    expect(destinations(l)).toEqual([outbound(443, "", "egress")]);
  });

  it("a headless TLS service shares 0.0.0.0_<port> and is told apart by SNI = its host", () => {
    const headless = service("db", "None", [{ name: "https", port: 443 }]);
    const l = listener(build([headless]), "0.0.0.0_443");
    expect(listenerFilterNames(l)).toEqual(["envoy.filters.listener.tls_inspector"]);
    expect(l.filter_chains[0].filter_chain_match).toEqual({ server_names: [host("db")] });
    expect(destinations(l)).toEqual([outbound(443, "", "db"), "PassthroughCluster"]);
  });

  it("tls routes are ignored on a plain HTTP port, with a warning naming the route", () => {
    const web = service("web", "10.96.0.13", [{ name: "http", port: 8080 }]);
    const vs = cfg("VirtualService", "web", {
      hosts: ["web"],
      tls: [
        { match: [{ sniHosts: ["web.example.com"] }], route: [{ destination: { host: "web" } }] },
      ],
    });
    const objects = [web, vs];
    const l = listener(build(objects), "0.0.0.0_8080");
    expect(listenerFilterNames(l)).toEqual(["envoy.filters.listener.http_inspector"]);
    expect(l.filter_chains.map((c: Json) => c.filters[0].name)).toEqual([
      "envoy.filters.network.http_connection_manager",
    ]);
    const proxy = parseProxy(CLIENT);
    if (!proxy.ok) throw new Error(proxy.errors.join());
    expect(ignoredTlsRouteWarnings(buildScope(storeOf(objects), proxy.value))).toEqual([
      "VirtualService default/web: spec.tls[0]: tls routes apply to HTTPS and TLS ports only; " +
        "web.default.svc.cluster.local:8080 (HTTP) is not one, the route is ignored",
    ]);
    // ...and the compile result carries it, so the runtime logs it for the operator.
    const compiled = compile(storeOf(objects), CLIENT);
    if (!compiled.ok) throw new Error(compiled.errors.join());
    expect(compiled.value.warnings).toContain(
      "VirtualService default/web: spec.tls[0]: tls routes apply to HTTPS and TLS ports only; " +
        "web.default.svc.cluster.local:8080 (HTTP) is not one, the route is ignored",
    );
  });
});

describe("sidecar protocol sniffing and the capture listener", () => {
  const HTTP_MATCH = {
    transport_protocol: "raw_buffer",
    application_protocols: ["http/1.1", "h2c"],
  };

  it("a port with no declared protocol: http_inspector, an HTTP chain by ALPN, TCP for the rest", () => {
    const api = service("api", "10.96.0.14", [{ name: "web", port: 8000 }]);
    const r = build([api]);
    const l = listener(r, "10.96.0.14_8000");
    expect(listenerFilterNames(l)).toEqual(["envoy.filters.listener.http_inspector"]);
    expect(l.continue_on_listener_filters_timeout).toBe(true);
    expect(l.filter_chains).toHaveLength(1);
    expect(l.filter_chains[0].filter_chain_match).toEqual(HTTP_MATCH);
    expect(l.filter_chains[0].filters[0].typed_config).toMatchObject({
      stat_prefix: "outbound_10.96.0.14_8000",
      // On its VIP, the service's own route config, as istiod names it.
      rds: { route_config_name: "api.default.svc.cluster.local:8000" },
    });
    expect(tcpProxyOf(l.default_filter_chain).cluster).toBe(outbound(8000, "", "api"));
    expect(names(r.routes)).toEqual(["8000", "api.default.svc.cluster.local:8000"]);
    // One virtual host matching any Host: the connection's address already chose the service.
    const own = r.routes.find(x => x.name === "api.default.svc.cluster.local:8000")!;
    expect((own.virtual_hosts as { domains: string[] }[]).map(v => v.domains)).toEqual([["*"]]);
  });

  it("a sniffed port takes tcp routes for its non-HTTP traffic", () => {
    const api = service("api", "10.96.0.14", [{ port: 8000 }]);
    const vs = cfg("VirtualService", "api", {
      hosts: ["api"],
      tcp: [{ route: [{ destination: { host: "api", subset: "v2" } }] }],
    });
    const dr = cfg("DestinationRule", "api", {
      host: "api",
      subsets: [{ name: "v2", labels: {} }],
    });
    const l = listener(build([api, vs, dr]), "10.96.0.14_8000");
    expect(tcpProxyOf(l.default_filter_chain).cluster).toBe(outbound(8000, "v2", "api"));
  });

  it("a declared HTTP port matches HTTP by ALPN and passes anything else through", () => {
    const web = service("web", "10.96.0.13", [{ name: "http", port: 8080 }]);
    const l = listener(build([web]), "0.0.0.0_8080");
    expect(listenerFilterNames(l)).toEqual(["envoy.filters.listener.http_inspector"]);
    expect(l.filter_chains[0].filter_chain_match).toEqual(HTTP_MATCH);
    expect(l.default_filter_chain.name).toBe("PassthroughFilterChain");
  });

  it("HTTP and headless TCP on one port merge into one sniffing listener", () => {
    const web = service("web", "10.96.0.13", [{ name: "http", port: 9000 }]);
    const db = service("db", "None", [{ name: "tcp", port: 9000 }]);
    const r = build([web, db]);
    expect(names(r.listeners).filter(n => String(n).endsWith("_9000"))).toEqual(["0.0.0.0_9000"]);
    const l = listener(r, "0.0.0.0_9000");
    expect(l.filter_chains[0].filter_chain_match).toEqual(HTTP_MATCH);
    expect(tcpProxyOf(l.default_filter_chain).cluster).toBe(outbound(9000, "", "db"));
  });

  it.each([
    ["HTTP", { name: "http", port: 3306 }],
    ["plain TCP", { name: "tcp", port: 3306 }],
  ])(
    "a headless MySQL port keeps its listener to itself: %s on the port is left out",
    (_, port) => {
      const db = service("a-db", "None", [{ name: "mysql", port: 3306 }]);
      const other = service("b-other", port.name === "http" ? "10.96.0.15" : "None", [port]);
      const l = listener(build([db, other]), "0.0.0.0_3306");
      expect(l.listener_filters).toBeUndefined();
      expect(destinations(l)).toEqual([outbound(3306, "", "a-db")]);
    },
  );

  it("virtualOutbound redirects by use_original_dst and blackholes traffic addressed to 15001", () => {
    const l = listener(build([MYSQL]), "virtualOutbound");
    expect(l.use_original_dst).toEqual({ value: true });
    expect(l.listener_filters).toBeUndefined();
    expect(
      l.filter_chains.map((c: Json) => [c.name, c.filter_chain_match, tcpProxyOf(c).cluster]),
    ).toEqual([
      ["virtualOutbound-blackhole", { destination_port: { value: 15001 } }, "BlackHoleCluster"],
      ["virtualOutbound-catchall-tcp", undefined, "PassthroughCluster"],
    ]);
  });
});

describe("AUTO_PASSTHROUGH gateway servers", () => {
  const EASTWEST = {
    id: "router~10.1.2.9~eastwest-xyz.istio-system~istio-system.svc.cluster.local",
    metadata: { NAMESPACE: "istio-system", LABELS: { istio: "eastwestgateway" } },
  };
  const ISTIO_ALPNS = [
    "istio",
    "istio-peer-exchange",
    "istio-http/1.0",
    "istio-http/1.1",
    "istio-h2",
  ];
  const sni = (port: number, subset: string, h: string) => `outbound_.${port}_.${subset}_.${h}`;
  const reviewsEntry = (location = "MESH_INTERNAL", h = host("reviews"), name = "reviews") =>
    cfg("ServiceEntry", name, {
      hosts: [h],
      ports: [{ number: 9080, name: "http", protocol: "HTTP" }],
      location,
      resolution: "STATIC",
      endpoints: [
        { address: "10.0.0.1", labels: { version: "v1" } },
        { address: "10.0.0.2", labels: { version: "v2" } },
      ],
    });
  const REVIEWS_SUBSETS = cfg("DestinationRule", "reviews", {
    host: "reviews",
    trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } },
    subsets: [
      { name: "v1", labels: { version: "v1" } },
      { name: "v2", labels: { version: "v2" } },
    ],
  });
  // Istio's own sample: the cross-network gateway exposing every `*.local` service on 15443.
  const SAMPLE = storeObjects(
    loadYaml(istioPath("samples/multicluster/expose-services.yaml")),
    "istio-system",
  );
  const gatewayWithHosts = (hosts: string[]) =>
    cfg(
      "Gateway",
      "cross-network-gateway",
      {
        selector: { istio: "eastwestgateway" },
        servers: [
          {
            port: { number: 15443, name: "tls", protocol: "TLS" },
            tls: { mode: "AUTO_PASSTHROUGH" },
            hosts,
          },
        ],
      },
      "istio-system",
    );

  it("a chain per service port and subset, by Istio's SNI name and mTLS ALPNs, to a same-named cluster", () => {
    const r = build([...SAMPLE, reviewsEntry(), REVIEWS_SUBSETS], EASTWEST);
    const l = listener(r, "0.0.0.0_15443");
    expect(listenerFilterNames(l)).toEqual(["envoy.filters.listener.tls_inspector"]);
    const expected = ["", "v1", "v2"].map(s => sni(9080, s, host("reviews")));
    expect(l.filter_chains.map((c: Json) => c.filter_chain_match)).toEqual(
      expected.map(n => ({ server_names: [n], application_protocols: ISTIO_ALPNS })),
    );
    expect(l.filter_chains.map((c: Json) => tcpProxyOf(c))).toEqual(
      expected.map(n => ({
        "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
        stat_prefix: n,
        cluster: n,
      })),
    );
    expect(l.filter_chains.every((c: Json) => c.transport_socket === undefined)).toBe(true);
    expect(names(r.clusters)).toEqual(expected);
    expect(names(r.endpoints)).toEqual(expected);
  });

  it("SNI-DNAT clusters keep the subset's endpoints and never originate TLS themselves", () => {
    const r = build([...SAMPLE, reviewsEntry(), REVIEWS_SUBSETS], EASTWEST);
    const v2 = sni(9080, "v2", host("reviews"));
    const cluster = dec(named(r.clusters, v2));
    expect(cluster.type).toBe("EDS");
    expect(cluster.eds_cluster_config.service_name).toBe(v2);
    expect(cluster.transport_socket).toBeUndefined();
    const addresses = dec(named(r.endpoints, v2)).endpoints.flatMap((l: Json) =>
      l.lb_endpoints.map((e: Json) => e.endpoint.address.socket_address.address),
    );
    expect(addresses).toEqual(["10.0.0.2"]);
  });

  it("an endpoint-only recompile covers the SNI-DNAT clusters", () => {
    const store = storeOf([...SAMPLE, reviewsEntry(), REVIEWS_SUBSETS]);
    const proxy = parseProxy(EASTWEST);
    if (!proxy.ok) throw new Error(proxy.errors.join());
    expect(names(compileEndpoints(buildScope(store, proxy.value)))).toEqual(
      ["", "v1", "v2"].map(s => sni(9080, s, host("reviews"))),
    );
  });

  it.each([
    [
      "`*` admits every mesh service, never mesh-external ones",
      ["*"],
      ["api.example.internal", host("reviews")],
    ],
    ["`*.local` admits cluster.local services only", ["*.local"], [host("reviews")]],
    [
      "`ns/host` is matched by host alone",
      ["default/reviews.default.svc.cluster.local"],
      [host("reviews")],
    ],
  ])("hosts: %s", (_, hosts, expectedHosts) => {
    const internal = reviewsEntry("MESH_INTERNAL", "api.example.internal", "api");
    const external = reviewsEntry("MESH_EXTERNAL", "api.example.com", "external");
    const r = build([gatewayWithHosts(hosts), reviewsEntry(), internal, external], EASTWEST);
    const l = listener(r, "0.0.0.0_15443");
    expect(l.filter_chains.every((c: Json) => c.filter_chain_match.server_names.length === 1)).toBe(
      true,
    );
    expect(names(r.clusters)).toEqual(expectedHosts.map(h => sni(9080, "", h)));
  });

  it("hosts matching no service give no listener (Envoy rejects one without chains)", () => {
    const r = build([gatewayWithHosts(["*.example.org"]), reviewsEntry()], EASTWEST);
    expect(r.listeners).toEqual([]);
    expect(r.clusters).toEqual([]);
  });
});
