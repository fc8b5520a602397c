/**
 * The defaults istiod writes on every Envoy cluster it builds, whatever the config (found by the
 * xDS diff against istiod, test/integration/xds-diff.test.ts): panic threshold, circuit
 * breakers, DNS settings, config source timeouts; and a DestinationRule's port-level settings
 * replacing its destination level. Asserted on the clusters as Envoy receives them: encoded
 * against Envoy's protos and decoded back.
 */
import type { StoreObject } from "../../../../mesh/store";
import { istioObject, named } from "../fixtures";
import { build, dec, DEFAULT_OBJECTS, secs, SIDECAR, UNLIMITED, ZERO } from "../web-service";

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

  it("inbound clusters of HTTP/2 and gRPC ports speak HTTP/2 to the app; HTTP ones set nothing", () => {
    const grpc = {
      kind: "Service",
      metadata: { name: "api", namespace: "default" },
      spec: { selector: { app: "web" }, ports: [{ name: "grpc", port: 9090, targetPort: 9091 }] },
    } as unknown as StoreObject;
    const withGrpc = build(SIDECAR, [...DEFAULT_OBJECTS, grpc]);
    expect(
      dec(named(withGrpc.clusters, "inbound|9091||")).typed_extension_protocol_options,
    ).toEqual({
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
        "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        explicit_http_config: { http2_protocol_options: {} },
      },
    });
    expect(cluster("inbound|80||").typed_extension_protocol_options).toBeUndefined();
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
