/**
 * RDS for gateway proxies: one route config `http.<port>` for the plaintext HTTP servers of a
 * port, and one `https.<port>.<portName>.<gateway>.<namespace>` per terminated HTTPS server.
 * Each holds a virtual host per host the bound VirtualServices serve on the server (the
 * intersection `gateway-model.ts` computes), with the routes `http-routes.ts` builds for
 * sidecars. `httpsRedirect` makes the server's virtual hosts `require_tls: ALL`, so Envoy answers
 * plaintext requests with a 301 to https before any route is consulted.
 *
 * @see istio/istio pilot/pkg/networking/core/gateway.go (buildGatewayHTTPRouteConfig)
 */
import {
  boundVirtualServices,
  resolveGatewayName,
  type GatewayPort,
  type GatewayServer,
} from "./gateway-model";
import type { VirtualService } from "../../../mesh/api";
import { virtualServiceRoutes } from "../routes/http-routes";
import type { ProxyScope } from "../scope";
import { byString, MAX_DIRECT_RESPONSE_BODY, Types } from "../shared/xds-util";
import type { Route, RouteResource, VirtualHost } from "../shared/envoy";

/** Istio's route config name for an HTTP or terminated HTTPS server. */
export function gatewayRouteName(server: GatewayServer): string {
  if (server.kind === "https")
    return `https.${server.port}.${server.spec.port.name}.${server.gatewayName}.${server.gatewayNamespace}`;
  return `http.${server.port}`;
}

/**
 * A virtual host's domains: the host alone, as istiod 1.31 writes them (the route config sets
 * `ignore_port_in_host_matching`, so `Host: a:8443` matches `a`).
 * @see istio/istio pilot/pkg/networking/core/gateway.go (buildGatewayHTTPRouteConfig)
 */
export function gatewayDomains(host: string): string[] {
  return [host];
}

function virtualHost(host: string, port: number, routes: Route[], redirect: boolean): VirtualHost {
  return {
    name: `${host}:${port}`,
    domains: gatewayDomains(host),
    routes,
    include_request_attempt_count: true,
    ...(redirect ? { require_tls: "ALL" } : {}),
  };
}

/** Whether a route's `gateways` entry (relative to the VirtualService) names the server's. */
function boundToServer(server: GatewayServer, vs: VirtualService) {
  const ns = vs.metadata.namespace ?? "default";
  return (ref: string) => resolveGatewayName(ref, ns) === server.gateway;
}

/** A virtual host being built, with where each run of its routes came from. */
interface HostRoutes {
  readonly vhost: VirtualHost;
  /** One `gateway|namespace/name` per VirtualService whose routes it carries, in order. */
  readonly sources: string[];
}

/** The virtual hosts of the servers sharing one route config, by host. */
function virtualHosts(
  scope: ProxyScope,
  servers: readonly GatewayServer[],
  virtualServices: readonly VirtualService[],
): VirtualHost[] {
  const byHost = new Map<string, HostRoutes>();
  for (const server of servers) {
    const redirect = server.kind === "http" && server.spec.tls?.httpsRedirect === true;
    for (const { vs, hosts } of boundVirtualServices(server, virtualServices)) {
      const routes = virtualServiceRoutes(scope, vs, server.port, boundToServer(server, vs));
      if (routes.length === 0) continue;
      const source = `${server.gateway}|${vs.metadata.namespace ?? "default"}/${vs.metadata.name}`;
      for (const host of hosts) {
        const had = byHost.get(host);
        if (!had) {
          const vhost = virtualHost(host, server.port, [...routes], redirect);
          byHost.set(host, { vhost, sources: [source] });
          continue;
        }
        // Several VirtualServices for one host: their routes in order, as Istio appends them.
        had.vhost.routes = [...(had.vhost.routes ?? []), ...routes];
        had.sources.push(source);
        if (redirect) had.vhost.require_tls = "ALL";
      }
    }
    // A redirecting server answers for its hosts even without a VirtualService.
    if (redirect)
      for (const { host } of server.hosts)
        if (!byHost.has(host))
          byHost.set(host, { vhost: virtualHost(host, server.port, [], true), sources: [] });
  }
  const hosts = collapseSameRoutes(byHost).sort((a, b) => byString(String(a.name), String(b.name)));
  if (hosts.length > 0) return hosts;
  // Nothing bound: every request gets a 404 (no route), as in Istio.
  return [{ name: `blackhole:${servers[0]?.port ?? 0}`, domains: ["*"] }];
}

/**
 * Hosts whose routes are the same — built from the same VirtualServices of the same gateways,
 * in the same order — share one virtual host: its name is the most specific host's (istiod's
 * order: exact before wildcard, longer first, then alphabetical), its domains every host's in
 * that order. Without it, a VirtualService with many hosts sends its routes once per host.
 * @see istio/istio pilot/pkg/networking/core/gateway.go (collapseDuplicateRoutes;
 *   PILOT_ENABLE_ROUTE_COLLAPSE_OPTIMIZATION, on by default)
 */
function collapseSameRoutes(byHost: ReadonlyMap<string, HostRoutes>): VirtualHost[] {
  const primaries = new Map<string, VirtualHost>();
  const out: VirtualHost[] = [];
  for (const host of [...byHost.keys()].sort(moreSpecificFirst)) {
    const { vhost, sources } = byHost.get(host)!;
    const key = JSON.stringify([sources, vhost.require_tls ?? ""]);
    const primary = primaries.get(key);
    if (primary) {
      primary.domains = [...(primary.domains ?? []), ...(vhost.domains ?? [])];
      continue;
    }
    primaries.set(key, vhost);
    out.push(vhost);
  }
  return out;
}

/** Istio's host order (host.MoreSpecific): exact hosts before wildcards, longer first, then A–Z. */
export function moreSpecificFirst(a: string, b: string): number {
  const wa = a.startsWith("*");
  const wb = b.startsWith("*");
  if (wa !== wb) return wa ? 1 : -1;
  if (a.length !== b.length) return b.length - a.length;
  return byString(a, b);
}

/** Every RouteConfiguration of a gateway proxy. */
export function gatewayRouteConfigs(
  scope: ProxyScope,
  ports: readonly GatewayPort[],
  virtualServices: readonly VirtualService[],
): RouteResource[] {
  const byName = new Map<string, GatewayServer[]>();
  for (const p of ports)
    for (const server of p.servers) {
      if (server.kind !== "http" && server.kind !== "https") continue;
      const name = gatewayRouteName(server);
      byName.set(name, [...(byName.get(name) ?? []), server]);
    }
  return [...byName.entries()].map(
    ([name, servers]): RouteResource => ({
      "@type": Types.route,
      name,
      virtual_hosts: virtualHosts(scope, servers, virtualServices),
      validate_clusters: { value: false },
      ignore_port_in_host_matching: true,
      max_direct_response_body_size_bytes: MAX_DIRECT_RESPONSE_BODY,
    }),
  );
}
