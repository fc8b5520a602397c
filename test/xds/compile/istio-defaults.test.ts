/**
 * The defaults istiod writes on every Envoy listener and route it builds, whatever the config
 * (found by the xDS diff against istiod, test/integration/xds-diff.test.ts): HTTP connection
 * manager fields per listener class, the retry host predicate, route config limits and filter
 * chain handshake timeouts (the cluster defaults are in clusters/clusters.test.ts). Asserted on
 * the resources as Envoy receives them: encoded against Envoy's protos and decoded back.
 * Proxyless gRPC clients must get none of the Envoy-only ones.
 */
import type { StoreObject } from "../../../mesh/store";
import { istioObject, named, sidecarNode } from "./fixtures";
import { build, dec, GRPC, ROUTER, secs, SIDECAR, WEB, ZERO, type Json } from "./web-service";

const HCM = "envoy.filters.network.http_connection_manager";
const hcmsOf = (listener: Json): Json[] =>
  (listener.filter_chains as Json[]).flatMap(c =>
    (c.filters as Json[]).filter(f => f.name === HCM).map(f => f.typed_config),
  );

/** The HCM fields that do not depend on the listener class. */
const COMMON_HCM = {
  normalize_path: { value: true },
  path_with_escaped_slashes_action: "KEEP_UNCHANGED",
  upgrade_configs: [{ upgrade_type: "websocket" }],
  stream_idle_timeout: ZERO,
  proxy_100_continue: true,
};

describe("istiod's HTTP connection manager defaults", () => {
  const r = build(SIDECAR);

  it("sidecar outbound: websocket, no stream idle timeout, normalized paths, Envoy's server name, routes without a fetch timeout", () => {
    const [hcm] = hcmsOf(dec(named(r.listeners, "0.0.0.0_80")));
    expect(hcm).toMatchObject({
      ...COMMON_HCM,
      use_remote_address: { value: false },
      rds: { route_config_name: "80", config_source: { ads: {}, initial_fetch_timeout: ZERO } },
    });
    expect(hcm!.server_name).toBeUndefined();
    expect(hcm!.forward_client_cert_details).toBeUndefined();
  });

  it("sidecar inbound: the client certificate reaches the app in X-Forwarded-Client-Cert, server istio-envoy", () => {
    const hcms = hcmsOf(dec(named(r.listeners, "virtualInbound")));
    expect(hcms.length).toBeGreaterThan(0);
    for (const hcm of hcms)
      expect(hcm).toMatchObject({
        ...COMMON_HCM,
        server_name: "istio-envoy",
        use_remote_address: { value: false },
        forward_client_cert_details: "APPEND_FORWARD",
        set_current_client_cert_details: { subject: { value: true }, uri: true, dns: true },
      });
  });

  it("sidecar inbound route: retried on a reset before the request, no stream duration limit, no deprecated max_grpc_timeout", () => {
    const [hcm] = hcmsOf(dec(named(r.listeners, "virtualInbound")));
    const route = hcm!.route_config.virtual_hosts[0].routes[0].route;
    expect(route.retry_policy).toEqual({
      retry_on: "reset-before-request",
      num_retries: { value: 2 },
    });
    expect(route.max_stream_duration).toEqual({
      max_stream_duration: ZERO,
      grpc_timeout_header_max: ZERO,
    });
    expect(route.max_grpc_timeout).toBeUndefined();
  });

  it("gateway: client address from the connection, XFCC replaced with subject, certificate and SANs", () => {
    const objects = [
      WEB,
      istioObject("Gateway", "gw", "default", {
        selector: { istio: "ingressgateway" },
        servers: [{ port: { number: 8080, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
      }),
      istioObject("VirtualService", "in", "default", {
        hosts: ["*"],
        gateways: ["gw"],
        http: [{ route: [{ destination: { host: "web" } }] }],
      }),
    ];
    const g = build(ROUTER, objects);
    const listener = dec(named(g.listeners, "0.0.0.0_8080"));
    expect(hcmsOf(listener)[0]).toMatchObject({
      ...COMMON_HCM,
      server_name: "istio-envoy",
      use_remote_address: { value: true },
      forward_client_cert_details: "SANITIZE_SET",
      set_current_client_cert_details: {
        subject: { value: true },
        cert: true,
        dns: true,
        uri: true,
      },
      http_protocol_options: {},
      rds: { config_source: { initial_fetch_timeout: ZERO } },
    });
    expect(listener.filter_chains[0].transport_socket_connect_timeout).toEqual(secs(15));
    const rc = dec(named(g.routes, "http.8080"));
    expect(rc.ignore_port_in_host_matching).toBe(true);
    expect(rc.max_direct_response_body_size_bytes).toEqual({ value: 1048576 });
  });
});

describe("istiod's route and listener defaults", () => {
  const r = build(SIDECAR);
  const rc = dec(named(r.routes, "80"));
  const web = (rc.virtual_hosts as Json[]).find(v => v.name === "web.default.svc.cluster.local:80");

  it("a retry picks another host than the one that failed (previous_hosts, up to 5 picks)", () => {
    for (const route of web!.routes)
      expect(route.route.retry_policy).toMatchObject({
        retry_host_predicate: [
          {
            name: "envoy.retry_host_predicates.previous_hosts",
            typed_config: {
              "@type":
                "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate",
            },
          },
        ],
        host_selection_retry_max_attempts: "5",
      });
  });

  it("every translated match says whether it is case-sensitive; the implicit catch-all does not", () => {
    expect(web!.routes.map((x: Json) => x.match)).toEqual([
      { prefix: "/api", case_sensitive: { value: true } },
      { path: "/Login", case_sensitive: { value: false } },
      { prefix: "/" },
    ]);
  });

  it("virtual host domains as Istio 1.31 lists them: no :port forms, the absolute FQDN", () => {
    expect(web!.domains).toEqual([
      "web.default.svc.cluster.local",
      "web.default.svc.cluster.local.",
      "web",
      "web.default.svc",
      "web.default",
      "10.96.0.10",
    ]);
  });

  it("capture listeners accept one connection per socket event; a default chain has an explicit empty match", () => {
    for (const name of ["virtualInbound", "virtualOutbound"])
      expect(dec(named(r.listeners, name)).max_connections_to_accept_per_socket_event).toEqual({
        value: 1,
      });
    const web80 = dec(named(r.listeners, "0.0.0.0_80"));
    expect(web80.max_connections_to_accept_per_socket_event).toBeUndefined();
    expect(web80.default_filter_chain.filter_chain_match).toEqual({});
  });

  it("direct responses up to 1 MiB", () => {
    expect(rc.max_direct_response_body_size_bytes).toEqual({ value: 1048576 });
  });

  it("outbound filter chains bound the handshake to 15 s; the TLS inspector reads 512 bytes first", () => {
    const tls = dec(named(r.listeners, "0.0.0.0_443"));
    for (const chain of tls.filter_chains)
      expect(chain.transport_socket_connect_timeout).toEqual(secs(15));
    const inspector = (tls.listener_filters as Json[]).find(
      f => f.name === "envoy.filters.listener.tls_inspector",
    );
    expect(inspector?.typed_config.initial_read_buffer_size).toEqual({ value: 512 });
  });
});
describe("proxyless gRPC keeps its own shape", () => {
  const r = build(GRPC);

  it("no host predicate, no fetch timeout, no panic threshold, none of the Envoy HCM defaults", () => {
    const rc = dec(named(r.routes, "web.default.svc.cluster.local:80"));
    // gRPC matches the authority with its port: both forms stay.
    expect(rc.virtual_hosts[0].domains).toEqual(
      expect.arrayContaining(["web.default.svc.cluster.local", "web.default.svc.cluster.local:80"]),
    );
    for (const vh of rc.virtual_hosts)
      for (const route of vh.routes)
        if (route.route?.retry_policy) {
          expect(route.route.retry_policy.retry_host_predicate).toBeUndefined();
        }
    const c = dec(named(r.clusters, "outbound|80||web.default.svc.cluster.local"));
    expect(c.eds_cluster_config.eds_config.initial_fetch_timeout).toBeUndefined();
    expect(c.common_lb_config).toBeUndefined();
    const api = dec(named(r.listeners, "web.default.svc.cluster.local:80")).api_listener
      .api_listener;
    for (const field of ["upgrade_configs", "normalize_path", "stream_idle_timeout", "server_name"])
      expect(api[field]).toBeUndefined();
    expect(api.rds.config_source.initial_fetch_timeout).toBeUndefined();
  });
});

describe("a workload a ServiceEntry lists by address (a VM) serves that entry's ports", () => {
  const entry = (namespace: string) =>
    istioObject("ServiceEntry", "vm-api", namespace, {
      hosts: ["vm-api.internal"],
      ports: [{ number: 80, name: "http", protocol: "HTTP" }],
      resolution: "STATIC",
      location: "MESH_INTERNAL",
      endpoints: [{ address: "10.0.0.40", ports: { http: 8080 } }, { address: "10.0.0.41" }],
    });
  const VM = sidecarNode("10.0.0.40", "vm-0", "vms", {});
  const inboundOf = (objects: StoreObject[]) => {
    const r = build(VM, objects);
    const inbound = dec(named(r.listeners, "virtualInbound"));
    return {
      clusters: r.clusters.map(c => String(c.name)).filter(n => n.startsWith("inbound|")),
      chains: (inbound.filter_chains as Json[])
        .map(c => c.name)
        .filter(n => n.startsWith("0.0.0.0_")),
    };
  };

  it("gets an inbound cluster and chains for the endpoint's named workload port", () => {
    const { clusters, chains } = inboundOf([entry("vms")]);
    expect(clusters).toEqual(["inbound|8080||"]);
    expect(new Set(chains)).toEqual(new Set(["0.0.0.0_8080"]));
  });

  it("not from an entry in another namespace: no namespace adds instances to another's workloads", () => {
    expect(inboundOf([entry("other")])).toEqual({ clusters: [], chains: [] });
  });
});
