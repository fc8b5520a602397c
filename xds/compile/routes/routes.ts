/**
 * RDS: route configurations. Sidecars get one per outbound HTTP port, named by the port
 * (`9080`), with a virtual host `host:port` per service on that port plus `allow_any` (or
 * `block_all`); proxyless gRPC clients get one per service port, named `host:port` like the
 * listener that loads it.
 *
 * @see istio/istio pilot/pkg/networking/core/httproute.go (BuildSidecarOutboundVirtualHosts)
 * @see istio/istio pilot/pkg/networking/grpcgen/rds.go
 */
import type { VirtualService } from "../../../mesh/api";
import { isHttpProtocol, type ServiceInfo, type ServicePortInfo } from "../../../mesh/store";
import { hostSubsetOf } from "../../../mesh/validation/hosts";
import { defaultRoute, virtualServiceRoutes } from "./http-routes";
import type { Proxy } from "../proxy";
import type { ProxyScope } from "../scope";
import { byString, MAX_DIRECT_RESPONSE_BODY, PASSTHROUGH_CLUSTER, Types } from "../shared/xds-util";
import type { RouteResource, VirtualHost } from "../shared/envoy";

/**
 * Istio's alternative names for a Kubernetes service host: `reviews`, `reviews.default`,
 * `reviews.default.svc` from the same namespace; the last two from another namespace.
 * @see istio/istio pilot/pkg/networking/core/httproute.go (generateAltVirtualHostsForKubernetesService)
 */
export function altHosts(hostname: string, proxy: Proxy): string[] {
  const ih = hostname.indexOf(".svc.");
  const id = proxy.dnsDomain.indexOf(".svc.");
  if (ih <= 0 || id < 0 || hostname.slice(ih) !== proxy.dnsDomain.slice(id)) return [];
  const dot = hostname.indexOf(".");
  if (dot + 1 > ih) return [];
  const short = hostname.slice(0, dot);
  const withNs = hostname.slice(0, ih);
  const alts = hostname.slice(dot + 1, ih) === proxy.dnsDomain.slice(0, id) ? [short] : [];
  return [...alts, withNs, `${withNs}.svc`];
}

/**
 * The domains of a service's virtual host. Envoy sidecars: each name once, without `:port`
 * (their route configs set `ignore_port_in_host_matching`), the absolute FQDN (`host.`) after
 * the host name, then Istio's short forms in its order (`reviews`, `reviews.default.svc`,
 * `reviews.default`); the same for each ExternalName alias of the service (`aliases`, in
 * order); then the VIPs. Proxyless gRPC matches the authority with its port, so each name
 * comes with and without `:port`.
 * @see istio/istio pilot/pkg/networking/core/httproute.go (generateVirtualHostDomains,
 *   GenerateAltVirtualHosts; ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN)
 */
export function virtualHostDomains(
  service: ServiceInfo,
  port: number,
  proxy: Proxy,
  aliases: readonly string[] = [],
): string[] {
  const vips = service.addresses.filter(a => !a.includes("/"));
  const names = [service.hostname, ...aliases];
  if (proxy.kind === "grpc") {
    const all = [...names.flatMap(n => [n, ...altHosts(n, proxy)]), ...vips];
    return all.flatMap(n => [n, `${n}:${port}`]);
  }
  return [...names.flatMap(n => sidecarHostNames(n, proxy)), ...vips];
}

/** One host's names on a sidecar virtual host: itself, `host.`, then Istio's short forms. */
export function sidecarHostNames(hostname: string, proxy: Proxy): string[] {
  const alts = altHosts(hostname, proxy);
  // Same namespace, Istio lists `reviews`, `reviews.default.svc`, `reviews.default`; from
  // another, `reviews.default`, `reviews.default.svc` (altHosts' own order).
  const ordered = alts.length === 3 ? [alts[0]!, alts[2]!, alts[1]!] : alts;
  const absolute = isIpAddress(hostname) ? [] : [`${hostname}.`];
  return [hostname, ...absolute, ...ordered];
}

function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}

/** A service port's virtual host, with domains not already claimed in the route config. */
export function serviceVirtualHost(
  scope: ProxyScope,
  service: ServiceInfo,
  port: ServicePortInfo,
  used: Set<string>,
): VirtualHost | undefined {
  const aliases = scope.aliasesOf(service.hostname).map(a => a.hostname);
  const domains = virtualHostDomains(service, port.port, scope.proxy, aliases).filter(
    d => !used.has(d),
  );
  if (domains.length === 0) return undefined;
  for (const d of domains) used.add(d);
  const vs = scope.virtualServiceFor(service.hostname);
  const routes = vs
    ? virtualServiceRoutes(scope, vs, port.port)
    : [defaultRoute(scope, service, port.port)];
  return {
    name: `${service.hostname}:${port.port}`,
    domains,
    routes,
    include_request_attempt_count: true,
  };
}

/** Ports an Envoy sidecar routes over HTTP: declared HTTP-family, or undeclared (sniffed). */
export function routedOverHttp(port: ServicePortInfo): boolean {
  return isHttpProtocol(port.protocol) || port.protocol === "Unsupported";
}

function catchAllHost(scope: ProxyScope): VirtualHost {
  if (scope.outboundTrafficPolicy === "REGISTRY_ONLY") {
    return {
      name: "block_all",
      domains: ["*"],
      routes: [{ name: "block_all", match: { prefix: "/" }, direct_response: { status: 502 } }],
      include_request_attempt_count: true,
    };
  }
  return {
    name: "allow_any",
    domains: ["*"],
    routes: [
      {
        name: "allow_any",
        match: { prefix: "/" },
        route: {
          cluster: PASSTHROUGH_CLUSTER,
          timeout: { seconds: 0, nanos: 0 },
          max_grpc_timeout: { seconds: 0, nanos: 0 },
        },
      },
    ],
    include_request_attempt_count: true,
  };
}

/**
 * Virtual hosts for a mesh VirtualService's hosts that name no service on `port` (an external
 * name, or a service on other ports only), as Istio builds them: on a port where the
 * VirtualService also routes a service over HTTP, and always on port 80 when it routes none
 * there (istiod's "port 80 hack": such a VirtualService is reachable as `host:80`). Each is
 * named `host:port`, matches the host alone (sidecars ignore the port) and carries the
 * VirtualService's routes for the port; a name or domain already used is skipped.
 * @see istio/istio pilot/pkg/networking/core/route/route.go (separateVSHostsAndServices,
 *   buildSidecarVirtualHostsForVirtualService), httproute.go (buildSidecarOutboundVirtualHosts)
 */
function virtualServiceHostVirtualHosts(
  scope: ProxyScope,
  port: number,
  onPort: readonly { service: ServiceInfo; port: ServicePortInfo }[],
  used: Set<string>,
  names: Set<string>,
): VirtualHost[] {
  const out: VirtualHost[] = [];
  const services = new Map(onPort.map(e => [e.service.hostname, e]));
  for (const vs of scope.virtualServices as readonly VirtualService[]) {
    const hosts = vs.spec.hosts ?? [];
    const matched = [...services.values()].filter(({ service }) =>
      hosts.some(h =>
        h.startsWith("*") ? hostSubsetOf(service.hostname, h) : h === service.hostname,
      ),
    );
    const others = hosts.filter(h => !h.startsWith("*") && !services.has(h));
    if (others.length === 0) continue;
    if (!matched.some(e => routedOverHttp(e.port)) && !(port === 80 && matched.length === 0))
      continue;
    const routes = virtualServiceRoutes(scope, vs, port);
    if (routes.length === 0) continue;
    for (const host of others) {
      const name = `${host}:${port}`;
      if (names.has(name) || used.has(host)) continue;
      names.add(name);
      used.add(host);
      out.push({ name, domains: [host], routes, include_request_attempt_count: true });
    }
  }
  return out;
}

/**
 * The route config a sniffed port's listener on its service VIP loads, `<host>:<port>`, as
 * istiod names it; undefined for a port listened on 0.0.0.0 (which loads `<port>`).
 */
export function sniffedVipRouteName(
  service: ServiceInfo,
  port: ServicePortInfo,
): string | undefined {
  if (port.protocol !== "Unsupported") return undefined;
  const vip = service.addresses.find(a => !a.includes(":") && !a.includes("/"));
  return vip ? `${service.hostname}:${port.port}` : undefined;
}

/**
 * The route config of a sniffed port's VIP listener: one virtual host for the service matching
 * any Host (the connection's address already chose the service), no catch-all.
 * @see istio/istio pilot/pkg/networking/core/httproute.go (buildSidecarOutboundHTTPRouteConfig)
 */
function sniffedVipRouteConfig(
  scope: ProxyScope,
  service: ServiceInfo,
  port: ServicePortInfo,
  name: string,
): RouteResource {
  const vs = scope.virtualServiceFor(service.hostname);
  const routes = vs
    ? virtualServiceRoutes(scope, vs, port.port)
    : [defaultRoute(scope, service, port.port)];
  return {
    "@type": Types.route,
    name,
    virtual_hosts: [{ name, domains: ["*"], routes, include_request_attempt_count: true }],
    validate_clusters: { value: false },
    ignore_port_in_host_matching: true,
    max_direct_response_body_size_bytes: MAX_DIRECT_RESPONSE_BODY,
  };
}

/** Sidecar route configs, one per outbound HTTP port. */
export function sidecarRouteConfigs(scope: ProxyScope): RouteResource[] {
  const byPort = new Map<number, { service: ServiceInfo; port: ServicePortInfo }[]>();
  for (const service of scope.services) {
    for (const port of service.ports) {
      if (!routedOverHttp(port)) continue;
      const list = byPort.get(port.port) ?? [];
      list.push({ service, port });
      byPort.set(port.port, list);
    }
  }
  const perVip = new Map<string, RouteResource>();
  for (const service of scope.services) {
    for (const port of service.ports) {
      const name = sniffedVipRouteName(service, port);
      if (name && !perVip.has(name))
        perVip.set(name, sniffedVipRouteConfig(scope, service, port, name));
    }
  }
  const byName = [...perVip.keys()].sort().map(n => perVip.get(n)!);
  const portConfigs = [...byPort.keys()]
    .sort((a, b) => a - b)
    .map((p): RouteResource => {
      const used = new Set<string>();
      const onPort = byPort.get(p)!;
      const hosts = onPort
        .map(({ service, port }) => serviceVirtualHost(scope, service, port, used))
        .filter((h): h is VirtualHost => h !== undefined);
      const names = new Set(hosts.map(h => String(h.name)));
      const aliases = virtualServiceHostVirtualHosts(scope, p, onPort, used, names);
      const all = [...hosts, ...aliases].sort((a, b) => byString(String(a.name), String(b.name)));
      return {
        "@type": Types.route,
        name: String(p),
        virtual_hosts: [...all, catchAllHost(scope)],
        validate_clusters: { value: false },
        ignore_port_in_host_matching: true,
        max_direct_response_body_size_bytes: MAX_DIRECT_RESPONSE_BODY,
      };
    });
  return [...portConfigs, ...byName];
}

/** Proxyless gRPC route configs: `host:port`, one virtual host each. */
export function grpcRouteConfigs(scope: ProxyScope): RouteResource[] {
  const out: RouteResource[] = [];
  for (const service of scope.services) {
    for (const port of service.ports) {
      const host = serviceVirtualHost(scope, service, port, new Set());
      if (!host) continue;
      out.push({
        "@type": Types.route,
        name: `${service.hostname}:${port.port}`,
        virtual_hosts: [host],
      });
    }
  }
  return out;
}

/** Every RouteConfiguration of the proxy. */
export function buildRoutes(scope: ProxyScope): RouteResource[] {
  return scope.proxy.kind === "grpc" ? grpcRouteConfigs(scope) : sidecarRouteConfigs(scope);
}
