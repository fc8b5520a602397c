/**
 * Envoy access logs for Telemetry `accessLogging` and the mesh config's `accessLogFile`: the file
 * logger (`envoyFileAccessLog`, Istio's default text and JSON formats) and the OpenTelemetry
 * logger (`envoyOtelAls`), each with the Telemetry's CEL filter.
 *
 * @see istio/istio pilot/pkg/model/telemetry_logging.go
 * @see https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage
 */
import type { MeshConfig } from "../../../mesh/meshconfig/mesh-config";
import type { LogFormat, TelemetryProvider } from "../../../mesh/meshconfig/telemetry-providers";
import type { LogPlan } from "./plan";
import { collectorCluster, type ServiceLookup } from "./collector";
import type {
  AccessLog,
  AccessLogFilter,
  Struct,
  SubstitutionFormatString,
  Value,
} from "../shared/envoy";

const T = "type.googleapis.com/";

/** Istio's default text access log line (Envoy command operators). */
export const ISTIO_TEXT_LOG_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" ' +
  "%RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% " +
  '"%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% ' +
  '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" ' +
  '"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% ' +
  "%UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% " +
  "%REQUESTED_SERVER_NAME% %ROUTE_NAME%\n";

/** Istio's default JSON access log labels. */
export const ISTIO_JSON_LOG_FORMAT: Readonly<Record<string, string>> = {
  start_time: "%START_TIME%",
  route_name: "%ROUTE_NAME%",
  method: "%REQ(:METHOD)%",
  path: "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
  protocol: "%PROTOCOL%",
  response_code: "%RESPONSE_CODE%",
  response_flags: "%RESPONSE_FLAGS%",
  response_code_details: "%RESPONSE_CODE_DETAILS%",
  connection_termination_details: "%CONNECTION_TERMINATION_DETAILS%",
  bytes_received: "%BYTES_RECEIVED%",
  bytes_sent: "%BYTES_SENT%",
  duration: "%DURATION%",
  upstream_service_time: "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%",
  x_forwarded_for: "%REQ(X-FORWARDED-FOR)%",
  user_agent: "%REQ(USER-AGENT)%",
  request_id: "%REQ(X-REQUEST-ID)%",
  authority: "%REQ(:AUTHORITY)%",
  upstream_host: "%UPSTREAM_HOST%",
  upstream_cluster: "%UPSTREAM_CLUSTER_RAW%",
  upstream_local_address: "%UPSTREAM_LOCAL_ADDRESS%",
  downstream_local_address: "%DOWNSTREAM_LOCAL_ADDRESS%",
  downstream_remote_address: "%DOWNSTREAM_REMOTE_ADDRESS%",
  requested_server_name: "%REQUESTED_SERVER_NAME%",
  upstream_transport_failure_reason: "%UPSTREAM_TRANSPORT_FAILURE_REASON%",
};

/** A JSON value as `google.protobuf.Value` object form. */
function protoValue(v: unknown): Value {
  if (typeof v === "string") return { string_value: v };
  if (typeof v === "number") return { number_value: v };
  if (typeof v === "boolean") return { bool_value: v };
  if (Array.isArray(v)) return { list_value: { values: v.map(protoValue) } };
  if (v && typeof v === "object")
    return { struct_value: protoStruct(v as Readonly<Record<string, unknown>>) };
  return { null_value: "NULL_VALUE" };
}

function protoStruct(o: Readonly<Record<string, unknown>>): Struct {
  return { fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, protoValue(v)])) };
}

const lineOf = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);

function textFormat(text: string | undefined): SubstitutionFormatString {
  return { text_format_source: { inline_string: text ? lineOf(text) : ISTIO_TEXT_LOG_FORMAT } };
}

function jsonFormat(
  labels: Readonly<Record<string, unknown>> | undefined,
): SubstitutionFormatString {
  const fields = labels && Object.keys(labels).length > 0 ? labels : ISTIO_JSON_LOG_FORMAT;
  return { json_format: protoStruct(fields), json_format_options: { sort_properties: false } };
}

/** The file access log of `path` in a format. */
export function fileAccessLog(path: string, format: SubstitutionFormatString): AccessLog {
  return {
    name: "envoy.access_loggers.file",
    typed_config: {
      "@type": `${T}envoy.extensions.access_loggers.file.v3.FileAccessLog`,
      path,
      log_format: format,
    },
  };
}

/**
 * The mesh config's access log (`accessLogFile` with `accessLogFormat` and `accessLogEncoding`);
 * an unparseable JSON format falls back to Istio's labels, as Istio does.
 */
export function meshAccessLog(mesh: MeshConfig, path = mesh.accessLogFile): AccessLog {
  if (mesh.accessLogEncoding === "TEXT")
    return fileAccessLog(path, textFormat(mesh.accessLogFormat));
  let labels: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = mesh.accessLogFormat ? JSON.parse(mesh.accessLogFormat) : undefined;
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
      labels = parsed as Record<string, unknown>;
  } catch {
    labels = undefined;
  }
  return fileAccessLog(path, jsonFormat(labels));
}

function formatOf(f: LogFormat | undefined): SubstitutionFormatString {
  return f?.labels ? jsonFormat(f.labels) : textFormat(f?.text);
}

function otelAccessLog(
  p: Extract<TelemetryProvider, { kind: "envoyOtelAls" }>,
  lookup: ServiceLookup,
): AccessLog | string {
  const c = collectorCluster(p, lookup);
  if (typeof c === "string") return c;
  return {
    name: "envoy.access_loggers.open_telemetry",
    typed_config: {
      "@type": `${T}envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig`,
      common_config: {
        log_name: p.logName ?? "otel_envoy_accesslog",
        grpc_service: { envoy_grpc: { cluster_name: c.cluster, authority: c.host } },
        transport_api_version: "V3",
        filter_state_objects_to_log: ["upstream_peer", "downstream_peer"],
      },
      body: { string_value: p.logFormat?.text ? lineOf(p.logFormat.text) : ISTIO_TEXT_LOG_FORMAT },
      ...(p.logFormat?.labels
        ? {
            attributes: {
              values: Object.entries(p.logFormat.labels).map(([key, v]) => ({
                key,
                value: { string_value: String(v) },
              })),
            },
          }
        : {}),
    },
  };
}

/** Envoy's CEL access log filter. */
function celFilter(expression: string): AccessLogFilter {
  return {
    extension_filter: {
      name: "envoy.access_loggers.extension_filters.cel",
      typed_config: {
        "@type": `${T}envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter`,
        expression,
      },
    },
  };
}

/**
 * The AccessLog entries of a plan. Providers that are not declared, or not access log kinds, or
 * whose collector service is unknown, are left out with a warning.
 */
export function accessLogs(
  plan: readonly LogPlan[],
  mesh: MeshConfig,
  lookup: ServiceLookup,
  warn: (message: string) => void,
): AccessLog[] {
  const out: AccessLog[] = [];
  for (const { provider, filter } of plan) {
    const p = mesh.telemetryProviders.find(x => x.name === provider);
    let log: AccessLog | string;
    if (!p) log = `access log provider "${provider}" is not declared in the mesh config`;
    else if (p.kind === "envoyFileAccessLog")
      // The built-in `envoy` provider without a format uses the mesh config's format.
      log =
        p.name === "envoy" && !p.logFormat
          ? meshAccessLog(mesh, p.path)
          : fileAccessLog(p.path, formatOf(p.logFormat));
    else if (p.kind === "envoyOtelAls") log = otelAccessLog(p, lookup);
    else log = `provider "${provider}" (${p.kind}) writes no access logs`;
    if (typeof log === "string") warn(log);
    else out.push(filter !== undefined ? { ...log, filter: celFilter(filter) } : log);
  }
  return out;
}
