/**
 * The part of Istio's mesh config (the `mesh` key of ConfigMap `istio`) that injection reads:
 * `defaultConfig` (the mesh-wide ProxyConfig every sidecar gets in `PROXY_CONFIG`, its
 * `proxyMetadata` as env, `holdApplicationUntilProxyStarts`, `discoveryAddress` as CA_ADDR),
 * `trustDomain`, `enablePrometheusMerge`, `inboundTrafficPolicy` and the iptables ports.
 *
 * The document must first pass the mesh config parser the control plane uses
 * (mesh/meshconfig), so the injector and the xDS compiler refuse the same documents; then the
 * fields above are checked against the types their protos declare
 * (https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/).
 */
import { parse } from "yaml";
import { Findings, isMapping } from "../meshconfig/findings";
import { MESH_CONFIGMAP_KEY, parseMeshConfig } from "../meshconfig";
import { parseProxyConfigAnnotation, validateProxyConfigAnnotation } from "./proxy-config";
import { defaultMeshSettings, type MeshConfig, type MeshSettings } from "./settings";
import { bool, mapping, oneOf, port, type Check } from "./value-checks";

/** Mesh settings for the injector, or every error found. */
export type InjectorMeshResult =
  | { readonly ok: true; readonly value: MeshSettings }
  | { readonly ok: false; readonly errors: readonly string[] };

const CONVERT_PREFIX = "failed to convert to apply proxy config: ";

/** The mesh-wide ProxyConfig, checked as the `proxy.istio.io/config` annotation is. */
function readDefaultConfig(findings: Findings, value: unknown): MeshConfig["defaultConfig"] {
  if (!mapping(findings, "defaultConfig", value)) return undefined;
  const text = JSON.stringify(value);
  const invalid = validateProxyConfigAnnotation(text);
  if (invalid !== undefined) {
    findings.error("defaultConfig", invalid.replace(CONVERT_PREFIX, ""));
    return undefined;
  }
  const parsed = parseProxyConfigAnnotation(text);
  return typeof parsed === "string" ? undefined : parsed;
}

/** A field checked by `check`, or undefined (after an error) when it does not pass. */
function field<T>(findings: Findings, doc: Record<string, unknown>, key: string, check: Check) {
  const value = doc[key];
  if (value === undefined || value === null) return undefined;
  return check(findings, key, value) ? (value as T) : undefined;
}

function readInjectorFields(findings: Findings, doc: Record<string, unknown>): MeshConfig {
  const out: MeshConfig = {};
  const trustDomain = doc.trustDomain;
  if (typeof trustDomain === "string") out.trustDomain = trustDomain;
  if (doc.defaultConfig !== undefined && doc.defaultConfig !== null)
    out.defaultConfig = readDefaultConfig(findings, doc.defaultConfig);
  out.enablePrometheusMerge = field<boolean>(findings, doc, "enablePrometheusMerge", bool);
  const inbound = field<Record<string, unknown>>(findings, doc, "inboundTrafficPolicy", mapping);
  if (inbound?.mode != null) {
    const mode = oneOf("PASSTHROUGH", "LOCALHOST");
    if (mode(findings, "inboundTrafficPolicy.mode", inbound.mode))
      out.inboundTrafficPolicy = { mode: inbound.mode as "PASSTHROUGH" | "LOCALHOST" };
  }
  out.proxyListenPort = field<number>(findings, doc, "proxyListenPort", port);
  out.proxyInboundListenPort = field<number>(findings, doc, "proxyInboundListenPort", port);
  for (const key of Object.keys(out) as (keyof MeshConfig)[])
    if (out[key] === undefined) delete out[key];
  return out;
}

/**
 * Reads the injector's mesh settings from a mesh config YAML over `base` (the settings that do
 * not come from the mesh config: revision, control-plane namespace, native sidecars). Blank
 * text gives the base. `source` and `prefix` name the object in messages.
 */
export function parseInjectorMeshConfig(
  text: string | undefined,
  base: MeshSettings,
  source: string,
  prefix = "",
): InjectorMeshResult {
  const checked = parseMeshConfig(text, source);
  // The shared parser's messages carry no data key; add it so they name where the YAML sits.
  if (!checked.ok)
    return { ok: false, errors: checked.errors.map(e => withPrefix(e, source, prefix)) };
  const findings = new Findings(source, prefix);
  const doc: unknown = text === undefined || text.trim() === "" ? undefined : parse(text);
  const fields = isMapping(doc) ? readInjectorFields(findings, doc) : {};
  if (findings.errors.length > 0) return { ok: false, errors: [...findings.errors] };
  const defaultConfig = { ...base.meshConfig.defaultConfig, ...fields.defaultConfig };
  const discoveryAddress = defaultConfig.discoveryAddress ?? base.discoveryAddress;
  return {
    ok: true,
    value: defaultMeshSettings({
      discoveryAddress,
      controlPlaneNamespace: base.controlPlaneNamespace,
      revision: base.revision,
      nativeSidecars: base.nativeSidecars,
      compliancePolicy: base.compliancePolicy,
      meshConfig: { ...fields, defaultConfig: { ...defaultConfig, discoveryAddress } },
    }),
  };
}

function withPrefix(error: string, source: string, prefix: string): string {
  if (prefix === "" || !error.startsWith(`${source}: `)) return error;
  return `${source}: ${prefix}: ${error.slice(source.length + 2)}`;
}

/**
 * Reads the injector's mesh settings from the `istio` ConfigMap object over `base`; messages
 * name `ConfigMap <namespace>/<name>: data.mesh`. A ConfigMap without `mesh` gives the base.
 */
export function injectorMeshFromConfigMap(
  configMap: { metadata?: { namespace?: string; name?: string }; data?: Record<string, string> },
  base: MeshSettings = defaultMeshSettings(),
): InjectorMeshResult {
  const { namespace = "", name = "" } = configMap.metadata ?? {};
  const source = `ConfigMap ${namespace}/${name}`;
  const data: unknown = configMap.data;
  const mesh = isMapping(data) ? data[MESH_CONFIGMAP_KEY] : undefined;
  if (mesh !== undefined && mesh !== null && typeof mesh !== "string")
    return { ok: false, errors: [`${source}: data.${MESH_CONFIGMAP_KEY}: must be a string`] };
  return parseInjectorMeshConfig(mesh ?? undefined, base, source, `data.${MESH_CONFIGMAP_KEY}`);
}
