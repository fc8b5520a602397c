/**
 * EDS: one ClusterLoadAssignment per EDS cluster, endpoints grouped by locality, a subset's
 * endpoints chosen by its labels, locality priorities and weights relative to the proxy
 * (`locality-lb.ts`). Inline assignments for DNS clusters use the same shape.
 *
 * @see istio/istio pilot/pkg/xds/endpoints/endpoint_builder.go
 */
import type { EndpointInfo } from "../../../mesh/store";
import type { OutboundCluster } from "./clusters";
import { withUpstreamTlsMetadata } from "./endpoint-tls-mode";
import { clusterEndpoints } from "./cluster-endpoints";
import { localityLbEndpoints } from "./locality-lb";
import type { ProxyScope } from "../scope";
import { clusterLocalityLb } from "./traffic-policy";
import { byString, Types } from "../shared/xds-util";
import type {
  ClusterLoadAssignment,
  EndpointResource,
  Locality as EnvoyLocality,
  LocalityLbEndpoints,
} from "../shared/envoy";
import type { LbEndpoint } from "../shared/envoy";

function locality(l: string | undefined): EnvoyLocality {
  const [region = "", zone = "", subZone = ""] = (l ?? "").split("/");
  const out: EnvoyLocality = {};
  if (region) out.region = region;
  if (zone) out.zone = zone;
  if (subZone) out.sub_zone = subZone;
  return out;
}

/**
 * An endpoint's health as EDS reports it. A ServiceEntry's own endpoints and WorkloadEntries
 * have no readiness to report, so they go as UNKNOWN (field unset), as istiod sends them; Envoy
 * and gRPC balance to UNKNOWN exactly as to HEALTHY. Endpoints with readiness (Pods,
 * EndpointSlices) say HEALTHY or UNHEALTHY.
 */
function healthStatusOf(e: EndpointInfo): "HEALTHY" | "UNHEALTHY" | undefined {
  const entry = e.source.startsWith("ServiceEntry/") || e.source.startsWith("WorkloadEntry/");
  if (entry && e.healthy) return undefined;
  return e.healthy ? "HEALTHY" : "UNHEALTHY";
}

/**
 * Endpoints by locality. Every locality carries a weight (the sum of its endpoints'): gRPC
 * ignores a locality without one, and Envoy treats the weights the same way.
 */
export function localityEndpoints(endpoints: readonly EndpointInfo[]): LocalityLbEndpoints[] {
  const groups = new Map<string, EndpointInfo[]>();
  for (const e of endpoints) {
    const key = e.locality ?? "";
    const group = groups.get(key) ?? [];
    group.push(e);
    groups.set(key, group);
  }
  return [...groups.keys()].sort(byString).map((key): LocalityLbEndpoints => {
    const group = groups.get(key)!;
    return {
      locality: locality(key),
      load_balancing_weight: { value: group.reduce((n, e) => n + e.weight, 0) },
      lb_endpoints: group.map(
        (e): LbEndpoint => ({
          endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } },
          health_status: healthStatusOf(e),
          load_balancing_weight: { value: e.weight },
        }),
      ),
    };
  });
}

/** A cluster's endpoints grouped by locality (with failover priorities) and marked for mTLS. */
function assignmentEndpoints(scope: ProxyScope, c: OutboundCluster): LocalityLbEndpoints[] {
  const byLocality = localityLbEndpoints(
    clusterEndpoints(scope, c),
    clusterLocalityLb(scope, c),
    localityEndpoints,
  );
  return withUpstreamTlsMetadata(scope, c, byLocality);
}

/** The ClusterLoadAssignment of an EDS cluster. */
export function buildLoadAssignment(scope: ProxyScope, c: OutboundCluster): EndpointResource {
  return {
    "@type": Types.endpoint,
    cluster_name: c.name,
    endpoints: assignmentEndpoints(scope, c),
  };
}

/** The inline assignment of a DNS cluster (no `@type`: it is a field, not a resource). */
export function dnsLoadAssignment(scope: ProxyScope, c: OutboundCluster): ClusterLoadAssignment {
  return {
    cluster_name: c.name,
    endpoints: assignmentEndpoints(scope, c),
  };
}
