/**
 * The effective ProxyConfig of a pod: the mesh's `defaultConfig` with the pod's
 * `proxy.istio.io/config` annotation applied over it, and its `PROXY_CONFIG` rendering.
 * Merge rules from `mesh.MergeProxyConfig` (proxyMetadata is merged key by key, other fields are
 * replaced) and rendering from `cleanProxyConfig` + protojson, both in
 * https://github.com/istio/istio/blob/master/pkg/config/mesh/mesh.go and
 * https://github.com/istio/istio/blob/master/pkg/kube/inject/template.go
 */
import { parse as parseYaml } from "yaml";
import { ISTIO_PROXY_CONFIG_DEFAULTS, type ProxyConfig } from "./settings";

/**
 * ProxyConfig's fields in proto declaration order (mesh/v1alpha1/proxy.proto), which is the order
 * protojson writes them in; the value says how protojson treats a zero value.
 */
const FIELDS: ReadonlyArray<readonly [string, "scalar" | "wrapper" | "message"]> = [
  ["configPath", "scalar"],
  ["binaryPath", "scalar"],
  ["serviceCluster", "scalar"],
  ["tracingServiceName", "scalar"],
  ["drainDuration", "message"],
  ["discoveryAddress", "scalar"],
  ["discoveryRefreshDelay", "message"],
  ["zipkinAddress", "scalar"],
  ["statsdUdpAddress", "scalar"],
  ["envoyMetricsServiceAddress", "scalar"],
  ["proxyAdminPort", "scalar"],
  ["availabilityZone", "scalar"],
  ["controlPlaneAuthPolicy", "scalar"],
  ["customConfigFile", "scalar"],
  ["statNameLength", "scalar"],
  ["concurrency", "wrapper"],
  ["proxyBootstrapTemplatePath", "scalar"],
  ["interceptionMode", "scalar"],
  ["tracing", "message"],
  ["sds", "message"],
  ["envoyAccessLogService", "message"],
  ["envoyMetricsService", "message"],
  ["proxyMetadata", "scalar"],
  ["runtimeValues", "scalar"],
  ["statusPort", "scalar"],
  ["extraStatTags", "scalar"],
  ["gatewayTopology", "message"],
  ["terminationDrainDuration", "message"],
  ["meshId", "scalar"],
  ["readinessProbe", "message"],
  ["proxyStatsMatcher", "message"],
  ["holdApplicationUntilProxyStarts", "wrapper"],
  ["caCertificatesPem", "scalar"],
  ["image", "message"],
  ["privateKeyProvider", "message"],
  ["proxyHeaders", "message"],
  ["fileFlushInterval", "message"],
  ["fileFlushMinSizeKb", "scalar"],
  ["statsCompression", "wrapper"],
  ["connectionSettings", "message"],
];
const KNOWN = new Set(FIELDS.map(([name]) => name));
const DURATIONS = new Set([
  "drainDuration",
  "terminationDrainDuration",
  "discoveryRefreshDelay",
  "fileFlushInterval",
]);
const INTS = new Set(["proxyAdminPort", "statNameLength", "statusPort", "fileFlushMinSizeKb"]);
const STRINGS = new Set([
  "configPath",
  "binaryPath",
  "serviceCluster",
  "discoveryAddress",
  "statsdUdpAddress",
  "customConfigFile",
  "proxyBootstrapTemplatePath",
  "meshId",
]);
const ENUMS: Record<string, readonly string[]> = {
  interceptionMode: ["REDIRECT", "TPROXY", "NONE"],
  controlPlaneAuthPolicy: ["NONE", "MUTUAL_TLS", "INHERIT"],
};

/** snake_case proto names are accepted as well as their JSON names, as protojson does. */
function camel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** A protobuf Duration in JSON form (`"23s"`, `"0.5s"`), as seconds, or undefined. */
function durationSeconds(v: unknown): number | undefined {
  if (typeof v !== "string" || !/^-?[0-9]+(\.[0-9]{1,9})?s$/.test(v)) return undefined;
  return Number(v.slice(0, -1));
}

/** protojson's rendering of a Duration: 0, 3, 6 or 9 fractional digits. */
function formatDuration(v: string): string {
  const [whole = "0", frac = ""] = v.slice(0, -1).split(".");
  const digits = frac.replace(/0+$/, "");
  if (digits === "") return `${whole}s`;
  const width = digits.length <= 3 ? 3 : digits.length <= 6 ? 6 : 9;
  return `${whole}.${digits.padEnd(width, "0")}s`;
}

/**
 * Parses the `proxy.istio.io/config` annotation (YAML or JSON) into ProxyConfig fields, or says
 * why it cannot be applied.
 */
export function parseProxyConfigAnnotation(text: string): ProxyConfig | string {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    return `failed to convert to apply proxy config: ${(e as Error).message.split("\n")[0]}`;
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    return "failed to convert to apply proxy config: the value is not a ProxyConfig object";
  }
  const out: ProxyConfig = {};
  for (const [rawKey, value] of Object.entries(doc as Record<string, unknown>)) {
    const key = camel(rawKey);
    const bad = fieldError(key, value);
    if (bad) return `failed to convert to apply proxy config: ${bad}`;
    // Unknown fields are ignored, as Istio retries with AllowUnknownFields.
    if (KNOWN.has(key)) out[key] = value;
  }
  return out;
}

function fieldError(key: string, value: unknown): string | undefined {
  if (value === null) return undefined;
  if (DURATIONS.has(key) && durationSeconds(value) === undefined) {
    return `bad Duration for field ${key}: ${JSON.stringify(value)}`;
  }
  if (INTS.has(key) && !Number.isInteger(value)) {
    return `bad value for integer field ${key}: ${JSON.stringify(value)}`;
  }
  if (STRINGS.has(key) && typeof value !== "string") {
    return `bad value for string field ${key}: ${JSON.stringify(value)}`;
  }
  const allowed = ENUMS[key];
  if (allowed && !allowed.includes(String(value))) {
    return `unknown value ${JSON.stringify(value)} for enum field ${key}`;
  }
  if (key === "concurrency" && !Number.isInteger(value)) {
    return `bad value for Int32Value field concurrency: ${JSON.stringify(value)}`;
  }
  if (key === "holdApplicationUntilProxyStarts" && typeof value !== "boolean") {
    return `bad value for BoolValue field holdApplicationUntilProxyStarts: ${JSON.stringify(value)}`;
  }
  if (key === "proxyMetadata") {
    if (typeof value !== "object" || Array.isArray(value)) return "proxyMetadata must be a map";
    if (Object.values(value as object).some(v => typeof v !== "string")) {
      return "proxyMetadata values must be strings";
    }
  }
  return undefined;
}

/** A `host:port` proxy address (ValidateProxyAddress): a host and a port in 1..65535. */
function addressError(address: string): string | undefined {
  const i = address.lastIndexOf(":");
  if (i <= 0) return `invalid discovery address: missing port in address ${address}`;
  const port = address.slice(i + 1);
  if (!/^[0-9]+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    return `invalid discovery address: port number ${port} must be in the range 1..65535`;
  }
  return undefined;
}

/**
 * Istio's `validateProxyConfig` for the annotation: it must parse and, applied over the default
 * ProxyConfig, pass the proxy-config checks the injector relies on.
 */
export function validateProxyConfigAnnotation(text: string): string | undefined {
  const parsed = parseProxyConfigAnnotation(text);
  if (typeof parsed === "string") return parsed;
  const merged = { ...ISTIO_PROXY_CONFIG_DEFAULTS, ...parsed } as Record<string, unknown>;
  const errors: string[] = [];
  for (const key of ["configPath", "binaryPath"]) {
    if (!merged[key]) errors.push(`${key === "configPath" ? "config" : "binary"} path must be set`);
  }
  const drain = durationSeconds(merged.drainDuration);
  if (drain !== undefined && (drain < 0.001 || drain > 3600)) {
    errors.push("drain time must be between 1ms and 1h");
  }
  const address = merged.discoveryAddress;
  if (typeof address !== "string" || address === "") {
    errors.push("discovery address must be set to the proxy discovery service");
  } else {
    const bad = addressError(address);
    if (bad) errors.push(bad);
  }
  return errors.length ? errors.join("; ") : undefined;
}

/** The mesh's default ProxyConfig with a pod's annotation applied (`mesh.MergeProxyConfig`). */
export function mergeProxyConfig(base: ProxyConfig, annotation: ProxyConfig): ProxyConfig {
  const out: ProxyConfig = { ...base, ...annotation };
  if (base.proxyMetadata || annotation.proxyMetadata) {
    out.proxyMetadata = { ...base.proxyMetadata, ...annotation.proxyMetadata };
  }
  for (const [k, v] of Object.entries(out)) if (v === null) delete out[k];
  return out;
}

/**
 * The `PROXY_CONFIG` value: the effective ProxyConfig as protojson writes it, minus the fields
 * equal to the agent's own defaults (so pods stay small), plus a trailing newline.
 */
export function renderProxyConfig(pc: ProxyConfig): string {
  const d = ISTIO_PROXY_CONFIG_DEFAULTS as Record<string, unknown>;
  const parts: string[] = [];
  for (const [key, kind] of FIELDS) {
    let v = pc[key];
    if (v === undefined || v === null) continue;
    if (
      key in d &&
      (v === d[key] || (DURATIONS.has(key) && formatDuration(String(v)) === d[key]))
    ) {
      continue;
    }
    if (kind === "scalar") {
      if (v === "" || v === 0 || v === false) continue;
      if (key === "interceptionMode" && v === "REDIRECT") continue;
      if (Array.isArray(v) && v.length === 0) continue;
      if (typeof v === "object" && !Array.isArray(v)) {
        if (Object.keys(v).length === 0) continue;
        v = Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      }
    }
    if (DURATIONS.has(key)) v = formatDuration(String(v));
    parts.push(`${JSON.stringify(key)}:${JSON.stringify(v)}`);
  }
  return `{${parts.join(",")}}\n`;
}
