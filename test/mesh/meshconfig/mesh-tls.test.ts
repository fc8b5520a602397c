/**
 * MeshConfig `meshMTLS` and `tlsDefaults` as the parser reads them (mesh/meshconfig/mesh-tls.ts):
 * Istio's rules (ValidateMeshTLSConfig, ValidateMeshTLSDefaults), and names Envoy would refuse
 * dropped with a note instead of reaching a proxy.
 */
import { parseMeshConfig, type MeshConfig } from "../../../mesh/meshconfig";
import { UNSET_TLS_SETTINGS } from "../../../mesh/meshconfig/mesh-tls";

const SOURCE = "ConfigMap istio-system/istio";

function loaded(text: string): { value: MeshConfig; notes: readonly string[] } {
  const result = parseMeshConfig(text, SOURCE);
  if (!result.ok) throw new Error(`expected the mesh config to load:\n${result.errors.join("\n")}`);
  return result;
}

const errorsOf = (text: string): readonly string[] => {
  const result = parseMeshConfig(text, SOURCE);
  return result.ok ? [] : result.errors;
};

describe("meshMTLS and tlsDefaults", () => {
  it("are unset when the mesh config does not name them", () => {
    const { value } = loaded("trustDomain: cluster.local\n");
    expect(value.meshMTLS).toEqual(UNSET_TLS_SETTINGS);
    expect(value.tlsDefaults).toEqual(UNSET_TLS_SETTINGS);
  });

  it("reads the minimum version and cipher suites of mesh mTLS", () => {
    const { value, notes } = loaded(
      [
        "meshMTLS:",
        "  minProtocolVersion: TLSV1_3",
        "  cipherSuites: [ECDHE-ECDSA-AES256-GCM-SHA384, ECDHE-RSA-AES256-GCM-SHA384]",
      ].join("\n"),
    );
    expect(value.meshMTLS).toEqual({
      minProtocolVersion: "TLSV1_3",
      ecdhCurves: [],
      cipherSuites: ["ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"],
    });
    expect(notes).toEqual([]);
  });

  it("reads tlsDefaults' version, curves and ciphers, under the proto's own field names too", () => {
    const { value } = loaded(
      [
        "tls_defaults:",
        "  min_protocol_version: 2",
        "  ecdh_curves: [X25519, P-256]",
        "  cipher_suites: [ECDHE-RSA-AES128-GCM-SHA256]",
      ].join("\n"),
    );
    expect(value.tlsDefaults).toEqual({
      minProtocolVersion: "TLSV1_3",
      ecdhCurves: ["X25519", "P-256"],
      cipherSuites: ["ECDHE-RSA-AES128-GCM-SHA256"],
    });
  });

  it("refuses ECDH curves on mesh mTLS, as Istio does, naming the field", () => {
    expect(errorsOf("meshMTLS:\n  ecdhCurves: [X25519]\n")).toEqual([
      `${SOURCE}: meshMTLS.ecdhCurves: mesh TLS does not support ECDH curves configuration`,
    ]);
    // An empty list sets nothing.
    expect(loaded("meshMTLS:\n  ecdhCurves: []\n").value.meshMTLS).toEqual(UNSET_TLS_SETTINGS);
  });

  it.each([
    [
      "a version Istio does not have",
      "meshMTLS:\n  minProtocolVersion: TLSV1_1\n",
      'got "TLSV1_1"',
    ],
    ["a number outside the enum", "tlsDefaults:\n  minProtocolVersion: 7\n", "got 7"],
    ["lowercase", "tlsDefaults:\n  minProtocolVersion: tlsv1_3\n", 'got "tlsv1_3"'],
  ])("refuses %s as the minimum version", (_what, text, got) => {
    const path = text.startsWith("meshMTLS") ? "meshMTLS" : "tlsDefaults";
    expect(errorsOf(text)).toEqual([
      `${SOURCE}: ${path}.minProtocolVersion: must be TLS_AUTO, TLSV1_2 or TLSV1_3, ${got}`,
    ]);
  });

  it("refuses a TLSConfig that is not a mapping, and a cipher list that is not strings", () => {
    expect(errorsOf("tlsDefaults: TLSV1_3\n")).toEqual([
      `${SOURCE}: tlsDefaults: must be a mapping, got "TLSV1_3"`,
    ]);
    expect(errorsOf("meshMTLS:\n  cipherSuites: [1]\n")).toEqual([
      `${SOURCE}: meshMTLS.cipherSuites[0]: must be a string, got 1`,
    ]);
  });

  it("drops cipher suites Envoy would refuse, and repeats, with a note naming them", () => {
    const { value, notes } = loaded(
      [
        "meshMTLS:",
        "  cipherSuites: [ECDHE-RSA-AES256-GCM-SHA384, NOT-A-CIPHER, ECDHE-RSA-AES256-GCM-SHA384, '!aNULL']",
      ].join("\n"),
    );
    // BoringSSL's operator syntax passes through, as in Istio.
    expect(value.meshMTLS.cipherSuites).toEqual(["ECDHE-RSA-AES256-GCM-SHA384", "!aNULL"]);
    expect(notes).toEqual([
      `${SOURCE}: meshMTLS.cipherSuites: dropped unknown or repeated cipher suites [NOT-A-CIPHER ECDHE-RSA-AES256-GCM-SHA384]: Envoy would refuse them`,
    ]);
  });

  it("drops unrecognized and repeated ECDH curves of tlsDefaults, with notes", () => {
    const { value, notes } = loaded("tlsDefaults:\n  ecdhCurves: [X25519, P-999, X25519]\n");
    expect(value.tlsDefaults.ecdhCurves).toEqual(["X25519"]);
    expect(notes).toEqual([
      `${SOURCE}: tlsDefaults.ecdhCurves: dropped unrecognized ECDH curves [P-999]: Envoy would refuse them`,
      `${SOURCE}: tlsDefaults.ecdhCurves: repeated ECDH curves are sent once`,
    ]);
  });

  it("notes a field TLSConfig does not have, and keeps the rest", () => {
    const { value, notes } = loaded(
      "meshMTLS:\n  minProtocolVersion: TLSV1_3\n  maxProtocolVersion: TLSV1_3\n",
    );
    expect(value.meshMTLS.minProtocolVersion).toBe("TLSV1_3");
    expect(notes).toEqual([
      `${SOURCE}: meshMTLS.maxProtocolVersion: unknown to TLSConfig, ignored`,
    ]);
  });

  it("is no longer noted as accepted but not acted on", () => {
    const { notes } = loaded("meshMTLS:\n  minProtocolVersion: TLSV1_2\ntlsDefaults: {}\n");
    expect(notes).toEqual([]);
  });
});
