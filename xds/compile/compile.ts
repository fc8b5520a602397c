/**
 * The compiler's entry point: a store snapshot and a proxy in, that proxy's xDS resources out
 * (Listeners, RouteConfigurations, Clusters, ClusterLoadAssignments, Secrets), in protobufjs object
 * form ready for `xds/cache` to encode and check. Pure: same inputs, same output.
 */
import type { ResourceObject } from "../encode/encode-resource";
import type {
  ClusterResource,
  EndpointResource,
  ListenerResource,
  RouteResource,
  SecretResource,
} from "./shared/envoy";
import type { MeshStore } from "../../mesh/store";
import { buildClusters, outboundClusters } from "./clusters/clusters";
import { buildLoadAssignment } from "./clusters/endpoints";
import { compileGateway, gatewayOutboundClusters } from "./gateway/gateway";
import { buildListenerSet } from "./listeners/listeners";
import { parseProxy, type NodeDescription, type Proxy } from "./proxy";
import { buildRoutes } from "./routes/routes";
import { buildScope, type MeshOptions, type ProxyScope } from "./scope";
import { proxyTelemetry, withTelemetry } from "./telemetry/decorate";
import { upstreamTlsWarnings } from "./clusters/upstream-tls-plan";

/** A proxy's resources, by xDS type. */
export interface CompiledResources {
  readonly listeners: readonly ListenerResource[];
  readonly routes: readonly RouteResource[];
  readonly clusters: readonly ClusterResource[];
  readonly endpoints: readonly EndpointResource[];
  /** SDS Secrets served over ADS (a gateway's `credentialName` certificates). */
  readonly secrets: readonly SecretResource[];
  /**
   * What was left out and why (e.g. a gateway server whose Secret is missing), for the
   * runtime to log; the resources above are complete and consistent without it.
   */
  readonly warnings: readonly string[];
}

/** Compilation outcome; errors only for a node that cannot be understood. */
export type CompileResult =
  | { readonly ok: true; readonly value: CompiledResources }
  | { readonly ok: false; readonly errors: readonly string[] };

function toProxy(node: NodeDescription | Proxy): CompileResult | Proxy {
  if ("kind" in node) return node;
  const parsed = parseProxy(node);
  return parsed.ok ? parsed.value : parsed;
}

/** ClusterLoadAssignments of every EDS cluster: all an endpoint-only change needs to redo. */
export function compileEndpoints(scope: ProxyScope): EndpointResource[] {
  const clusters =
    scope.proxy.kind === "router" ? gatewayOutboundClusters(scope) : outboundClusters(scope);
  return clusters.filter(c => c.eds).map(c => buildLoadAssignment(scope, c));
}

/** Compiles every resource for one proxy. */
export function compile(
  store: MeshStore,
  node: NodeDescription | Proxy,
  options: MeshOptions = {},
): CompileResult {
  const proxy = toProxy(node);
  if ("ok" in proxy) return proxy;
  const scope = buildScope(store, proxy, options);
  // Access logs, istio.stats and tracing, resolved from Telemetry once for the whole proxy.
  const telemetry = proxyTelemetry(scope);
  const telemetryWarnings = telemetry?.warnings.map(w => `Telemetry: ${w}`) ?? [];
  // Gateways (router) are built from Gateway servers, not from the services they can reach.
  if (proxy.kind === "router") {
    const gateway = compileGateway(scope);
    return {
      ok: true,
      value: {
        ...gateway,
        listeners: withTelemetry(gateway.listeners, telemetry),
        warnings: [...scope.warnings, ...gateway.warnings, ...telemetryWarnings],
      },
    };
  }
  const listeners = buildListenerSet(scope);
  return {
    ok: true,
    value: {
      listeners: withTelemetry(listeners.listeners, telemetry),
      routes: buildRoutes(scope),
      clusters: buildClusters(scope),
      endpoints: compileEndpoints(scope),
      secrets: [],
      warnings: [
        ...scope.warnings,
        ...listeners.warnings,
        ...upstreamTlsWarnings(outboundClusters(scope)),
        ...telemetryWarnings,
      ],
    },
  };
}

/** All resources of a compile result in one list (what `createSnapshot` takes). */
export function allResources(r: CompiledResources): ResourceObject[] {
  return [...r.clusters, ...r.endpoints, ...r.listeners, ...r.routes, ...r.secrets];
}
