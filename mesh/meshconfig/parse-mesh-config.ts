/**
 * Parses and validates Istio's MeshConfig: the YAML under the `mesh` key of the ConfigMap
 * `istio` that istiod reads. Fields Rigging acts on are checked and typed; the other MeshConfig
 * fields are accepted with a note, and keys MeshConfig does not have get a note too (Istio's
 * decoder ignores them), so an Istio user's mesh config loads unchanged.
 *
 * Rules follow Istio's ValidateMeshConfig (pkg/config/validation/agent/validation.go), and the
 * defaults and decoding its ApplyMeshConfig (pkg/config/mesh/mesh.go). Where Rigging is stricter
 * (ext_authz providers, see ext-authz-provider.ts) the reason is given there.
 */
import { LineCounter, parseDocument } from "yaml";
import { LocalityLbSetting } from "../api/traffic-policy";
import { at, idx, Report } from "../validation/diagnostic";
import { isDns1123Label } from "../validation/hosts";
import { checkLoadBalancer } from "../validation/load-balancer";
import { checkShape } from "../validation/structural";
import { readExtensionProviders } from "./extension-providers";
import { didYouMean, MESH_CONFIG_FIELDS, REMOVED_MESH_CONFIG_FIELDS } from "./field-names";
import { Findings, isMapping, NOT_ACTED_ON, shown } from "./findings";
import { DEFAULT_MESH_CONFIG, MESH_CONFIGMAP_KEY, type MeshConfig } from "./mesh-config";
import { readMeshTls } from "./mesh-tls";
import { fieldsOf, readBoolean, readMapping, readString, readStringList } from "./read-values";
import { readDefaultProviders, type TelemetryProvider } from "./telemetry-providers";

/** A mesh config with the notes about what was accepted but not acted on, or every error found. */
export type MeshConfigResult =
  | { readonly ok: true; readonly value: MeshConfig; readonly notes: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[] };

type OutboundMode = MeshConfig["outboundTrafficPolicy"];

/** MeshConfig fields the sidecar injector acts on (and checks), not the xDS compiler. */
const INJECTION_FIELDS = new Set([
  "defaultConfig",
  "enablePrometheusMerge",
  "inboundTrafficPolicy",
  "proxyListenPort",
  "proxyInboundListenPort",
]);

// Kubernetes namespace names are lowercase RFC 1123 labels.
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Istio's ValidateTrustDomain: DNS labels joined by dots (a trailing dot allowed). Returns the
 * broken rule or undefined.
 */
export function checkTrustDomain(domain: string): string | undefined {
  if (domain === "") return "must not be empty";
  const labels = domain.split(".");
  const valid = labels.every(
    (label, i) => isDns1123Label(label) || (i === labels.length - 1 && label === "" && i > 0),
  );
  return valid
    ? undefined
    : `must be a trust domain: DNS labels joined by dots, e.g. "cluster.local", got ${shown(domain)}`;
}

function readRootNamespace(findings: Findings, path: string, value: unknown): string | undefined {
  const namespace = readString(findings, path, value);
  if (namespace === undefined || NAMESPACE.test(namespace)) return namespace;
  findings.error(
    path,
    `must be a namespace name (a lowercase DNS-1123 label), got ${shown(namespace)}`,
  );
  return undefined;
}

function readTrustDomain(findings: Findings, path: string, value: unknown): string | undefined {
  const domain = readString(findings, path, value);
  if (domain === undefined) return undefined;
  const rule = checkTrustDomain(domain);
  if (rule !== undefined) findings.error(path, rule);
  return rule === undefined ? domain : undefined;
}

/** Istio's ApplyMeshConfig keeps the aliases as a sorted set. */
function readTrustDomainAliases(findings: Findings, path: string, value: unknown): string[] {
  const aliases = readStringList(findings, path, value) ?? [];
  aliases.forEach((alias, i) => {
    const rule = checkTrustDomain(alias);
    if (rule !== undefined) findings.error(idx(path, i), rule);
  });
  return [...new Set(aliases)].sort();
}

function readOutboundTrafficPolicy(
  findings: Findings,
  path: string,
  value: unknown,
): OutboundMode | undefined {
  const mapping = readMapping(findings, path, value);
  if (mapping === undefined) return undefined;
  const fields = fieldsOf(findings, path, mapping, ["mode", "tls"], fieldPath =>
    findings.note(fieldPath, "unknown to OutboundTrafficPolicy, ignored"),
  );
  const tls = fields.get("tls");
  if (tls) findings.note(tls.path, NOT_ACTED_ON);
  const mode = fields.get("mode");
  if (!mode) {
    // Istio's decoder replaces the whole message, so an unset mode is the enum's zero value.
    findings.note(at(path, "mode"), "not set: Istio reads this as REGISTRY_ONLY");
    return "REGISTRY_ONLY";
  }
  const text = readString(findings, mode.path, mode.value);
  if (text === "ALLOW_ANY" || text === "REGISTRY_ONLY" || text === undefined) return text;
  findings.error(
    mode.path,
    text === "ALLOW_ANY_DYNAMIC_DNS"
      ? "ALLOW_ANY_DYNAMIC_DNS is not supported by Rigging: use ALLOW_ANY or REGISTRY_ONLY"
      : `must be ALLOW_ANY or REGISTRY_ONLY, got ${shown(text)}`,
  );
  return undefined;
}

/** `accessLogEncoding`: TEXT or JSON (the proto enum, by name). */
function readEncoding(
  findings: Findings,
  path: string,
  value: unknown,
): "TEXT" | "JSON" | undefined {
  const text = readString(findings, path, value);
  if (text === "TEXT" || text === "JSON" || text === undefined) return text;
  findings.error(path, `must be TEXT or JSON, got ${shown(text)}`);
  return undefined;
}

/** Drops nulls (protobuf JSON's "not set") so the value has its declared type. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isMapping(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}

/**
 * `localityLbSetting`: the shape from the LocalityLbSetting schema, then the rules a
 * DestinationRule's setting has. Istio passes an empty outlier detection here, so failover
 * without one is no warning at mesh level.
 */
function readLocalityLbSetting(
  findings: Findings,
  path: string,
  value: unknown,
): LocalityLbSetting | undefined {
  const report = new Report({ kind: "MeshConfig", namespace: "", name: "" });
  checkShape(report, path, value, LocalityLbSetting);
  const setting = withoutNulls(value) as LocalityLbSetting;
  if (report.errors.length === 0) checkLoadBalancer(report, "", { localityLbSetting: setting }, {});
  for (const d of report.errors) findings.error(d.path, d.rule);
  for (const d of report.warnings) {
    const unknown = d.rule.startsWith("unknown field");
    findings.note(d.path, unknown ? "unknown to LocalityLoadBalancerSetting, ignored" : d.rule);
  }
  if (report.errors.length > 0) return undefined;
  const known = Object.keys(LocalityLbSetting.properties);
  return Object.fromEntries(
    Object.entries(setting as Record<string, unknown>).filter(([k]) => known.includes(k)),
  ) as LocalityLbSetting;
}

function noteUnknownField(findings: Findings, path: string, key: string): void {
  findings.note(
    path,
    REMOVED_MESH_CONFIG_FIELDS.has(key)
      ? "no longer a MeshConfig field, ignored (Istio removed it)"
      : `unknown to MeshConfig, ignored as Istio ignores it${didYouMean(key, MESH_CONFIG_FIELDS)}`,
  );
}

/** The MeshConfig a YAML mapping describes, defaults filled in; problems go to `findings`. */
function readMeshConfig(findings: Findings, doc: Record<string, unknown>): MeshConfig {
  const fields = fieldsOf(findings, "", doc, MESH_CONFIG_FIELDS, (path, key) =>
    noteUnknownField(findings, path, key),
  );
  const config: { -readonly [K in keyof MeshConfig]: MeshConfig[K] } = { ...DEFAULT_MESH_CONFIG };
  for (const [name, { path, value }] of fields) {
    switch (name) {
      case "rootNamespace":
        config.rootNamespace = readRootNamespace(findings, path, value) ?? config.rootNamespace;
        break;
      case "trustDomain":
        config.trustDomain = readTrustDomain(findings, path, value) ?? config.trustDomain;
        break;
      case "trustDomainAliases":
        config.trustDomainAliases = readTrustDomainAliases(findings, path, value);
        break;
      case "outboundTrafficPolicy":
        config.outboundTrafficPolicy =
          readOutboundTrafficPolicy(findings, path, value) ?? config.outboundTrafficPolicy;
        break;
      case "enableAutoMtls":
        config.enableAutoMtls = readBoolean(findings, path, value) ?? config.enableAutoMtls;
        break;
      case "localityLbSetting":
        config.localityLbSetting = readLocalityLbSetting(findings, path, value);
        break;
      case "extensionProviders": {
        const telemetry: TelemetryProvider[] = [];
        config.extensionProviders = readExtensionProviders(findings, path, value, telemetry);
        // Istio's built-ins stay unless an entry of the same name replaces them.
        const named = new Set(config.extensionProviders.map(p => p.name));
        config.telemetryProviders = [
          ...DEFAULT_MESH_CONFIG.telemetryProviders.filter(p => !named.has(p.name)),
          ...telemetry,
        ];
        break;
      }
      case "defaultProviders":
        config.defaultProviders =
          readDefaultProviders(findings, path, value) ?? config.defaultProviders;
        break;
      case "accessLogFile":
        config.accessLogFile = readString(findings, path, value) ?? config.accessLogFile;
        break;
      case "accessLogFormat":
        config.accessLogFormat = readString(findings, path, value) ?? config.accessLogFormat;
        break;
      case "accessLogEncoding":
        config.accessLogEncoding = readEncoding(findings, path, value) ?? config.accessLogEncoding;
        break;
      case "enableTracing":
        config.enableTracing = readBoolean(findings, path, value) ?? config.enableTracing;
        break;
      case "meshMTLS":
      case "tlsDefaults":
        config[name] = readMeshTls(findings, path, value, name);
        break;
      default:
        // Sidecar injection reads these for new pods (mesh/inject/injector-mesh-config.ts).
        if (!INJECTION_FIELDS.has(name)) findings.note(path, NOT_ACTED_ON);
    }
  }
  if (config.localityLbSetting === undefined) delete config.localityLbSetting;
  return config;
}

/** The YAML document in `text`, or undefined after recording its syntax errors by line. */
function readYaml(findings: Findings, text: string): { value: unknown } | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  for (const error of doc.errors) {
    const { line, col } = lines.linePos(error.pos[0]);
    findings.error(`line ${line}, column ${col}`, `invalid YAML: ${error.message.split("\n")[0]}`);
  }
  if (doc.errors.length > 0) return undefined;
  try {
    return { value: doc.toJS() };
  } catch (e) {
    // toJS refuses, for one, aliases that would expand into a huge document.
    findings.error("", `invalid YAML: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

function parseWith(findings: Findings, text: string | undefined): MeshConfigResult {
  if (text === undefined || text.trim() === "")
    return { ok: true, value: DEFAULT_MESH_CONFIG, notes: [] };
  const yaml = readYaml(findings, text);
  let value = DEFAULT_MESH_CONFIG;
  // A document of only comments, or an explicit null, sets nothing (Istio treats it the same).
  if (yaml !== undefined && yaml.value !== null && yaml.value !== undefined) {
    if (isMapping(yaml.value)) value = readMeshConfig(findings, yaml.value);
    else findings.error("", `must be a mapping of MeshConfig fields, got ${shown(yaml.value)}`);
  }
  if (findings.errors.length > 0) return { ok: false, errors: [...findings.errors] };
  return { ok: true, value, notes: [...findings.notes] };
}

/**
 * Parses the YAML of a mesh config. `text` undefined or blank gives {@link DEFAULT_MESH_CONFIG}.
 * `source` names the object in messages, e.g. "ConfigMap istio-system/istio".
 */
export function parseMeshConfig(text: string | undefined, source: string): MeshConfigResult {
  return parseWith(new Findings(source), text);
}

/**
 * Reads the mesh config from the `istio` ConfigMap object. A ConfigMap without a `mesh` key
 * gives the defaults, as in Istio. Messages name `ConfigMap <namespace>/<name>` and `data.mesh`.
 */
export function meshConfigFromConfigMap(configMap: {
  metadata?: { namespace?: string; name?: string };
  data?: Record<string, string>;
}): MeshConfigResult {
  const { namespace = "", name = "" } = configMap.metadata ?? {};
  const findings = new Findings(`ConfigMap ${namespace}/${name}`, `data.${MESH_CONFIGMAP_KEY}`);
  // The object comes from the cluster or a file: its declared type is a hope, not a fact.
  const data: unknown = configMap.data;
  const mesh = isMapping(data) ? data[MESH_CONFIGMAP_KEY] : undefined;
  if (mesh !== undefined && mesh !== null && typeof mesh !== "string") {
    findings.error("", `must be a string holding the MeshConfig YAML, got ${shown(mesh)}`);
    return { ok: false, errors: [...findings.errors] };
  }
  return parseWith(findings, mesh ?? undefined);
}
