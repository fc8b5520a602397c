/**
 * LDS for gateway proxies: one listener `<bind>_<port>` (`0.0.0.0_8080`) per server port,
 * bound for real (a gateway has no iptables redirect), with a filter chain per server:
 * - plaintext HTTP: an HttpConnectionManager loading route config `http.<port>`;
 * - terminated HTTPS: the server's SNI hosts, a DownstreamTlsContext (`gateway-tls.ts`) and an
 *   HttpConnectionManager loading the server's own `https.…` route config;
 * - PASSTHROUGH: one chain per bound VirtualService `tls` route match, by SNI, to tcp_proxy;
 * - AUTO_PASSTHROUGH: one chain per mesh service port and subset, by its Istio SNI name
 *   (`auto-passthrough.ts`);
 * - TCP (and TLS terminated here): tcp_proxy to the first bound `tcp` route that applies.
 * SNI chains need the tls_inspector listener filter to read the ClientHello.
 *
 * The gateway enforces the RequestAuthentications and AuthorizationPolicies that select its
 * workload (`inbound-security.ts`), as Istio's gateways do: HTTP chains run jwt_authn and the
 * RBAC (and CUSTOM ext_authz) filters before routing, the others network RBAC before tcp_proxy.
 *
 * @see istio/istio pilot/pkg/networking/core/gateway.go (buildGatewayListeners,
 *   buildGatewayNetworkFiltersFromTCPRoutes, buildGatewayNetworkFiltersFromTLSRoutes)
 */
import type { VirtualService } from "../../../mesh/api";
import { hostsMatch, hostSubsetOf } from "../../../mesh/validation/hosts";
import {
  boundVirtualServices,
  resolveGatewayName,
  type GatewayPort,
  type GatewayServer,
} from "./gateway-model";
import { autoPassthroughChains } from "./auto-passthrough";
import { TLS_INSPECTOR, toFilterChain, withHandshakeTimeout } from "../listeners/filter-chains";
import { gatewayRouteName } from "./gateway-routes";
import { gatewayTlsSocket } from "./gateway-tls";
import { inboundSecurity, type InboundSecurity } from "../security/inbound-security";
import { matchAppliesTo } from "../routes/route-match";
import type { ProxyScope } from "../scope";
import { tcpProxyFilter } from "../routes/tcp-routes";
import { istioHcmDefaults } from "../listeners/hcm-defaults";
import { ENVOY_ADS_SOURCE, FilterNames, httpFilters, Types } from "../shared/xds-util";
import type { FilterChain, ListenerResource, Listener_Filter } from "../shared/envoy";

/**
 * The gateway's HttpConnectionManager: the client's address is the real one
 * (`use_remote_address`), paths are normalized before routing, client certificate details
 * are replaced rather than trusted, and WebSocket upgrades pass (`hcm-defaults.ts`).
 * @see istio/istio pilot/pkg/networking/core/gateway.go (buildGatewayConnectionManager)
 */
function gatewayHcm(
  statPrefix: string,
  routeName: string,
  security: InboundSecurity,
): Listener_Filter {
  return {
    name: FilterNames.hcm,
    typed_config: {
      "@type": Types.hcm,
      stat_prefix: statPrefix,
      rds: { route_config_name: routeName, config_source: ENVOY_ADS_SOURCE },
      http_filters: [
        ...(security.jwt ? [security.jwt] : []),
        ...security.httpAuthz,
        ...httpFilters(),
      ],
      ...istioHcmDefaults("gateway"),
    },
  };
}

/** The server's SNI names (`ns/` dropped); none when a host is `*`, which matches any name. */
export function serverNames(server: GatewayServer): string[] {
  const hosts = [...new Set(server.hosts.map(h => h.host))].sort();
  return hosts.includes("*") ? [] : hosts;
}

function sniMatch(names: readonly string[]): FilterChain {
  return names.length > 0 ? { filter_chain_match: { server_names: [...names] } } : {};
}

function appliesHere(server: GatewayServer, vs: VirtualService, scope: ProxyScope) {
  const ns = vs.metadata.namespace ?? "default";
  return (m: Parameters<typeof matchAppliesTo>[0]) =>
    matchAppliesTo(m, scope.proxy, server.port, g => resolveGatewayName(g, ns) === server.gateway);
}

/** tcp_proxy of the first bound `tcp` route whose match (if any) applies to this server. */
function tcpRouteFilter(
  scope: ProxyScope,
  server: GatewayServer,
  virtualServices: readonly VirtualService[],
): Listener_Filter | undefined {
  for (const { vs } of boundVirtualServices(server, virtualServices)) {
    const applies = appliesHere(server, vs, scope);
    for (const route of vs.spec.tcp ?? []) {
      if (route.match && route.match.length > 0 && !route.match.some(applies)) continue;
      const filter = tcpProxyFilter(scope, route.route, vs, server.port);
      if (filter) return filter;
    }
  }
  return undefined;
}

/** PASSTHROUGH chains: per `tls` route match, the SNI names the server admits, first claim wins. */
function passthroughChains(
  scope: ProxyScope,
  server: GatewayServer,
  virtualServices: readonly VirtualService[],
  claimed: Set<string>,
): FilterChain[] {
  const chains: FilterChain[] = [];
  for (const { vs } of boundVirtualServices(server, virtualServices)) {
    const applies = appliesHere(server, vs, scope);
    for (const route of vs.spec.tls ?? []) {
      for (const m of route.match) {
        if (!applies(m)) continue;
        const names: string[] = [];
        for (const sni of m.sniHosts)
          for (const { host } of server.hosts) {
            if (!hostsMatch(sni, host)) continue;
            const name = hostSubsetOf(sni, host) ? sni : host;
            if (name !== "*" && !claimed.has(name) && !names.includes(name)) names.push(name);
          }
        const filter = tcpProxyFilter(scope, route.route, vs, server.port);
        if (names.length === 0 || !filter) continue;
        for (const n of names) claimed.add(n);
        chains.push({ ...sniMatch(names.sort()), filters: [filter] });
      }
    }
  }
  return chains;
}

function serverChains(
  scope: ProxyScope,
  listener: string,
  server: GatewayServer,
  virtualServices: readonly VirtualService[],
  claimed: Set<string>,
): FilterChain[] {
  const statPrefix = `outbound_${listener}`;
  const security = inboundSecurity(scope);
  switch (server.kind) {
    case "http":
      return [{ filters: [gatewayHcm(statPrefix, gatewayRouteName(server), security)] }];
    case "https":
      return [
        {
          ...sniMatch(serverNames(server)),
          filters: [gatewayHcm(statPrefix, gatewayRouteName(server), security)],
          transport_socket: gatewayTlsSocket(server.spec, scope.mesh.tlsDefaults),
        },
      ];
    case "passthrough":
      return passthroughChains(scope, server, virtualServices, claimed);
    case "auto-passthrough":
      return autoPassthroughChains(scope, server).map(toFilterChain);
    case "tls-terminated":
    case "tcp": {
      const filter = tcpRouteFilter(scope, server, virtualServices);
      if (!filter) return [];
      if (server.kind === "tcp") return [{ filters: [filter] }];
      return [
        {
          ...sniMatch(serverNames(server)),
          filters: [filter],
          transport_socket: gatewayTlsSocket(server.spec, scope.mesh.tlsDefaults),
        },
      ];
    }
  }
}

/** A TCP chain with the network RBAC filters in front; HTTP chains carry theirs in the HCM. */
function withNetworkAuthz(chain: FilterChain, security: InboundSecurity): FilterChain {
  const filters = chain.filters ?? [];
  if (filters.some(f => f.name === FilterNames.hcm) || security.tcpAuthz.length === 0) return chain;
  return { ...chain, filters: [...security.tcpAuthz, ...filters] };
}

/** One listener; undefined when no server on the port yields a filter chain. */
function gatewayListener(
  scope: ProxyScope,
  port: GatewayPort,
  virtualServices: readonly VirtualService[],
): ListenerResource | undefined {
  const name = `${port.address}_${port.port}`;
  const claimed = new Set<string>();
  const seen = new Set<string>();
  const chains: FilterChain[] = [];
  for (const server of port.servers) {
    // Merged HTTP servers share one chain; otherwise Envoy rejects two identical matches, so
    // the first server with a given match keeps it (Istio drops the later one too).
    for (const chain of serverChains(scope, name, server, virtualServices, claimed)) {
      const key = JSON.stringify(chain.filter_chain_match ?? {});
      if (seen.has(key)) continue;
      seen.add(key);
      chains.push(withHandshakeTimeout(withNetworkAuthz(chain, inboundSecurity(scope))));
    }
  }
  if (chains.length === 0) return undefined;
  const sni = chains.some(c => c.filter_chain_match !== undefined);
  return {
    "@type": Types.listener,
    name,
    address: { socket_address: { address: port.address, port_value: port.port } },
    traffic_direction: "OUTBOUND",
    // istiod's accept loop: one connection per socket event, spread over worker threads.
    max_connections_to_accept_per_socket_event: { value: 1 },
    ...(sni ? { listener_filters: [TLS_INSPECTOR] } : {}),
    filter_chains: chains,
  };
}

/** Every Listener of a gateway proxy. */
export function gatewayListeners(
  scope: ProxyScope,
  ports: readonly GatewayPort[],
  virtualServices: readonly VirtualService[],
): ListenerResource[] {
  return ports
    .map(p => gatewayListener(scope, p, virtualServices))
    .filter((l): l is ListenerResource => l !== undefined);
}
