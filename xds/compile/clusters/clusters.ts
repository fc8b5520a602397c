/**
 * CDS: one `outbound|port||host` cluster per visible service port, one
 * `outbound|port|subset|host` per DestinationRule subset, and for sidecars the inbound
 * `inbound|port||` clusters plus Istio's BlackHole and Passthrough clusters. Outbound clusters
 * originate TLS as `upstream-tls-plan.ts` decides for Envoy (auto-mTLS, DestinationRule TLS) and
 * `upstream-mtls.ts` for proxyless gRPC; one whose TLS cannot be honoured fails closed.
 *
 * @see istio/istio pilot/pkg/networking/core/cluster.go, cluster_builder.go
 * @see istio/istio pilot/pkg/networking/grpcgen/cds.go
 */
import { isHttp2Protocol, type ServiceInfo, type ServicePortInfo } from "../../../mesh/store";
import { inboundPorts } from "../listeners/inbound";
import type { ProxyScope } from "../scope";
import {
  clusterHealthOverrides,
  connectionPool,
  effectivePolicy,
  loadBalancing,
  MAX_UINT32,
  outlierDetection,
} from "./traffic-policy";
import {
  ADS_SOURCE,
  BLACKHOLE_CLUSTER,
  clusterName,
  ENVOY_ADS_SOURCE,
  INBOUND_PASSTHROUGH_CLUSTER,
  msDuration,
  PASSTHROUGH_CLUSTER,
  Types,
} from "../shared/xds-util";
import { dnsLoadAssignment } from "./endpoints";
import { grpcClusterTls } from "./upstream-mtls";
import { upstreamHttpOptions, upstreamTlsFields } from "./upstream-tls";
import { envoyUpstreamTlsPlan, isOriginalDst, upstreamTlsReport } from "./upstream-tls-plan";
import type {
  Cluster,
  ClusterResource,
  Cluster_CommonLbConfig,
  UpstreamHttpProtocolOptions,
} from "../shared/envoy";

/** An outbound cluster to be built: which service, port and subset. */
export interface OutboundCluster {
  readonly name: string;
  readonly service: ServiceInfo;
  readonly port: ServicePortInfo;
  readonly subset?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Whether its endpoints come over EDS (else inline or original destination). */
  readonly eds: boolean;
  /**
   * Why its TLS cannot be honoured, if so: it then has no endpoints (and no transport socket),
   * so nothing is sent rather than something sent in the clear. The warning to report.
   */
  readonly failClosed?: string;
  /** Warnings about its TLS that do not stop it (e.g. no server name is checked). */
  readonly notes?: readonly string[];
}

/** Istio sends inbound traffic to the app from this address, so iptables does not loop it. */
const INBOUND_BIND = { source_address: { address: "127.0.0.6", port_value: 0 } };

/** The cluster with what its TLS plan reports: `failClosed` when it cannot be honoured. */
function withTlsReport(scope: ProxyScope, c: OutboundCluster): OutboundCluster {
  return { ...c, ...upstreamTlsReport(scope, c) };
}

/** Every outbound cluster the proxy gets, in a stable order. */
export function outboundClusters(scope: ProxyScope): OutboundCluster[] {
  return candidateClusters(scope).map(c => withTlsReport(scope, c));
}

function candidateClusters(scope: ProxyScope): OutboundCluster[] {
  const out: OutboundCluster[] = [];
  for (const service of scope.services) {
    const rule = scope.destinationRule(service.hostname);
    const passthrough = rule?.spec.trafficPolicy?.loadBalancer?.simple === "PASSTHROUGH";
    // Proxyless gRPC has no DNS or original-destination clusters: everything is EDS (grpcgen).
    const eds = scope.proxy.kind === "grpc" || (service.resolution === "STATIC" && !passthrough);
    for (const port of service.ports) {
      out.push({
        name: clusterName("outbound", port.port, "", service.hostname),
        service,
        port,
        eds,
      });
      for (const subset of rule?.spec.subsets ?? []) {
        out.push({
          name: clusterName("outbound", port.port, subset.name, service.hostname),
          service,
          port,
          subset: subset.name,
          labels: subset.labels,
          eds,
        });
      }
    }
  }
  return out;
}

function discovery(c: OutboundCluster, scope: ProxyScope, lbPolicy: Cluster): Cluster {
  // Failing closed: no endpoints. EDS clusters get an empty assignment (endpoints.ts); an
  // original-destination cluster cannot be emptied, so it becomes an empty static one.
  if (c.failClosed && isOriginalDst(c)) {
    return {
      type: "STATIC",
      load_assignment: { cluster_name: c.name, endpoints: [] },
      ...lbPolicy,
    };
  }
  if (c.eds) {
    return {
      type: "EDS",
      eds_cluster_config: {
        service_name: c.name,
        eds_config: scope.proxy.kind === "grpc" ? ADS_SOURCE : ENVOY_ADS_SOURCE,
      },
      ...lbPolicy,
    };
  }
  if (c.service.resolution === "DNS" || c.service.resolution === "DNS_ROUND_ROBIN") {
    return {
      type: c.service.resolution === "DNS" ? "STRICT_DNS" : "LOGICAL_DNS",
      dns_lookup_family: "V4_ONLY",
      ...ISTIO_DNS_SETTINGS,
      load_assignment: dnsLoadAssignment(scope, c),
      ...lbPolicy,
    };
  }
  return { type: "ORIGINAL_DST", lb_policy: "CLUSTER_PROVIDED" };
}

/**
 * Istio's DNS cluster settings: re-resolve every 60 s (MeshConfig `dnsRefreshRate`'s default)
 * or sooner when the record's TTL says so, and c-ares with at most 100 UDP queries per socket
 * (`PILOT_DNS_CARES_UDP_MAX_QUERIES`) so one resolver socket is not used forever.
 * @see istio/istio pilot/pkg/networking/core/cluster_builder.go (buildCluster)
 */
const ISTIO_DNS_SETTINGS = {
  dns_refresh_rate: msDuration(60_000),
  respect_dns_ttl: true,
  typed_dns_resolver_config: {
    name: "envoy.network.dns_resolver.cares",
    typed_config: { "@type": Types.caresDnsResolver, udp_max_queries: { value: 100 } },
  },
} as const;

/**
 * `common_lb_config` of an Envoy cluster, which istiod always writes: panic routing off
 * (`healthy_panic_threshold` 0, PILOT_SEND_UNHEALTHY_ENDPOINTS' default: not-ready endpoints are
 * sent, and a panicking Envoy would route to them) unless outlier detection's `minHealthPercent`
 * sets it. Original-destination clusters get it too: istiod sets it before it switches their
 * policy to CLUSTER_PROVIDED.
 * @see istio/istio pilot/pkg/networking/core/cluster_traffic_policy.go (applyLoadBalancer)
 */
function envoyCommonLbConfig(panic: number | undefined): Cluster_CommonLbConfig {
  return { healthy_panic_threshold: { value: panic ?? 0 } };
}

/** The Cluster resource of one outbound cluster. */
export function buildOutboundCluster(scope: ProxyScope, c: OutboundCluster): ClusterResource {
  const kind = scope.proxy.kind;
  const policy = effectivePolicy(scope.destinationRule(c.service.hostname), c.port.port, c.subset);
  const { outlier, panic } = outlierDetection(policy.outlierDetection);
  const cluster: ClusterResource = {
    "@type": Types.cluster,
    name: c.name,
    ...discovery(c, scope, loadBalancing(policy.loadBalancer, kind)),
    ...connectionPool(policy, kind),
  };
  if (outlier) cluster.outlier_detection = outlier;
  if (kind === "grpc" && !c.failClosed) {
    const socket = grpcClusterTls(scope, c, policy.tls);
    if (socket) cluster.transport_socket = socket;
  }
  if (kind !== "grpc") cluster.common_lb_config = envoyCommonLbConfig(panic);
  Object.assign(
    cluster,
    clusterHealthOverrides(policy, kind, cluster, scope.mesh.localityLbSetting),
  );
  if (kind === "grpc") return cluster;
  const h2 = isHttp2Protocol(c.port.protocol);
  const plan = c.failClosed ? undefined : envoyUpstreamTlsPlan(scope, c);
  if (plan) {
    Object.assign(cluster, upstreamTlsFields(plan, h2, isOriginalDst(c), scope.mesh.tlsDefaults));
  }
  const http =
    c.port.protocol === "Unsupported"
      ? SNIFFED_HTTP_OPTIONS
      : httpProtocolOptions(h2, plan && upstreamHttpOptions(plan));
  if (http) cluster.typed_extension_protocol_options = http;
  return cluster;
}

/**
 * A sniffed port's cluster (protocol undeclared) may carry HTTP/1.1 or HTTP/2 once the listener
 * detected HTTP: the upstream speaks what the downstream spoke, as istiod writes it.
 * @see istio/istio pilot/pkg/networking/core/cluster_builder.go (setUseDownstreamProtocol)
 */
const SNIFFED_HTTP_OPTIONS: Cluster["typed_extension_protocol_options"] = {
  "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
    "@type": Types.httpProtocolOptions,
    use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} },
  },
};

/**
 * Envoy's HTTP options for the upstream: HTTP/2 for h2 ports, and the SNI options of a TLS
 * origination (Envoy requires an explicit protocol alongside them: HTTP/1.1, as Istio writes).
 */
function httpProtocolOptions(
  h2: boolean,
  upstream: UpstreamHttpProtocolOptions | undefined,
): Cluster["typed_extension_protocol_options"] {
  if (!h2 && !upstream) return undefined;
  return {
    "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
      "@type": Types.httpProtocolOptions,
      ...(upstream ? { upstream_http_protocol_options: upstream } : {}),
      explicit_http_config: h2 ? { http2_protocol_options: {} } : { http_protocol_options: {} },
    },
  };
}

/**
 * Istio's circuit breakers where no DestinationRule sets any: every limit at its maximum, so
 * Envoy's defaults (1024 connections, pending and active requests; 3 retries) never cap a
 * passthrough or inbound cluster.
 * @see istio/istio pilot/pkg/networking/core/cluster_builder.go (getDefaultCircuitBreakerThresholds)
 */
const UNLIMITED_CIRCUIT_BREAKERS = {
  thresholds: [
    {
      max_connections: { value: MAX_UINT32 },
      max_pending_requests: { value: MAX_UINT32 },
      max_requests: { value: MAX_UINT32 },
      max_retries: { value: MAX_UINT32 },
    },
  ],
} as const;

/**
 * HTTP options of the passthrough clusters: the upstream speaks whatever the downstream spoke
 * (HTTP/1.1 or HTTP/2), and idle pooled connections close after 5 minutes.
 * @see istio/istio pilot/pkg/networking/core/cluster_builder.go (buildDefaultPassthroughCluster,
 *   passthroughHttpProtocolOptions)
 */
const PASSTHROUGH_HTTP_OPTIONS = {
  "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
    "@type": Types.httpProtocolOptions,
    common_http_protocol_options: { idle_timeout: msDuration(300_000) },
    use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} },
  },
} as const;

function sidecarFixedClusters(): ClusterResource[] {
  const timeout = msDuration(10_000);
  const passthrough: Cluster = {
    type: "ORIGINAL_DST",
    lb_policy: "CLUSTER_PROVIDED",
    connect_timeout: timeout,
    circuit_breakers: UNLIMITED_CIRCUIT_BREAKERS,
    typed_extension_protocol_options: PASSTHROUGH_HTTP_OPTIONS,
  };
  return [
    { "@type": Types.cluster, name: BLACKHOLE_CLUSTER, type: "STATIC", connect_timeout: timeout },
    { "@type": Types.cluster, name: PASSTHROUGH_CLUSTER, ...passthrough },
    {
      "@type": Types.cluster,
      name: INBOUND_PASSTHROUGH_CLUSTER,
      ...passthrough,
      upstream_bind_config: INBOUND_BIND,
    },
  ];
}

/** Istio's cleanup interval for inbound original-destination clusters: never (about 292 years). */
const NEVER_CLEANUP = { seconds: 9_223_372_035, nanos: 0 };

/**
 * Inbound clusters `inbound|<workload port>||`: original-destination clusters delivering to the
 * app on the port the connection was addressed to, bound to 127.0.0.6 as Istio does.
 */
function inboundClusters(scope: ProxyScope): ClusterResource[] {
  return inboundPorts(scope).map(
    (p): ClusterResource => ({
      "@type": Types.cluster,
      name: clusterName("inbound", p.targetPort),
      type: "ORIGINAL_DST",
      lb_policy: "CLUSTER_PROVIDED",
      connect_timeout: msDuration(10_000),
      circuit_breakers: UNLIMITED_CIRCUIT_BREAKERS,
      // Hosts are the workload itself: nothing to clean up, so no periodic sweep.
      cleanup_interval: NEVER_CLEANUP,
      upstream_bind_config: INBOUND_BIND,
      common_lb_config: {},
      // Sniffed ports take the client's protocol; HTTP/2 and gRPC ports speak HTTP/2 to the app.
      ...(p.port.protocol === "Unsupported"
        ? { typed_extension_protocol_options: SNIFFED_HTTP_OPTIONS }
        : isHttp2Protocol(p.port.protocol)
          ? { typed_extension_protocol_options: httpProtocolOptions(true, undefined) }
          : {}),
    }),
  );
}

/** Every Cluster of the proxy. */
export function buildClusters(scope: ProxyScope): ClusterResource[] {
  const outbound = outboundClusters(scope).map(c => buildOutboundCluster(scope, c));
  if (scope.proxy.kind === "grpc") return outbound;
  return [...outbound, ...inboundClusters(scope), ...sidecarFixedClusters()];
}
