/**
 * Envoy sidecar outbound listeners: protocol sniffing on ports with no declared protocol, ports
 * shared by several services, and the `virtualOutbound` capture listener, asserted on listeners
 * decoded from their protobuf bytes.
 */
import {
  build,
  cfg,
  destinations,
  listener,
  listenerFilterNames,
  MYSQL,
  names,
  outbound,
  service,
  tcpProxyOf,
  type Json,
} from "../tcp-services";
import { named } from "../fixtures";
import { build as buildWeb, dec, SIDECAR } from "../web-service";

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

describe("istiod's route and listener defaults", () => {
  const r = buildWeb(SIDECAR);

  it("capture listeners accept one connection per socket event; a default chain has an explicit empty match", () => {
    for (const name of ["virtualInbound", "virtualOutbound"])
      expect(dec(named(r.listeners, name)).max_connections_to_accept_per_socket_event).toEqual({
        value: 1,
      });
    const web80 = dec(named(r.listeners, "0.0.0.0_80"));
    expect(web80.max_connections_to_accept_per_socket_event).toBeUndefined();
    expect(web80.default_filter_chain.filter_chain_match).toEqual({});
  });
});
