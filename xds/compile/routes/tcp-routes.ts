/**
 * VirtualService `tcp` and `tls` routes on a sidecar's outbound listener for one service port,
 * as filter chains (`filter-chains.ts`), with Istio's rules:
 * - Static conditions (`port`, `sourceLabels`, `sourceNamespace`, `gateways` naming `mesh`) are
 *   checked now, for this proxy; a match that excludes it is skipped.
 * - TCP (TCP, Mongo, MySQL, Redis and sniffed ports): the first route whose match applies with
 *   no `destinationSubnets` ends the list; routes with subnets before it get a chain matching
 *   those subnets. Without a catch-all route the service's own cluster takes the rest.
 * - TLS (HTTPS and TLS ports): one chain per distinct SNI/subnet match; the first route claiming a
 *   set of names wins. With no TLS route the whole port goes to the service's cluster (matched
 *   by SNI = the host when the listener is shared on 0.0.0.0); with TLS routes, unmatched
 *   names fall to the listener's passthrough chain.
 * - tcp_proxy: one destination → `cluster`; several → `weighted_clusters` of those with a
 *   positive weight, stat prefix `<vs name>.<vs namespace>`.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#TCPRoute
 * @see istio/istio pilot/pkg/networking/core/tls.go (buildSidecarOutboundTLSFilterChainOpts,
 *   buildSidecarOutboundTCPFilterChainOpts), networkfilter.go (buildOutboundNetworkFilters)
 */
import type { RouteDestination, VirtualService } from "../../../mesh/api";
import type { Protocol, ServiceInfo, ServicePortInfo } from "../../../mesh/store";
import { hostsMatch } from "../../../mesh/validation/hosts";
import type { ChainOpts } from "../listeners/filter-chains";
import { destinationCluster } from "./http-routes";
import { matchAppliesTo } from "./route-match";
import { sidecarHostNames } from "./routes";
import type { ProxyScope } from "../scope";
import { clusterName, FilterNames, protoDuration, Types } from "../shared/xds-util";
import type { Listener_Filter, TcpProxy } from "../shared/envoy";
import type { TcpProxy_WeightedCluster_ClusterWeight } from "../shared/envoy";

/** One service port on an outbound listener. */
export interface OutboundTarget {
  readonly service: ServiceInfo;
  readonly port: ServicePortInfo;
  /** The listener's address: the service's VIP, or `0.0.0.0` when it has none. */
  readonly bind: string;
  /** The service's address when it is a CIDR (the listener is then shared on 0.0.0.0). */
  readonly cidrs: readonly string[];
}

/** Ports whose traffic is TLS the sidecar routes by SNI without terminating it. */
export function isTlsProtocol(p: Protocol): boolean {
  return p === "HTTPS" || p === "TLS";
}

/** The mesh VirtualServices whose hosts cover `host` (all of them, in precedence order). */
export function virtualServicesForHost(scope: ProxyScope, host: string): VirtualService[] {
  return scope.virtualServices.filter(vs => (vs.spec.hosts ?? []).some(h => hostsMatch(h, host)));
}

/**
 * DestinationRule settings a tcp_proxy carries: the TCP idle timeout and connection lifetime
 * (top-level policy, as Istio reads them) and source-IP affinity (the subset's, else the rule's).
 */
function destinationRuleOptions(scope: ProxyScope, host: string, subset: string): TcpProxy {
  const rule = scope.destinationRule(host);
  if (!rule) return {};
  const out: TcpProxy = {};
  const tcp = rule.spec.trafficPolicy?.connectionPool?.tcp;
  const idle = protoDuration(tcp?.idleTimeout);
  if (idle) out.idle_timeout = idle;
  const lifetime = protoDuration(tcp?.maxConnectionDuration);
  if (lifetime) out.max_downstream_connection_duration = lifetime;
  let sourceIp = rule.spec.trafficPolicy?.loadBalancer?.consistentHash?.useSourceIp === true;
  const lb = rule.spec.subsets?.find(s => s.name === subset)?.trafficPolicy?.loadBalancer;
  if (lb) sourceIp = lb.consistentHash?.useSourceIp === true;
  if (sourceIp) out.hash_policy = [{ source_ip: {} }];
  return out;
}

/** tcp_proxy to one cluster, named after it in stats. */
export function singleTcpProxy(
  scope: ProxyScope,
  cluster: string,
  host: string,
  subset = "",
): Listener_Filter {
  return {
    name: FilterNames.tcpProxy,
    typed_config: {
      "@type": Types.tcpProxy,
      stat_prefix: cluster,
      cluster,
      ...destinationRuleOptions(scope, host, subset),
    },
  };
}

/**
 * tcp_proxy for a route's destinations; undefined when none is usable (no destination, or
 * several all weighted 0: validation refuses both, the compiler skips the route).
 */
export function tcpProxyFilter(
  scope: ProxyScope,
  routes: readonly RouteDestination[] | undefined,
  vs: VirtualService,
  listenerPort: number,
): Listener_Filter | undefined {
  const ns = vs.metadata.namespace ?? "default";
  const usable = (routes ?? []).filter(d => d.destination?.host);
  const first = usable[0];
  if (!first) return undefined;
  if (usable.length === 1) {
    const dst = destinationCluster(scope, first.destination, ns, listenerPort);
    return singleTcpProxy(scope, dst.cluster, dst.host, first.destination.subset ?? "");
  }
  const clusters = usable
    .filter(d => (d.weight ?? 0) > 0)
    .map(
      (d): TcpProxy_WeightedCluster_ClusterWeight => ({
        name: destinationCluster(scope, d.destination, ns, listenerPort).cluster,
        weight: d.weight!,
      }),
    );
  if (clusters.length === 0) return undefined;
  const host = destinationCluster(scope, first.destination, ns, listenerPort).host;
  return {
    name: FilterNames.tcpProxy,
    typed_config: {
      "@type": Types.tcpProxy,
      stat_prefix: `${vs.metadata.name}.${ns}`,
      weighted_clusters: { clusters },
      ...destinationRuleOptions(scope, host, ""),
    },
  };
}

/** The service's own cluster for the port (its only port if it has one, as Istio picks). */
function serviceChain(scope: ProxyScope, target: OutboundTarget, sniHosts: string[]): ChainOpts {
  const { service } = target;
  const port = service.ports.length === 1 ? service.ports[0]!.port : target.port.port;
  const cluster = clusterName("outbound", port, "", service.hostname);
  return {
    sniHosts,
    destinationCidrs: target.cidrs,
    filters: [singleTcpProxy(scope, cluster, service.hostname)],
  };
}

const applies = (scope: ProxyScope, port: number) => (m: Parameters<typeof matchAppliesTo>[0]) =>
  matchAppliesTo(m, scope.proxy, port);

/**
 * The SNI names of a TLS service on a shared listener: its host, then each ExternalName alias
 * with the alias's own other names (`db.`, `db.shop.svc`, …), as istiod lists them.
 * @see istio/istio pilot/pkg/networking/core/tls.go (buildSidecarOutboundTLSFilterChainOpts)
 */
function sniNames(scope: ProxyScope, service: ServiceInfo): string[] {
  const aliases = scope.aliasesOf(service.hostname);
  return [service.hostname, ...aliases.flatMap(a => sidecarHostNames(a.hostname, scope.proxy))];
}

/** Chains for a TLS port: one per distinct SNI/subnet match, or the service's cluster. */
export function tlsRouteChains(scope: ProxyScope, target: OutboundTarget): ChainOpts[] {
  const port = target.port.port;
  const out: ChainOpts[] = [];
  const handled = new Set<string>();
  let matched = false;
  for (const vs of virtualServicesForHost(scope, target.service.hostname)) {
    for (const route of vs.spec.tls ?? []) {
      const filter = tcpProxyFilter(scope, route.route, vs, port);
      if (!filter) continue;
      for (const m of route.match ?? []) {
        if (!applies(scope, port)(m)) continue;
        matched = true;
        const cidrs = m.destinationSubnets?.length ? m.destinationSubnets : target.cidrs;
        // A later match with the same runtime conditions can never be reached: first wins.
        const sniHosts = m.sniHosts ?? [];
        const key = `${sniHosts.join(",")}|${(m.destinationSubnets ?? []).join(",")}`;
        if (handled.has(key)) continue;
        handled.add(key);
        out.push({ sniHosts, destinationCidrs: cidrs, filters: [filter] });
      }
    }
  }
  if (matched) return out;
  // A listener shared on 0.0.0.0 tells services apart by SNI only; a VIP listener needs nothing.
  const shared = target.cidrs.length > 0 || target.bind === "0.0.0.0";
  return [serviceChain(scope, target, shared ? sniNames(scope, target.service) : [])];
}

/** Chains for a TCP (or sniffed) port: subnet routes, then the first catch-all route. */
export function tcpRouteChains(scope: ProxyScope, target: OutboundTarget): ChainOpts[] {
  const port = target.port.port;
  const out: ChainOpts[] = [];
  for (const vs of virtualServicesForHost(scope, target.service.hostname)) {
    for (const route of vs.spec.tcp ?? []) {
      const filter = tcpProxyFilter(scope, route.route, vs, port);
      if (!filter) continue;
      const matches = route.match ?? [];
      const applying = matches.filter(applies(scope, port));
      if (matches.length > 0 && applying.length === 0) continue;
      // No match, or one without destinationSubnets, takes every connection left: the list ends.
      if (matches.length === 0 || applying.some(m => !m.destinationSubnets?.length)) {
        out.push({ destinationCidrs: target.cidrs, filters: [filter] });
        return out;
      }
      out.push({
        destinationCidrs: applying.flatMap(m => m.destinationSubnets!),
        filters: [filter],
      });
    }
  }
  out.push(serviceChain(scope, target, []));
  return out;
}

/** The outbound chains of a non-HTTP service port from its VirtualServices' tcp/tls routes. */
export function outboundRouteChains(scope: ProxyScope, target: OutboundTarget): ChainOpts[] {
  return isTlsProtocol(target.port.protocol)
    ? tlsRouteChains(scope, target)
    : tcpRouteChains(scope, target);
}

/**
 * Warnings for `tls` routes no sidecar listener uses: every port of the hosts they route (or of
 * the match's `port`) is plain HTTP or TCP, where Istio ignores them.
 */
export function ignoredTlsRouteWarnings(scope: ProxyScope): string[] {
  const out: string[] = [];
  for (const vs of scope.virtualServices) {
    if (!vs.spec.tls?.length) continue; // spares a scan of every service per VirtualService
    const services = scope.services.filter(s =>
      (vs.spec.hosts ?? []).some(h => hostsMatch(h, s.hostname)),
    );
    (vs.spec.tls ?? []).forEach((route, i) => {
      const wanted = new Set((route.match ?? []).map(m => m.port ?? 0));
      const ports = services.flatMap(s =>
        s.ports
          .filter(p => p.protocol !== "UDP" && (wanted.has(0) || wanted.has(p.port)))
          .map(p => ({ host: s.hostname, port: p })),
      );
      if (ports.length === 0 || ports.some(p => isTlsProtocol(p.port.protocol))) return;
      const label = (p: Protocol) => (p === "Unsupported" ? "no declared protocol" : p);
      const list = ports
        .map(p => `${p.host}:${p.port.port} (${label(p.port.protocol)})`)
        .join(", ");
      out.push(
        `VirtualService ${vs.metadata.namespace ?? "default"}/${vs.metadata.name}: spec.tls[${i}]: ` +
          `tls routes apply to HTTPS and TLS ports only; ${list} is not one, the route is ignored`,
      );
    });
  }
  return out;
}
