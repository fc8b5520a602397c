/**
 * MeshConfig's two TLS settings (`istio.mesh.v1alpha1.MeshConfig.TLSConfig`):
 * - `meshMTLS`: the mesh's own mTLS, as sidecars terminate it on their inbound ports: the
 *   minimum TLS version (1.2 unless TLSV1_3) and the cipher suites (Istio's strong list
 *   unless set). ECDH curves are refused here, as Istio refuses them.
 * - `tlsDefaults`: TLS that is not the mesh's own: gateway and Sidecar servers in SIMPLE, MUTUAL
 *   or OPTIONAL_MUTUAL mode (minimum version, curves, ciphers, each overridden by the server's
 *   own setting), and SIMPLE or MUTUAL origination to a DestinationRule's hosts (curves and
 *   ciphers).
 * Cipher suites and curves Envoy does not know are dropped with a note rather than sent: one
 * unknown name makes Envoy refuse the listener or cluster, and every proxy would keep its old
 * config. Istio warns about unknown curves and drops unknown gateway ciphers, but passes the
 * mesh-level lists through as written.
 *
 * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-TLSConfig
 * @see istio/istio pkg/config/validation/agent/validation.go (ValidateMeshTLSConfig, ValidateMeshTLSDefaults)
 */
import { filterCipherSuites, isValidEcdhCurve } from "../validation/tls-names";
import { shown, type Findings } from "./findings";
import { fieldsOf, readMapping, readStringList } from "./read-values";

/** `TLSConfig.TLSProtocol`: TLS_AUTO leaves the version to the proxy's default (1.2). */
export type MeshTlsProtocol = "TLS_AUTO" | "TLSV1_2" | "TLSV1_3";

/** One TLSConfig, defaults filled in. */
export interface MeshTlsSettings {
  readonly minProtocolVersion: MeshTlsProtocol;
  readonly ecdhCurves: readonly string[];
  readonly cipherSuites: readonly string[];
}

/** A TLSConfig that sets nothing: what an absent `meshMTLS` or `tlsDefaults` means. */
export const UNSET_TLS_SETTINGS: MeshTlsSettings = {
  minProtocolVersion: "TLS_AUTO",
  ecdhCurves: [],
  cipherSuites: [],
};

const TLS_CONFIG_FIELDS = ["minProtocolVersion", "ecdhCurves", "cipherSuites"];

// The proto enum, by name and by number (protobuf JSON accepts both).
const PROTOCOLS: readonly MeshTlsProtocol[] = ["TLS_AUTO", "TLSV1_2", "TLSV1_3"];

function readProtocol(findings: Findings, path: string, value: unknown): MeshTlsProtocol {
  if (typeof value === "string" && (PROTOCOLS as readonly string[]).includes(value))
    return value as MeshTlsProtocol;
  if (typeof value === "number" && PROTOCOLS[value] !== undefined) return PROTOCOLS[value];
  findings.error(path, `must be TLS_AUTO, TLSV1_2 or TLSV1_3, got ${shown(value)}`);
  return "TLS_AUTO";
}

function readCipherSuites(findings: Findings, path: string, value: unknown): string[] {
  const suites = readStringList(findings, path, value) ?? [];
  const kept = filterCipherSuites(suites);
  const dropped = suites.filter((cs, i) => suites.indexOf(cs) !== i || !kept.includes(cs));
  if (dropped.length > 0) {
    findings.note(
      path,
      `dropped unknown or repeated cipher suites [${[...new Set(dropped)].join(" ")}]: Envoy would refuse them`,
    );
  }
  return kept;
}

function readEcdhCurves(findings: Findings, path: string, value: unknown): string[] {
  const curves = readStringList(findings, path, value) ?? [];
  const known = curves.filter(c => c !== "" && isValidEcdhCurve(c));
  const kept = [...new Set(known)];
  const unknown = curves.filter(c => !isValidEcdhCurve(c));
  if (unknown.length > 0) {
    findings.note(
      path,
      `dropped unrecognized ECDH curves [${[...new Set(unknown)].join(" ")}]: Envoy would refuse them`,
    );
  }
  if (kept.length < known.length) findings.note(path, "repeated ECDH curves are sent once");
  return kept;
}

/**
 * Reads `meshMTLS` or `tlsDefaults` (`field` says which, for the rule on curves). Returns the
 * settings, unset parts as {@link UNSET_TLS_SETTINGS}.
 */
export function readMeshTls(
  findings: Findings,
  path: string,
  value: unknown,
  field: "meshMTLS" | "tlsDefaults",
): MeshTlsSettings {
  const mapping = readMapping(findings, path, value);
  if (mapping === undefined) return UNSET_TLS_SETTINGS;
  const fields = fieldsOf(findings, path, mapping, TLS_CONFIG_FIELDS, fieldPath =>
    findings.note(fieldPath, "unknown to TLSConfig, ignored"),
  );
  const settings = { ...UNSET_TLS_SETTINGS };
  const min = fields.get("minProtocolVersion");
  if (min) settings.minProtocolVersion = readProtocol(findings, min.path, min.value);
  const ciphers = fields.get("cipherSuites");
  if (ciphers) settings.cipherSuites = readCipherSuites(findings, ciphers.path, ciphers.value);
  const curves = fields.get("ecdhCurves");
  if (curves && field === "meshMTLS") {
    const listed = readStringList(findings, curves.path, curves.value) ?? [];
    if (listed.length > 0)
      findings.error(curves.path, "mesh TLS does not support ECDH curves configuration");
  } else if (curves) {
    settings.ecdhCurves = readEcdhCurves(findings, curves.path, curves.value);
  }
  return settings;
}
