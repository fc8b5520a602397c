/**
 * The HttpConnectionManager `tracing` block for Telemetry tracing: the zipkin, opentelemetry and
 * datadog tracers, random sampling, custom tags; with `disableSpanReporting` the sampling
 * decision and context propagation stay but no tracer reports spans (no provider).
 *
 * @see istio/istio pilot/pkg/networking/core/tracing.go
 */
import type { MeshConfig } from "../../../mesh/meshconfig/mesh-config";
import { collectorCluster, type ServiceLookup } from "./collector";
import type { TracingPlan } from "./plan";
import type { CustomTag, HttpConnectionManager_Tracing, Tracing_Http } from "../shared/envoy";

const T = "type.googleapis.com/envoy.config.trace.v3.";

function customTags(plan: TracingPlan): CustomTag[] {
  return Object.entries(plan.customTags)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([tag, t]) => {
      if (t.literal) return { tag, literal: { value: t.literal.value } };
      if (t.environment)
        return {
          tag,
          environment: {
            name: t.environment.name,
            default_value: t.environment.defaultValue ?? "",
          },
        };
      if (t.header)
        return {
          tag,
          request_header: { name: t.header.name, default_value: t.header.defaultValue ?? "" },
        };
      return undefined;
    })
    .filter((t): t is NonNullable<typeof t> => t !== undefined);
}

/** The tracer (`provider`) of a named extension provider, or why there is none. */
function tracer(
  name: string,
  mesh: MeshConfig,
  lookup: ServiceLookup,
  service: string,
): Tracing_Http | string {
  const p = mesh.telemetryProviders.find(x => x.name === name);
  if (!p) return `tracing provider "${name}" is not declared in the mesh config`;
  if (p.kind !== "zipkin" && p.kind !== "opentelemetry" && p.kind !== "datadog")
    return `provider "${name}" (${p.kind}) is not a tracer`;
  const c = collectorCluster(p, lookup);
  if (typeof c === "string") return c;
  switch (p.kind) {
    case "zipkin":
      return {
        name: "envoy.tracers.zipkin",
        typed_config: {
          "@type": `${T}ZipkinConfig`,
          collector_cluster: c.cluster,
          collector_endpoint: p.path ?? "/api/v2/spans",
          collector_endpoint_version: "HTTP_JSON",
          trace_id_128bit: !p.enable64bitTraceId,
          shared_span_context: { value: false },
          collector_hostname: c.host,
        },
      };
    case "datadog":
      return {
        name: "envoy.tracers.datadog",
        typed_config: {
          "@type": `${T}DatadogConfig`,
          collector_cluster: c.cluster,
          service_name: service,
          collector_hostname: c.host,
        },
      };
    default:
      return {
        name: "envoy.tracers.opentelemetry",
        typed_config: {
          "@type": `${T}OpenTelemetryConfig`,
          grpc_service: { envoy_grpc: { cluster_name: c.cluster, authority: c.host } },
          service_name: service,
        },
      };
  }
}

/**
 * The HCM tracing config of a plan. `service` names the workload in spans (`app.namespace`).
 * Undefined, with a warning, when the provider cannot be compiled.
 */
export function hcmTracing(
  plan: TracingPlan,
  mesh: MeshConfig,
  lookup: ServiceLookup,
  service: string,
  warn: (message: string) => void,
): HttpConnectionManager_Tracing | undefined {
  const sampling = {
    client_sampling: { value: 100 },
    random_sampling: { value: plan.randomSamplingPercentage },
    overall_sampling: { value: 100 },
  };
  const tags = customTags(plan);
  const base = { ...sampling, ...(tags.length > 0 ? { custom_tags: tags } : {}) };
  if (plan.disableSpanReporting || plan.provider === undefined) return base;
  const provider = tracer(plan.provider, mesh, lookup, service);
  if (typeof provider === "string") {
    warn(provider);
    return undefined;
  }
  return { ...base, provider };
}
