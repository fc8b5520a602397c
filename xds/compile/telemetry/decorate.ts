/**
 * Adds a proxy's telemetry to its compiled listeners: access logs on every HttpConnectionManager
 * and tcp_proxy, the `istio.stats` filter before the router (HTTP) and before tcp_proxy (TCP),
 * and the HCM tracing block. The side comes from the listener: a sidecar's `virtualInbound`
 * (INBOUND) is SERVER, its outbound listeners and every gateway listener are CLIENT, as Istio's
 * workloadMode does.
 *
 * Proxyless gRPC gets none of it: grpc-js-xds has no access log, no stats filter and no tracer,
 * and refuses a listener naming an HTTP filter it does not know.
 */
import type {
  AccessLog,
  AnyOf,
  HttpConnectionManager_Tracing,
  HttpFilter,
  Listener_Filter,
  FilterChain,
  ListenerResource,
} from "../shared/envoy";
import { FilterNames, Types } from "../shared/xds-util";
import type { ProxyScope } from "../scope";
import { accessLogs, meshAccessLog } from "./access-log";
import { planAccessLogs, planMetrics, planTracing, type Mode } from "./plan";
import { applicableTelemetries } from "./resolve";
import { statsFilter } from "./stats";
import { hcmTracing } from "./tracing";

/** What one side of the proxy gets. */
interface Side {
  readonly accessLogs: readonly AccessLog[];
  /** `istio.stats`: an HTTP filter before the router, a network filter before tcp_proxy. */
  readonly stats?: HttpFilter;
  readonly tracing?: HttpConnectionManager_Tracing;
}

/** The telemetry of a proxy, per side, with the warnings of what was left out. */
export interface ProxyTelemetry {
  readonly client: Side;
  readonly server: Side;
  readonly warnings: readonly string[];
}

/** Resolves and compiles a proxy's telemetry once; undefined for proxyless gRPC. */
export function proxyTelemetry(scope: ProxyScope): ProxyTelemetry | undefined {
  if (scope.proxy.kind === "grpc") return undefined;
  const { mesh, proxy } = scope;
  const telemetries = applicableTelemetries(scope.store, proxy, mesh.rootNamespace);
  const warnings = new Set<string>();
  const warn = (m: string) => warnings.add(m);
  const lookup = (host: string) => scope.service(host) !== undefined;
  const service = `${proxy.labels.app ?? proxy.workloadName}.${proxy.namespace}`;
  const side = (mode: Mode): Side => {
    const logPlan = planAccessLogs(telemetries, mesh, mode);
    const logs =
      logPlan === undefined
        ? mesh.accessLogFile !== ""
          ? [meshAccessLog(mesh)]
          : []
        : accessLogs(logPlan, mesh, lookup, warn);
    const stats = statsFilter(
      planMetrics(telemetries, mesh, mode),
      mesh,
      mode === "SERVER" || proxy.kind === "router",
    );
    const tracingPlan = planTracing(telemetries, mesh, mode);
    const tracing = tracingPlan && hcmTracing(tracingPlan, mesh, lookup, service, warn);
    return {
      accessLogs: logs,
      ...(stats ? { stats } : {}),
      ...(tracing ? { tracing } : {}),
    };
  };
  return { client: side("CLIENT"), server: side("SERVER"), warnings: [...warnings] };
}

function decorateHcm(
  filter: Listener_Filter,
  config: AnyOf<typeof Types.hcm>,
  side: Side,
): Listener_Filter {
  const http = [...(config.http_filters ?? [])];
  const router = http.findIndex(f => f.name === FilterNames.router);
  if (side.stats) http.splice(router < 0 ? http.length : router, 0, side.stats);
  return {
    ...filter,
    typed_config: {
      ...config,
      http_filters: http,
      ...(side.accessLogs.length > 0 ? { access_log: [...side.accessLogs] } : {}),
      ...(side.tracing ? { tracing: side.tracing } : {}),
    },
  };
}

function decorateFilters(filters: readonly Listener_Filter[], side: Side): Listener_Filter[] {
  return filters.flatMap(f => {
    const config = f.typed_config;
    if (config?.["@type"] === Types.hcm) return [decorateHcm(f, config, side)];
    if (config?.["@type"] !== Types.tcpProxy) return [f];
    const withLogs =
      side.accessLogs.length > 0
        ? { ...f, typed_config: { ...config, access_log: [...side.accessLogs] } }
        : f;
    return side.stats ? [side.stats, withLogs] : [withLogs];
  });
}

function decorateChain(chain: FilterChain, side: Side): FilterChain {
  const filters = chain.filters;
  return filters ? { ...chain, filters: decorateFilters(filters, side) } : chain;
}

/** The listeners with the proxy's telemetry added (unchanged for proxyless gRPC). */
export function withTelemetry(
  listeners: readonly ListenerResource[],
  telemetry: ProxyTelemetry | undefined,
): ListenerResource[] {
  if (!telemetry) return [...listeners];
  return listeners.map((l): ListenerResource => {
    const side = l.traffic_direction === "INBOUND" ? telemetry.server : telemetry.client;
    const chains = l.filter_chains?.map(c => decorateChain(c, side));
    const fallback = l.default_filter_chain;
    return {
      ...l,
      ...(chains ? { filter_chains: chains } : {}),
      ...(fallback ? { default_filter_chain: decorateChain(fallback, side) } : {}),
    };
  });
}
