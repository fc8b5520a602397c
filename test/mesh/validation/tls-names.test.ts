/** The TLS names Istio and Envoy accept: cipher suites and ECDH curves (pkg/config/security). */
import {
  filterCipherSuites,
  isValidCipherSuite,
  isValidEcdhCurve,
} from "../../../mesh/validation/tls-names";

describe("cipher suites", () => {
  it.each([
    ["a suite BoringSSL names", "ECDHE-ECDSA-CHACHA20-POLY1305", true],
    ["an empty entry", "", true],
    ["ALL", "ALL", true],
    ["an operator expression", "!aNULL", true],
    ["a bracketed group", "[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]", true],
    ["an OpenSSL-only name", "ECDHE-ECDSA-AES128-SHA256", false],
    ["a TLS 1.3 suite (not configurable in BoringSSL)", "TLS_AES_128_GCM_SHA256", false],
    ["a PSK suite", "PSK-AES128-CBC-SHA", false],
  ])("%s: %s is valid: %s", (_what, suite, valid) => {
    expect(isValidCipherSuite(suite)).toBe(valid);
  });

  it("keeps valid suites in order, without unknown names or repeats", () => {
    expect(
      filterCipherSuites([
        "AES256-GCM-SHA384",
        "bogus",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "AES256-GCM-SHA384",
      ]),
    ).toEqual(["AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256"]);
    expect(filterCipherSuites([])).toEqual([]);
  });
});

describe("ECDH curves", () => {
  it.each([
    ["X25519", true],
    ["P-256", true],
    ["X25519MLKEM768", true],
    ["", true],
    ["prime256v1", false],
    ["secp384r1", false],
  ])("%s is valid: %s", (curve, valid) => {
    expect(isValidEcdhCurve(curve)).toBe(valid);
  });
});
