import { endpointsOf, selectorMatches, type EndpointInfo } from "../../../mesh/store";
import type { OutboundCluster } from "./clusters";
import type { ProxyScope } from "../scope";

/**
 * Which endpoints an outbound cluster has: a leaf, read both by the load assignment
 * (endpoints.ts) and by the TLS decisions that mark those endpoints (endpoint-tls-mode.ts,
 * upstream-mtls.ts), which therefore need not import each other.
 */

/** The endpoints of one outbound cluster: the service port's, narrowed to the subset's labels. */
export function clusterEndpoints(scope: ProxyScope, c: OutboundCluster): EndpointInfo[] {
  const all = endpointsOf(scope.store, c.service, c.port);
  return c.labels ? all.filter(e => selectorMatches(c.labels, e.labels)) : all;
}
