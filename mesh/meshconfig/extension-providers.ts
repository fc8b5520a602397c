/**
 * MeshConfig `extensionProviders`: each entry has a unique, non-empty name and exactly one
 * provider kind. The ext_authz kinds are acted on (CUSTOM authorization), and the telemetry
 * kinds of telemetry-providers.ts (Telemetry); the others (lightstep, stackdriver, skywalking,
 * gRPC access log services, SDS) are kept by name only, so names stay unique and a CUSTOM
 * policy naming one gets a clear "not an ext_authz provider" error when it is compiled.
 *
 * Rules: Istio's validateExtensionProvider (pkg/config/validation/agent/extensionprovider.go).
 */
import { at, idx } from "../validation/diagnostic";
import {
  compileRefusals,
  EXT_AUTHZ_KINDS,
  readExtAuthzProvider,
  type ExtAuthzKind,
} from "./ext-authz-provider";
import { EXT_AUTHZ_PROVIDER_NAME, type ExtensionProvider } from "./ext-authz";
import { didYouMean } from "./field-names";
import { NOT_ACTED_ON, shown, type Findings } from "./findings";
import { fieldsOf, readMapping, readString } from "./read-values";
import {
  readTelemetryProvider,
  TELEMETRY_PROVIDER_KINDS,
  type TelemetryProvider,
  type TelemetryProviderKind,
} from "./telemetry-providers";

/** Provider kinds Rigging accepts but does not act on (the rest of the proto's `oneof provider`). */
const OTHER_KINDS = [
  "zipkin",
  "lightstep",
  "datadog",
  "stackdriver",
  "opencensus",
  "skywalking",
  "opentelemetry",
  "prometheus",
  "envoyFileAccessLog",
  "envoyHttpAls",
  "envoyTcpAls",
  "envoyOtelAls",
  "sds",
];
const KINDS: readonly string[] = [...EXT_AUTHZ_KINDS, ...OTHER_KINDS];
const ENTRY_FIELDS = ["name", ...KINDS];

const isExtAuthz = (kind: string): kind is ExtAuthzKind =>
  (EXT_AUTHZ_KINDS as readonly string[]).includes(kind);

/** One entry: its name (for the uniqueness check) and the provider, when it has no errors. */
interface Entry {
  readonly name?: string;
  readonly provider?: ExtensionProvider;
  /** The telemetry provider (metrics, access logs, tracing), when it is one Rigging compiles. */
  readonly telemetry?: TelemetryProvider;
}

const isTelemetry = (kind: string): kind is TelemetryProviderKind =>
  (TELEMETRY_PROVIDER_KINDS as readonly string[]).includes(kind);

function readName(findings: Findings, path: string, value: unknown): string | undefined {
  const name = value === undefined ? "" : readString(findings, path, value);
  if (name === "") findings.error(path, "must not be empty: every extension provider needs a name");
  return name === "" ? undefined : name;
}

function readEntry(findings: Findings, path: string, item: unknown): Entry {
  const before = findings.errors.length;
  const mapping = readMapping(findings, path, item);
  if (mapping === undefined) return {};
  const fields = fieldsOf(findings, path, mapping, ENTRY_FIELDS, (fieldPath, key) =>
    findings.error(
      fieldPath,
      `unknown field of an extension provider${didYouMean(key, ENTRY_FIELDS)}`,
    ),
  );
  const namePath = fields.get("name")?.path ?? at(path, "name");
  const name = readName(findings, namePath, fields.get("name")?.value);
  const kinds = KINDS.filter(kind => fields.has(kind));
  if (kinds.length !== 1) {
    const found = kinds.length === 0 ? "none" : kinds.join(", ");
    findings.error(
      path,
      `must set exactly one provider kind (${KINDS.join(", ")}), found ${found}`,
    );
    return { name };
  }
  const kind = kinds[0] as string;
  const body = fields.get(kind) as { path: string; value: unknown };
  if (isTelemetry(kind)) {
    const telemetry =
      name === undefined
        ? undefined
        : readTelemetryProvider(findings, body.path, name, kind, body.value);
    return findings.errors.length > before || name === undefined || !telemetry
      ? { name }
      : { name, provider: { name }, telemetry };
  }
  if (!isExtAuthz(kind)) {
    if (readMapping(findings, body.path, body.value) !== undefined)
      findings.note(body.path, `${NOT_ACTED_ON} (kept by name only)`);
    return findings.errors.length > before || name === undefined
      ? { name }
      : { name, provider: { name } };
  }
  if (name !== undefined && !EXT_AUTHZ_PROVIDER_NAME.test(name)) {
    findings.error(
      namePath,
      `must be a lowercase DNS-1123 label to be used by a CUSTOM policy, got ${shown(name)}`,
    );
  }
  const config = readExtAuthzProvider(findings, body.path, kind, body.value);
  if (config === undefined || name === undefined || findings.errors.length > before)
    return { name };
  const provider: ExtensionProvider = { name, [kind]: config };
  const refusals = compileRefusals(provider);
  for (const rule of refusals) findings.error(body.path, `would be refused when compiled: ${rule}`);
  return refusals.length > 0 ? { name } : { name, provider };
}

/**
 * Reads `extensionProviders` at `path`; the list holds only entries without errors. Telemetry
 * providers Rigging compiles are also pushed onto `telemetry`.
 */
export function readExtensionProviders(
  findings: Findings,
  path: string,
  value: unknown,
  telemetry: TelemetryProvider[] = [],
): ExtensionProvider[] {
  if (!Array.isArray(value)) {
    findings.error(path, `must be a list of extension providers, got ${shown(value)}`);
    return [];
  }
  const providers: ExtensionProvider[] = [];
  const firstIndex = new Map<string, number>();
  for (const [i, item] of value.entries()) {
    const entry = readEntry(findings, idx(path, i), item);
    const { name, provider } = entry;
    if (provider) providers.push(provider);
    if (entry.telemetry) telemetry.push(entry.telemetry);
    if (name === undefined) continue;
    const first = firstIndex.get(name);
    if (first === undefined) firstIndex.set(name, i);
    else
      findings.error(
        at(idx(path, i), "name"),
        `duplicate extension provider name ${shown(name)}: ${idx(path, first)} has it too`,
      );
  }
  return providers;
}
