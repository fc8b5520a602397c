/**
 * The TLS names Istio accepts in its config and Envoy's BoringSSL knows: cipher suites (Gateway
 * and Sidecar server TLS, MeshConfig `meshMTLS` and `tlsDefaults`) and ECDH curves
 * (`tlsDefaults.ecdhCurves`). A name outside these lists makes Envoy refuse the whole listener or
 * cluster, so Istio drops such cipher suites before they reach a proxy, and so does Rigging.
 *
 * @see istio/istio pkg/config/security/security.go (ValidCipherSuites, ValidECDHCurves, FilterCipherSuites)
 */

/** The cipher suites BoringSSL accepts by name (`bssl ciphers -openssl-name ALL`, no PSK). */
const CIPHER_SUITES: ReadonlySet<string> = new Set([
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
  "ECDHE-ECDSA-AES128-SHA",
  "ECDHE-RSA-AES128-SHA",
  "ECDHE-ECDSA-AES256-SHA",
  "ECDHE-RSA-AES256-SHA",
  "AES128-GCM-SHA256",
  "AES256-GCM-SHA384",
  "AES128-SHA",
  "AES256-SHA",
  "DES-CBC3-SHA",
]);

/** The key-exchange groups BoringSSL accepts by name. */
const ECDH_CURVES: ReadonlySet<string> = new Set([
  "P-224",
  "P-256",
  "P-521",
  "P-384",
  "X25519",
  "X25519Kyber768Draft00",
  "X25519MLKEM768",
]);

/** Whether a cipher suite entry is accepted; operator syntax (`!`, `+`, `-`, `[`) passes through. */
export function isValidCipherSuite(cs: string): boolean {
  if (cs === "" || cs === "ALL") return true;
  return !/^[\p{L}\p{N}]/u.test(cs) || CIPHER_SUITES.has(cs);
}

/** Whether an ECDH curve name is one BoringSSL knows ("" passes, as in Istio). */
export function isValidEcdhCurve(curve: string): boolean {
  return curve === "" || ECDH_CURVES.has(curve);
}

/**
 * The cipher suites as a proxy gets them: unknown names and repeats dropped, order kept. The
 * validator warns about both when the config is applied.
 */
export function filterCipherSuites(suites: readonly string[]): string[] {
  const seen = new Set<string>();
  return suites.filter(cs => isValidCipherSuite(cs) && !seen.has(cs) && !!seen.add(cs));
}
