/**
 * proxyv2's `istio.stats` filter, which produces Istio's standard metrics (`istio_requests_total`,
 * `istio_request_duration_milliseconds`, `istio_request_bytes`, `istio_response_bytes`,
 * `istio_tcp_*`): an HTTP filter in every HttpConnectionManager and a network filter before
 * every tcp_proxy, configured by `stats.PluginConfig`. Only the `prometheus` provider kind has
 * it, as in Istio (buildHTTPTelemetryFilter / generateStatsConfig).
 *
 * @see istio/istio pilot/pkg/model/telemetry.go
 */
import type { MeshConfig } from "../../../mesh/meshconfig/mesh-config";
import { protoDuration } from "../shared/xds-util";
import type { MetricsPlan } from "./plan";
import type { HttpFilter, MetricConfig } from "../shared/envoy";

/** The filter's name, as a network and as an HTTP filter. */
export const STATS_FILTER_NAME = "istio.stats";
/** The type URL of its config. */
export const STATS_CONFIG_TYPE = "type.googleapis.com/stats.PluginConfig";

/** Telemetry's metric names → the Prometheus metric each configures. */
const PROMETHEUS_NAMES: Readonly<Record<string, string>> = {
  REQUEST_COUNT: "requests_total",
  REQUEST_DURATION: "request_duration_milliseconds",
  REQUEST_SIZE: "request_bytes",
  RESPONSE_SIZE: "response_bytes",
  TCP_OPENED_CONNECTIONS: "tcp_connections_opened_total",
  TCP_CLOSED_CONNECTIONS: "tcp_connections_closed_total",
  TCP_SENT_BYTES: "tcp_sent_bytes_total",
  TCP_RECEIVED_BYTES: "tcp_received_bytes_total",
  GRPC_REQUEST_MESSAGES: "request_messages_total",
  GRPC_RESPONSE_MESSAGES: "response_messages_total",
};

/**
 * The `istio.stats` filter of one side, or undefined when no prometheus provider is in force
 * or metrics are disabled there. `inboundOrGateway`: the request's host header is not used as
 * the destination service (Istio's disableHostHeaderFallback for inbound and gateways).
 */
export function statsFilter(
  plan: MetricsPlan,
  mesh: MeshConfig,
  inboundOrGateway: boolean,
): HttpFilter | undefined {
  const prometheus = plan.providers.some(
    n => mesh.telemetryProviders.find(p => p.name === n)?.kind === "prometheus",
  );
  if (!prometheus || plan.disabled) return undefined;
  const interval = protoDuration(plan.reportingInterval);
  const metrics = plan.overrides.map((o): MetricConfig => {
    const dimensions = Object.fromEntries(
      o.tags.filter(t => !t.remove).map(t => [t.name, t.value ?? ""]),
    );
    const remove = o.tags.filter(t => t.remove).map(t => t.name);
    return {
      name: PROMETHEUS_NAMES[o.name] ?? o.name,
      ...(Object.keys(dimensions).length > 0 ? { dimensions } : {}),
      ...(remove.length > 0 ? { tags_to_remove: remove } : {}),
      ...(o.disabled ? { drop: true } : {}),
    };
  });
  return {
    name: STATS_FILTER_NAME,
    typed_config: {
      "@type": STATS_CONFIG_TYPE,
      ...(inboundOrGateway ? { disable_host_header_fallback: true } : {}),
      ...(interval ? { tcp_reporting_duration: interval } : {}),
      ...(metrics.length > 0 ? { metrics } : {}),
    },
  };
}
