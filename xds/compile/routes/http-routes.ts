/**
 * VirtualService HTTP routes → Envoy Routes for one service port, and the default route a
 * service without a VirtualService gets. First match wins, as in Istio: routes keep the
 * VirtualService's order, one Envoy route per `match` entry.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRoute
 * @see istio/istio pilot/pkg/networking/core/route/route.go (BuildHTTPRoutesForVirtualService)
 */
import type {
  Destination,
  HttpRoute,
  HttpRouteDestination,
  VirtualService,
} from "../../../mesh/api";
import type { ServiceInfo } from "../../../mesh/store";
import { corsPolicyConfig } from "./cors";
import { matchAppliesTo, translateMatch } from "./route-match";
import {
  defaultRetryPolicy,
  faultConfig,
  hashPolicies,
  headerFields,
  retryPolicy,
  timeoutFields,
  type HeaderFields,
} from "./route-policies";
import { resolveHost } from "../shared/host-names";
import type { ProxyScope } from "../scope";
import { effectivePolicy } from "../clusters/traffic-policy";
import { clusterName, FilterNames, fractionalPercent } from "../shared/xds-util";
import type {
  AnyMessage,
  RedirectAction,
  RedirectAction_RedirectResponseCode,
  Route,
  RouteAction,
  RouteAction_HashPolicy,
} from "../shared/envoy";
import type {
  RouteAction_RequestMirrorPolicy,
  WeightedCluster_ClusterWeight,
} from "../shared/envoy";

/**
 * The cluster a destination names, from a route built for `listenerPort`. With `portScoped`
 * (an Envoy sidecar's HTTP routes), the destination is looked up among the services on
 * `listenerPort` only, as istiod looks it up in the route's port-scoped registry: a
 * destination without a port whose service lacks that port goes to `listenerPort`. A
 * destination naming an ExternalName alias gets its target's cluster.
 * @see istio/istio pilot/pkg/networking/core/route/route.go (GetDestinationCluster),
 *   httproute.go (BuildSidecarOutboundVirtualHosts: servicesByName)
 */
export function destinationCluster(
  scope: ProxyScope,
  dst: Destination,
  vsNamespace: string,
  listenerPort: number,
  portScoped = false,
): { cluster: string; host: string; port: number } {
  const host = resolveHost(dst.host, vsNamespace, scope.store.domainSuffix);
  const found = scope.service(host);
  const svc =
    portScoped && found && !found.ports.some(p => p.port === listenerPort) ? undefined : found;
  // No port given: the service's only port, else the port the route is being built for.
  const port =
    dst.port?.number ?? (svc && svc.ports.length === 1 ? svc.ports[0]!.port : listenerPort);
  // A route to an ExternalName alias goes to its target's cluster (one hop, as istiod does).
  const clusterHost = svc?.resolution === "ALIAS" && svc.externalName ? svc.externalName : host;
  return { cluster: clusterName("outbound", port, dst.subset ?? "", clusterHost), host, port };
}

/** Istio's route name: `route.match`, `route`, `match`, or none. */
function routeName(route: HttpRoute, matchName: string | undefined): string | undefined {
  if (route.name && matchName) return `${route.name}.${matchName}`;
  return route.name ?? matchName;
}

function redirectAction(route: HttpRoute): RedirectAction {
  const r = route.redirect!;
  const codes: Record<number, RedirectAction_RedirectResponseCode> = {
    301: "MOVED_PERMANENTLY",
    302: "FOUND",
    303: "SEE_OTHER",
    307: "TEMPORARY_REDIRECT",
    308: "PERMANENT_REDIRECT",
  };
  const out: RedirectAction = {
    response_code: codes[r.redirectCode ?? 301] ?? "MOVED_PERMANENTLY",
  };
  if (r.authority) out.host_redirect = r.authority;
  if (r.uri) out.path_redirect = r.uri;
  else if (r.prefixRewrite !== undefined) out.prefix_rewrite = r.prefixRewrite;
  if (r.scheme) out.scheme_redirect = r.scheme;
  if (r.port) out.port_redirect = r.port;
  return out;
}

function forwardAction(
  scope: ProxyScope,
  route: HttpRoute,
  vs: VirtualService,
  port: number,
): RouteAction {
  const ns = vs.metadata.namespace ?? "default";
  const kind = scope.proxy.kind;
  // Zero-weight destinations are dropped when others remain (Istio does the same).
  const dests = (route.route ?? []).filter((d, _, all) => all.length === 1 || (d.weight ?? 0) > 0);
  const scoped = kind === "sidecar";
  const resolved = dests.map(d => ({
    d,
    ...destinationCluster(scope, d.destination, ns, port, scoped),
  }));
  const action: RouteAction = {};
  if (resolved.length === 1) {
    action.cluster = resolved[0]!.cluster;
  } else {
    action.weighted_clusters = {
      clusters: resolved.map(
        ({
          d,
          cluster,
        }: {
          d: HttpRouteDestination;
          cluster: string;
        }): WeightedCluster_ClusterWeight => ({
          name: cluster,
          weight: { value: d.weight ?? 0 },
          ...headerFields(d.headers),
        }),
      ),
    };
  }
  Object.assign(action, timeoutFields(route.timeout, kind));
  // One destination whose rule hashes consistently: retries stay on the hashed host (istiod's
  // buildHTTPRouteAction: `len(in.Route) == 1` and a consistent hash for it).
  const only = route.route?.length === 1 ? resolved[0] : undefined;
  const consistentHash =
    !!only &&
    effectivePolicy(scope.destinationRule(only.host), only.port, only.d.destination.subset)
      .loadBalancer?.consistentHash !== undefined;
  const retry = retryPolicy(route.retries, kind, consistentHash);
  if (retry) action.retry_policy = retry;
  const rw = route.rewrite;
  if (rw?.uri !== undefined) {
    // Istio writes prefix_rewrite whatever the match; for a regex match Envoy's matched
    // "prefix" is the whole path, so the whole path is replaced.
    action.prefix_rewrite = rw.uri;
  } else if (rw?.uriRegexRewrite) {
    action.regex_rewrite = {
      pattern: { regex: rw.uriRegexRewrite.match ?? "" },
      substitution: rw.uriRegexRewrite.rewrite ?? "",
    };
  }
  if (rw?.authority) action.host_rewrite_literal = rw.authority;
  // The deprecated `mirror_percent` is one proto field with two JSON names; either may be written.
  const mirrorPercent = route.mirrorPercent ?? route.mirror_percent;
  const mirrors = [
    ...(route.mirror
      ? [
          {
            destination: route.mirror,
            percentage:
              route.mirrorPercentage ??
              (mirrorPercent !== undefined ? { value: mirrorPercent } : undefined),
          },
        ]
      : []),
    ...(route.mirrors ?? []),
  ];
  if (mirrors.length > 0) {
    action.request_mirror_policies = mirrors.map(
      (m): RouteAction_RequestMirrorPolicy => ({
        cluster: destinationCluster(scope, m.destination, ns, port, scoped).cluster,
        runtime_fraction: { default_value: fractionalPercent(m.percentage?.value ?? 100) },
      }),
    );
  }
  // Consistent hashing needs the route to say what to hash; Istio takes it from the rule of
  // the destination (only when every destination agrees).
  const policies = resolved.map(r =>
    JSON.stringify(
      hashPolicies(
        effectivePolicy(scope.destinationRule(r.host), r.port, r.d.destination.subset).loadBalancer,
      ) ?? null,
    ),
  );
  if (policies.length > 0 && policies.every(p => p === policies[0]) && policies[0] !== "null")
    action.hash_policy = JSON.parse(policies[0]!) as RouteAction_HashPolicy[];
  return action;
}

/**
 * The Envoy routes of a VirtualService for one service port of this proxy (or one gateway
 * server port, with `boundTo` naming the server's Gateway: see `matchAppliesTo`).
 */
export function virtualServiceRoutes(
  scope: ProxyScope,
  vs: VirtualService,
  port: number,
  boundTo?: (gateway: string) => boolean,
): Route[] {
  const out: Route[] = [];
  const kind = scope.proxy.kind;
  for (const route of vs.spec.http ?? []) {
    // Delegating routes were replaced by their delegate's when the scope was built
    // (delegates.ts); none should reach here, and it has nothing to forward to.
    if (route.delegate) continue;
    const matches = route.match && route.match.length > 0 ? route.match : [undefined];
    for (const m of matches) {
      if (m && !matchAppliesTo(m, scope.proxy, port, boundTo)) continue;
      const envoy: Route = {};
      const name = routeName(route, m?.name);
      if (name) envoy.name = name;
      envoy.match = translateMatch(m);
      if (route.redirect) envoy.redirect = redirectAction(route);
      else if (route.directResponse) {
        envoy.direct_response = {
          status: route.directResponse.status,
          ...(route.directResponse.body?.string !== undefined
            ? { body: { inline_string: route.directResponse.body.string } }
            : route.directResponse.body?.bytes !== undefined
              ? { body: { inline_bytes: route.directResponse.body.bytes } }
              : {}),
        };
      } else {
        envoy.route = forwardAction(scope, route, vs, port);
      }
      Object.assign(envoy, headerFields(route.headers));
      // A single destination's header operations apply to the whole route.
      if (route.route?.length === 1)
        Object.assign(envoy, mergeHeaderFields(envoy, headerFields(route.route[0]!.headers)));
      const perFilter: { [name: string]: AnyMessage } = {};
      const fault = faultConfig(route);
      if (fault) perFilter[FilterNames.fault] = fault;
      // Proxyless gRPC has no CORS filter to configure (see cors.ts).
      if (route.corsPolicy && kind !== "grpc")
        perFilter[FilterNames.cors] = corsPolicyConfig(route.corsPolicy);
      if (Object.keys(perFilter).length > 0) envoy.typed_per_filter_config = perFilter;
      out.push(envoy);
    }
  }
  return out;
}

function mergeHeaderFields(base: HeaderFields, extra: HeaderFields): HeaderFields {
  const join = <T>(a: readonly T[] | undefined, b: readonly T[]) => [...(a ?? []), ...b];
  const out: HeaderFields = {};
  if (extra.request_headers_to_add)
    out.request_headers_to_add = join(base.request_headers_to_add, extra.request_headers_to_add);
  if (extra.request_headers_to_remove)
    out.request_headers_to_remove = join(
      base.request_headers_to_remove,
      extra.request_headers_to_remove,
    );
  if (extra.response_headers_to_add)
    out.response_headers_to_add = join(base.response_headers_to_add, extra.response_headers_to_add);
  if (extra.response_headers_to_remove)
    out.response_headers_to_remove = join(
      base.response_headers_to_remove,
      extra.response_headers_to_remove,
    );
  return out;
}

/** The route of a service port without a VirtualService: everything to `outbound|port||host`. */
export function defaultRoute(scope: ProxyScope, service: ServiceInfo, port: number): Route {
  const action: RouteAction = {
    cluster: clusterName("outbound", port, "", service.hostname),
    ...timeoutFields(undefined, scope.proxy.kind),
    retry_policy: defaultRetryPolicy(scope.proxy.kind),
  };
  const hash = hashPolicies(
    effectivePolicy(scope.destinationRule(service.hostname), port).loadBalancer,
  );
  if (hash) action.hash_policy = hash;
  return { name: "default", match: { prefix: "/" }, route: action };
}
