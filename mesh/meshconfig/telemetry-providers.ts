/**
 * The MeshConfig extension providers that Telemetry resources name and Rigging compiles:
 * `prometheus` (the `istio.stats` filter), `envoyFileAccessLog` and `envoyOtelAls` (access logs),
 * `zipkin`, `opentelemetry` and `datadog` (HCM tracing); plus the mesh-wide access log settings
 * (`accessLogFile`, `accessLogFormat`, `accessLogEncoding`) and `defaultProviders`.
 *
 * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-ExtensionProvider
 */
import { at } from "../validation/diagnostic";
import { NOT_ACTED_ON, shown, type Findings } from "./findings";
import { fieldsOf, readMapping, readString, readStringList, readUint32 } from "./read-values";

/** An access log format: a text line (`%…%` operators) or JSON labels. */
export interface LogFormat {
  readonly text?: string;
  readonly labels?: Readonly<Record<string, unknown>>;
}

/** A collector service: `<namespace>/<hostname>` or a hostname, and its port. */
export interface CollectorService {
  readonly service: string;
  readonly port: number;
}

/** A provider that Telemetry can name and Rigging compiles. */
export type TelemetryProvider =
  | { readonly name: string; readonly kind: "prometheus" }
  | {
      readonly name: string;
      readonly kind: "envoyFileAccessLog";
      readonly path: string;
      readonly logFormat?: LogFormat;
    }
  | ({
      readonly name: string;
      readonly kind: "envoyOtelAls";
      readonly logName?: string;
      readonly logFormat?: LogFormat;
    } & CollectorService)
  | ({
      readonly name: string;
      readonly kind: "zipkin";
      readonly path?: string;
      readonly maxTagLength?: number;
      readonly enable64bitTraceId?: boolean;
    } & CollectorService)
  | ({ readonly name: string; readonly kind: "opentelemetry" | "datadog" } & CollectorService);

/** The provider kinds read here (the rest are kept by name only). */
export const TELEMETRY_PROVIDER_KINDS = [
  "prometheus",
  "envoyFileAccessLog",
  "envoyOtelAls",
  "zipkin",
  "opentelemetry",
  "datadog",
] as const;

/** One of {@link TELEMETRY_PROVIDER_KINDS}. */
export type TelemetryProviderKind = (typeof TELEMETRY_PROVIDER_KINDS)[number];

/** `defaultProviders`: providers used when no Telemetry names any. */
export interface DefaultProviders {
  readonly metrics: readonly string[];
  readonly tracing: readonly string[];
  readonly accessLogging: readonly string[];
}

// Fields each kind reads; the proto's other fields are accepted and noted as not acted on.
const READ: Record<TelemetryProviderKind, readonly string[]> = {
  prometheus: [],
  envoyFileAccessLog: ["path", "logFormat"],
  envoyOtelAls: ["service", "port", "logName", "logFormat"],
  zipkin: ["service", "port", "path", "maxTagLength", "enable64bitTraceId"],
  opentelemetry: ["service", "port"],
  datadog: ["service", "port"],
};

function readLogFormat(findings: Findings, path: string, value: unknown): LogFormat | undefined {
  const mapping = readMapping(findings, path, value);
  if (!mapping) return undefined;
  const fields = fieldsOf(findings, path, mapping, ["text", "labels"], p =>
    findings.error(p, "unknown field of a log format (text or labels)"),
  );
  const text = fields.get("text");
  const labels = fields.get("labels");
  if (text && labels) findings.error(path, "must set only one of text or labels");
  return {
    ...(text ? { text: readString(findings, text.path, text.value) } : {}),
    ...(labels ? { labels: readMapping(findings, labels.path, labels.value) } : {}),
  };
}

function readCollector(
  findings: Findings,
  path: string,
  fields: ReadonlyMap<string, { path: string; value: unknown }>,
): CollectorService | undefined {
  const service = fields.get("service");
  const port = fields.get("port");
  const s = service ? readString(findings, service.path, service.value) : undefined;
  if (!s) findings.error(at(path, "service"), "must name the collector service");
  const p = port ? readUint32(findings, port.path, port.value) : undefined;
  if (p === undefined || p < 1 || p > 65535)
    findings.error(at(path, "port"), `must be a port number 1-65535, got ${shown(port?.value)}`);
  return s && p !== undefined && p >= 1 && p <= 65535 ? { service: s, port: p } : undefined;
}

/** Reads one telemetry provider body; undefined (with errors in `findings`) when unusable. */
export function readTelemetryProvider(
  findings: Findings,
  path: string,
  name: string,
  kind: TelemetryProviderKind,
  value: unknown,
): TelemetryProvider | undefined {
  const mapping = value === null ? {} : readMapping(findings, path, value);
  if (!mapping) return undefined;
  const fields = fieldsOf(findings, path, mapping, READ[kind], p => findings.note(p, NOT_ACTED_ON));
  const get = (key: string) => fields.get(key);
  const str = (key: string) => {
    const f = get(key);
    return f ? readString(findings, f.path, f.value) : undefined;
  };
  const format = get("logFormat");
  const logFormat = format ? readLogFormat(findings, format.path, format.value) : undefined;
  switch (kind) {
    case "prometheus":
      return { name, kind };
    case "envoyFileAccessLog":
      return {
        name,
        kind,
        path: str("path") || "/dev/stdout",
        ...(logFormat ? { logFormat } : {}),
      };
    case "envoyOtelAls": {
      const c = readCollector(findings, path, fields);
      const logName = str("logName");
      return (
        c && {
          name,
          kind,
          ...c,
          ...(logName ? { logName } : {}),
          ...(logFormat ? { logFormat } : {}),
        }
      );
    }
    case "zipkin": {
      const c = readCollector(findings, path, fields);
      const tagLength = get("maxTagLength");
      const maxTagLength = tagLength
        ? readUint32(findings, tagLength.path, tagLength.value)
        : undefined;
      const bit64 = get("enable64bitTraceId")?.value;
      const zipkinPath = str("path");
      return (
        c && {
          name,
          kind,
          ...c,
          ...(zipkinPath ? { path: zipkinPath } : {}),
          ...(maxTagLength !== undefined ? { maxTagLength } : {}),
          ...(bit64 === true ? { enable64bitTraceId: true } : {}),
        }
      );
    }
    default: {
      const c = readCollector(findings, path, fields);
      return c && { name, kind, ...c };
    }
  }
}

/** Reads `defaultProviders` (`metrics`, `tracing`, `accessLogging` lists of provider names). */
export function readDefaultProviders(
  findings: Findings,
  path: string,
  value: unknown,
): DefaultProviders | undefined {
  const mapping = readMapping(findings, path, value);
  if (!mapping) return undefined;
  const keys = ["metrics", "tracing", "accessLogging"];
  const fields = fieldsOf(findings, path, mapping, keys, p =>
    findings.error(p, `unknown field of defaultProviders (${keys.join(", ")})`),
  );
  const list = (key: string) => {
    const f = fields.get(key);
    return (f ? readStringList(findings, f.path, f.value) : undefined) ?? [];
  };
  return {
    metrics: list("metrics"),
    tracing: list("tracing"),
    accessLogging: list("accessLogging"),
  };
}
