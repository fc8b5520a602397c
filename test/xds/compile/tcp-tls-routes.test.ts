/**
 * Envoy sidecar outbound TCP/TLS routing (VirtualService `tcp` and `tls` routes), asserted
 * on Listeners and Clusters as decoded from their protobuf bytes; every build also passes the
 * snapshot check (encoding, and every RDS/EDS name resolves).
 *
 * These are Envoy-config assertions only: the data plane our end-to-end tests run,
 * grpc-js-xds, has no TCP proxying, listener filters or filter chain matching, so nothing here
 * can be exercised by a real client short of a real Envoy.
 */
import { storeOf } from "../../../mesh/store";
import { buildScope, compile, parseProxy } from "../../../xds/compile";
import { ignoredTlsRouteWarnings } from "../../../xds/compile/routes/tcp-routes";
import {
  build,
  cfg,
  CLIENT,
  destinations,
  host,
  listener,
  listenerFilterNames,
  MYSQL,
  outbound,
  service,
  tcpProxyOf,
  type Json,
} from "./sidecar-outbound";
import { sidecarNode } from "./fixtures";

const MYSQL_SUBSETS = cfg("DestinationRule", "mysql", {
  host: "mysql",
  subsets: [
    { name: "v1", labels: { version: "v1" } },
    { name: "v2", labels: { version: "v2" } },
  ],
});
const EGRESS = service("egress", "10.96.0.12", [{ name: "tls", port: 443 }]);

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
