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

/** The virtual hosts of the servers sharing one route config, by host. */
function virtualHosts(
  scope: ProxyScope,
  servers: readonly GatewayServer[],
  virtualServices: readonly VirtualService[],
): VirtualHost[] {
  const byHost = new Map<string, VirtualHost>();
  for (const server of servers) {
    const redirect = server.kind === "http" && server.spec.tls?.httpsRedirect === true;
    for (const { vs, hosts } of boundVirtualServices(server, virtualServices)) {
      const routes = virtualServiceRoutes(scope, vs, server.port, boundToServer(server, vs));
      if (routes.length === 0) continue;
      for (const host of hosts) {
        const had = byHost.get(host);
        if (!had) {
          byHost.set(host, virtualHost(host, server.port, [...routes], redirect));
          continue;
        }
        // Several VirtualServices for one host: their routes in order, as Istio appends them.
        had.routes = [...(had.routes ?? []), ...routes];
        if (redirect) had.require_tls = "ALL";
      }
    }
    // A redirecting server answers for its hosts even without a VirtualService.
    if (redirect)
      for (const { host } of server.hosts)
        if (!byHost.has(host)) byHost.set(host, virtualHost(host, server.port, [], true));
  }
  const hosts = [...byHost.keys()].sort(byString).map(h => byHost.get(h)!);
  if (hosts.length > 0) return hosts;
  // Nothing bound: every request gets a 404 (no route), as in Istio.
  return [{ name: `blackhole:${servers[0]?.port ?? 0}`, domains: ["*"] }];
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
