/**
 * Gateway servers with `tls.mode: AUTO_PASSTHROUGH` (east-west / cross-network gateways): the
 * client's own mTLS connection is passed, unterminated, to the service named by its SNI, which
 * Istio's clients set to `outbound_.<port>_.<subset>_.<host>`. No VirtualService is involved.
 *
 * Istio today writes one filter chain per reachable service port (and DestinationRule subset)
 * rather than Envoy's sni_cluster filter: each matches its SNI name and Istio's mTLS ALPN values,
 * so only mesh mTLS reaches only mesh services, and tcp_proxy sends it to an "SNI-DNAT" cluster
 * of the same name. Those clusters are the service's outbound clusters renamed, without
 * upstream TLS: the bytes already are the client's TLS.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/gateway/#ServerTLSSettings-TLSmode
 * @see istio/istio pilot/pkg/networking/core/gateway.go (builtAutoPassthroughFilterChains)
 * @see istio/istio pilot/pkg/networking/core/cluster.go (buildOutboundSniDnatClusters)
 */
import { hostSubsetOf } from "../../../mesh/validation/hosts";
import { buildOutboundCluster, outboundClusters, type OutboundCluster } from "../clusters/clusters";
import { ISTIO_MTLS_ALPNS, type ChainOpts } from "../listeners/filter-chains";
import type { GatewayServer } from "./gateway-model";
import type { ProxyScope } from "../scope";
import { singleTcpProxy } from "../routes/tcp-routes";
import type { ClusterResource } from "../shared/envoy";

/** Istio's SNI (and SNI-DNAT cluster) name: `outbound_.9080_.v1_.reviews.default.svc.cluster.local`. */
export function sniDnatName(port: number, subset: string, host: string): string {
  return `outbound_.${port}_.${subset}_.${host}`;
}

/**
 * Every SNI-DNAT cluster the gateway could need: each mesh-internal, non-UDP service port and
 * its DestinationRule subsets, as outbound clusters (same endpoints, same policy) renamed.
 */
export function sniDnatClusters(scope: ProxyScope): OutboundCluster[] {
  return outboundClusters(scope)
    .filter(c => !c.service.meshExternal && c.port.protocol !== "UDP")
    .map(c => ({ ...c, name: sniDnatName(c.port.port, c.subset ?? "", c.service.hostname) }));
}

/** The Cluster of an SNI-DNAT cluster: the outbound cluster, never originating TLS itself. */
export function buildSniDnatCluster(scope: ProxyScope, c: OutboundCluster): ClusterResource {
  const { transport_socket: _tls, ...cluster } = buildOutboundCluster(scope, c);
  return cluster;
}

/** The names an AUTO_PASSTHROUGH server admits (`ns/` dropped: SNI carries no namespace). */
function serverHosts(server: GatewayServer): string[] {
  return [...new Set(server.hosts.map(h => h.host))];
}

/**
 * The filter chains of an AUTO_PASSTHROUGH server: per service port (and subset) whose host
 * the server's hosts cover (`*` covers every mesh service), a chain matching its SNI name and
 * Istio's mTLS ALPNs, with tcp_proxy to the SNI-DNAT cluster.
 */
export function autoPassthroughChains(scope: ProxyScope, server: GatewayServer): ChainOpts[] {
  const hosts = serverHosts(server);
  return sniDnatClusters(scope)
    .filter(c => hosts.some(h => hostSubsetOf(c.service.hostname, h)))
    .map(c => ({
      sniHosts: [c.name],
      applicationProtocols: ISTIO_MTLS_ALPNS,
      filters: [singleTcpProxy(scope, c.name, c.service.hostname, c.subset ?? "")],
    }));
}
