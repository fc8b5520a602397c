/**
 * Envoy sidecar protocol sniffing on ports with no declared protocol, and AUTO_PASSTHROUGH
 * gateway servers, asserted on Listeners and Clusters as decoded from their protobuf bytes;
 * every build also passes the snapshot check (encoding, and every RDS/EDS name resolves).
 *
 * These are Envoy-config assertions only: the data plane our end-to-end tests run,
 * grpc-js-xds, has no TCP proxying, listener filters or filter chain matching, so nothing here
 * can be exercised by a real client short of a real Envoy.
 */
import { storeOf } from "../../../mesh/store";
import { buildScope, compileEndpoints, parseProxy } from "../../../xds/compile";
import { istioPath, loadYaml, named, storeObjects } from "./fixtures";
import {
  build,
  cfg,
  destinations,
  dec,
  host,
  listener,
  listenerFilterNames,
  MYSQL,
  names,
  outbound,
  service,
  tcpProxyOf,
  type Json,
} from "./tcp-services";

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
