/**
 * The defaults istiod writes on every Envoy resource it builds, whatever the config (found by
 * the xDS diff against istiod, test/integration/xds-diff.test.ts): the retry host predicate,
 * route config limits, filter chain handshake timeouts, and cluster defaults (panic threshold,
 * circuit breakers, DNS settings, config source timeouts); the HTTP connection manager fields
 * per listener class are in listeners/hcm-defaults.test.ts. Asserted on the resources as Envoy
 * receives them: encoded against Envoy's protos and decoded back. Proxyless gRPC clients must
 * get none of the Envoy-only ones.
 */
import type { StoreObject } from "../../../mesh/store";
import { istioObject, named, sidecarNode } from "./fixtures";
import {
  type Json,
  UNLIMITED,
  secs,
  ZERO,
  WEB,
  build,
  SIDECAR,
  GRPC,
  dec,
} from "./istio-defaults-world";

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

describe("istiod's cluster defaults", () => {
  const r = build(SIDECAR);
  const cluster = (name: string) => dec(named(r.clusters, name));

  it("passthrough clusters: unlimited circuit breakers, the downstream's protocol, 5 min idle timeout", () => {
    for (const name of ["PassthroughCluster", "InboundPassthroughCluster"]) {
      const c = cluster(name);
      expect(c.circuit_breakers.thresholds).toEqual([
        {
          max_connections: UNLIMITED,
          max_pending_requests: UNLIMITED,
          max_requests: UNLIMITED,
          max_retries: UNLIMITED,
        },
      ]);
      expect(
        c.typed_extension_protocol_options[
          "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
        ],
      ).toMatchObject({
        common_http_protocol_options: { idle_timeout: secs(300) },
        use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} },
      });
    }
  });

  it("inbound clusters: unlimited circuit breakers, no cleanup sweep", () => {
    const c = cluster("inbound|80||");
    expect(c.circuit_breakers.thresholds[0].max_requests).toEqual(UNLIMITED);
    expect(c.cleanup_interval).toEqual(secs("9223372035"));
    expect(c.common_lb_config).toEqual({});
  });

  it("outbound clusters: panic routing off, endpoints awaited without a fetch timeout", () => {
    const c = cluster("outbound|80||web.default.svc.cluster.local");
    expect(c.circuit_breakers.thresholds[0].track_remaining).toBeUndefined();
    expect(c.common_lb_config).toEqual({ healthy_panic_threshold: { value: 0 } });
    expect(c.eds_cluster_config.eds_config).toMatchObject({ ads: {}, initial_fetch_timeout: ZERO });
  });

  it("DNS clusters: 60 s refresh, the record's TTL respected, c-ares with 100 queries per socket", () => {
    const c = cluster("outbound|443||api.example.com");
    expect(c.dns_refresh_rate).toEqual(secs(60));
    expect(c.respect_dns_ttl).toBe(true);
    expect(c.typed_dns_resolver_config).toEqual({
      name: "envoy.network.dns_resolver.cares",
      typed_config: {
        "@type":
          "type.googleapis.com/envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig",
        udp_max_queries: { value: 100 },
      },
    });
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

describe("DestinationRule port-level settings replace the destination level", () => {
  const API = {
    kind: "Service",
    metadata: { name: "api", namespace: "default" },
    spec: {
      clusterIP: "10.96.0.11",
      selector: { app: "api" },
      ports: [
        { name: "http", port: 80 },
        { name: "http-admin", port: 8080 },
      ],
    },
  } as unknown as StoreObject;
  const rule = istioObject("DestinationRule", "api", "default", {
    host: "api",
    trafficPolicy: {
      loadBalancer: { simple: "ROUND_ROBIN" },
      portLevelSettings: [{ port: { number: 80 }, connectionPool: { tcp: { maxConnections: 7 } } }],
    },
  });
  const r = build(SIDECAR, [API, rule]);
  const cluster = (port: number) =>
    dec(named(r.clusters, `outbound|${port}||api.default.svc.cluster.local`));

  it("a port with its own settings gets the default load balancer, not the rule's", () => {
    expect(cluster(80).lb_policy).toBe("LEAST_REQUEST");
    expect(cluster(80).circuit_breakers.thresholds[0].max_connections).toEqual({ value: 7 });
  });

  it("a port without its own settings gets the rule's", () => {
    expect(cluster(8080).lb_policy ?? "ROUND_ROBIN").toBe("ROUND_ROBIN");
    expect(cluster(8080).circuit_breakers.thresholds[0].max_connections).toEqual(UNLIMITED);
  });
});

describe("endpoint health as istiod reports it", () => {
  const STATIC = istioObject("ServiceEntry", "db", "default", {
    hosts: ["db.internal"],
    ports: [{ number: 5432, name: "tcp", protocol: "TCP" }],
    resolution: "STATIC",
    location: "MESH_INTERNAL",
    endpoints: [{ address: "10.0.0.21" }, { address: "10.0.0.22" }],
  });
  const SLICE = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: "web-abc",
      namespace: "default",
      labels: { "kubernetes.io/service-name": "web" },
    },
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    endpoints: [
      { addresses: ["10.0.0.31"], conditions: { ready: true } },
      { addresses: ["10.0.0.32"], conditions: { ready: false } },
    ],
  } as unknown as StoreObject;
  const healthOf = (objects: StoreObject[], clusterName: string) => {
    const r = build(SIDECAR, objects);
    const cla = dec(named(r.endpoints, clusterName));
    return (cla.endpoints as Json[]).flatMap(l =>
      (l.lb_endpoints as Json[]).map(
        e => `${e.endpoint.address.socket_address.address} ${e.health_status ?? "UNKNOWN"}`,
      ),
    );
  };

  it("a ServiceEntry's own endpoints have no readiness to report: UNKNOWN, balanced to as HEALTHY", () => {
    expect(healthOf([STATIC], "outbound|5432||db.internal")).toEqual([
      "10.0.0.21 UNKNOWN",
      "10.0.0.22 UNKNOWN",
    ]);
  });

  it("a Service's endpoints say what their readiness says", () => {
    expect(healthOf([WEB, SLICE], "outbound|80||web.default.svc.cluster.local")).toEqual([
      "10.0.0.31 HEALTHY",
      "10.0.0.32 UNHEALTHY",
    ]);
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
