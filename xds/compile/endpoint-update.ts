/**
 * What an endpoint-only change needs recompiled for one proxy, instead of everything: the
 * ClusterLoadAssignments of the clusters whose service's endpoints changed, and those Clusters
 * themselves — a Cluster carries endpoint-derived facts too: a DNS cluster inlines its
 * endpoints, and auto-mTLS and secure naming (which identities may serve it) are chosen from
 * the endpoints' certificates and service accounts. Listeners and routes never read endpoints,
 * and the set of clusters does not depend on them, so every resource returned replaces one of
 * the same name in the proxy's last snapshot. Pure.
 */
import type { MeshStore } from "../../mesh/store";
import type { ResourceObject } from "../encode/encode-resource";
import { buildOutboundCluster, outboundClusters, type OutboundCluster } from "./clusters/clusters";
import { buildLoadAssignment } from "./clusters/endpoints";
import { gatewayOutboundClusters } from "./gateway/gateway";
import type { Proxy } from "./proxy";
import { buildScope, type MeshOptions, type ProxyScope } from "./scope";

/**
 * The outbound clusters of the services of `hosts`. A sidecar's clusters are built per visible
 * service, each from that service alone, so the scope is narrowed to those services first
 * (building every cluster's TLS plan reads every service's endpoints: most of the cost). A
 * gateway's clusters are the destinations of its routes: all are built, then filtered.
 */
function clustersOf(scope: ProxyScope, hosts: ReadonlySet<string> | undefined): OutboundCluster[] {
  const touched = (c: OutboundCluster) => !hosts || hosts.has(c.service.hostname);
  if (scope.proxy.kind === "router") return gatewayOutboundClusters(scope).filter(touched);
  const narrowed = hosts
    ? { ...scope, services: scope.services.filter(s => hosts.has(s.hostname)) }
    : scope;
  return outboundClusters(narrowed).filter(touched);
}

/**
 * The Clusters and ClusterLoadAssignments of `proxy` that an endpoint change of the services
 * of `hosts` (every service when undefined) may change, compiled against `store`.
 */
export function compileEndpointUpdate(
  store: MeshStore,
  proxy: Proxy,
  options: MeshOptions = {},
  hosts?: ReadonlySet<string>,
): ResourceObject[] {
  const scope = buildScope(store, proxy, options);
  const out: ResourceObject[] = [];
  for (const c of clustersOf(scope, hosts)) {
    out.push(buildOutboundCluster(scope, c));
    if (c.eds) out.push(buildLoadAssignment(scope, c));
  }
  return out;
}
