/**
 * Everything a gateway proxy (node type `router`) gets: the listeners and route configs of the
 * Gateways selecting it, the clusters and endpoints of the destinations those reference, and
 * the `credentialName` Secrets its TLS servers load (`gateway-secrets.ts`).
 *
 * Clusters are limited to what the gateway's routes and tcp_proxy filters name, as Istio does
 * with PILOT_FILTER_GATEWAY_CLUSTER_CONFIG (its default sends every visible service's clusters;
 * a gateway cannot use the others, and a large mesh would pay for them on every push).
 *
 * @see istio/istio pilot/pkg/networking/core/gateway.go
 */
import { inboundSecurity } from "../security/inbound-security";
import type { OutboundCluster } from "../clusters/clusters";
import { buildOutboundCluster, outboundClusters } from "../clusters/clusters";
import { buildSniDnatCluster, sniDnatClusters } from "./auto-passthrough";
import { buildLoadAssignment } from "../clusters/endpoints";
import { mergeSecrets } from "../clusters/upstream-credentials";
import { upstreamCredentialSecrets, upstreamTlsWarnings } from "../clusters/upstream-tls-plan";
import { gatewayListeners } from "./gateway-listeners";
import { gatewayPorts, gatewayVirtualServices } from "./gateway-model";
import { gatewayRouteConfigs } from "./gateway-routes";
import { gatewaySecrets, skippedServerMessage } from "./gateway-secrets";
import type { ProxyScope } from "../scope";
import type {
  ClusterResource,
  EndpointResource,
  ListenerResource,
  RouteResource,
  SecretResource,
} from "../shared/envoy";

/** A gateway proxy's resources, by xDS type. */
export interface GatewayResources {
  readonly listeners: ListenerResource[];
  readonly routes: RouteResource[];
  readonly clusters: ClusterResource[];
  readonly endpoints: EndpointResource[];
  /** The `credentialName` Secrets the listeners load over SDS. */
  readonly secrets: SecretResource[];
  /** Servers left out (their Secret is missing or malformed), one message each. */
  readonly warnings: string[];
}

/** Cluster names a resource sends traffic to (`cluster`, weighted cluster `name`). */
export function referencedClusters(resources: readonly unknown[]): Set<string> {
  const out = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (typeof value !== "object" || value === null) return;
    for (const [key, v] of Object.entries(value)) {
      // `cluster_name`: an ext_authz provider's gRPC service (CUSTOM policies).
      if ((key === "cluster" || key === "cluster_name") && typeof v === "string") out.add(v);
      else if (key === "weighted_clusters") {
        for (const c of (v as { clusters?: { name?: unknown }[] }).clusters ?? [])
          if (typeof c.name === "string") out.add(c.name);
      } else visit(v);
    }
  };
  visit(resources);
  return out;
}

function listenersAndRoutes(scope: ProxyScope) {
  // Servers whose Secrets cannot be served are dropped before anything is built from them, so
  // neither a listener chain nor a route config refers to them.
  const { ports, secrets, skipped } = gatewaySecrets(scope, gatewayPorts(scope));
  const gateways = new Set(ports.flatMap(p => p.servers.map(s => s.gateway)));
  const virtualServices = gatewayVirtualServices(scope, gateways);
  return {
    listeners: gatewayListeners(scope, ports, virtualServices),
    routes: gatewayRouteConfigs(scope, ports, virtualServices),
    secrets,
    warnings: skipped.map(skippedServerMessage),
  };
}

function clustersFor(scope: ProxyScope, used: readonly unknown[]): OutboundCluster[] {
  const names = referencedClusters(used);
  return outboundClusters(scope).filter(c => names.has(c.name));
}

/** The AUTO_PASSTHROUGH servers' SNI-DNAT clusters the listeners name (`auto-passthrough.ts`). */
function sniDnatClustersFor(scope: ProxyScope, used: readonly unknown[]): OutboundCluster[] {
  const names = referencedClusters(used);
  return sniDnatClusters(scope).filter(c => names.has(c.name));
}

/** The outbound clusters a gateway proxy gets (for an endpoint-only recompile). */
export function gatewayOutboundClusters(scope: ProxyScope): OutboundCluster[] {
  const { listeners, routes } = listenersAndRoutes(scope);
  const used = [...listeners, ...routes];
  return [...clustersFor(scope, used), ...sniDnatClustersFor(scope, used)];
}

/** Compiles every resource of a gateway proxy. */
export function compileGateway(scope: ProxyScope): GatewayResources {
  const { listeners, routes, secrets, warnings } = listenersAndRoutes(scope);
  const clusters = clustersFor(scope, [...listeners, ...routes]);
  const sniDnat = sniDnatClustersFor(scope, listeners);
  // DestinationRule credentialName Secrets for TLS origination join the servers' Secrets.
  const upstream = mergeSecrets(secrets, upstreamCredentialSecrets(scope, clusters));
  return {
    secrets: upstream.secrets,
    warnings: [
      ...warnings,
      ...inboundSecurity(scope).notes,
      ...upstreamTlsWarnings(clusters),
      ...upstream.conflicts,
    ],
    listeners: listeners,
    routes: routes,
    clusters: [
      ...clusters.map(c => buildOutboundCluster(scope, c)),
      ...sniDnat.map(c => buildSniDnatCluster(scope, c)),
    ],
    endpoints: [...clusters, ...sniDnat].filter(c => c.eds).map(c => buildLoadAssignment(scope, c)),
  };
}
