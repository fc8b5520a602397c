/**
 * Server-side TLS of Gateway servers and Sidecar ingress listeners. Rules: Istio's
 * validateTLSOptions and pkg/config/security cipher suites.
 * https://istio.io/latest/docs/reference/config/networking/gateway/#ServerTLSSettings
 */
import type { ServerTlsSettings } from "../../mesh/api/tls";
import { type Report } from "./diagnostic";
import { isValidCipherSuite } from "./tls-names";

/** Checks server TLS settings and the certificates each mode requires. */
export function checkServerTls(
  report: Report,
  path: string,
  tls: ServerTlsSettings | undefined,
): void {
  if (tls === undefined) return;
  const mode = tls.mode ?? "PASSTHROUGH";
  if (
    (tls.minProtocolVersion === "TLSV1_0" || tls.minProtocolVersion === "TLSV1_1") &&
    (tls.cipherSuites ?? []).length === 0
  ) {
    report.warn(
      path,
      "TLS version below TLSV1_2 require setting compatible ciphers as by default they no longer include compatible ciphers.",
    );
  }
  const invalid = new Set<string>();
  const seen = new Set<string>();
  const duplicate = new Set<string>();
  for (const cs of tls.cipherSuites ?? []) {
    if (!isValidCipherSuite(cs)) invalid.add(cs);
    else if (seen.has(cs)) duplicate.add(cs);
    seen.add(cs);
  }
  if (invalid.size > 0)
    report.warn(
      `${path}.cipherSuites`,
      `ignoring invalid cipher suites: [${[...invalid].sort().join(" ")}]`,
    );
  if (duplicate.size > 0)
    report.warn(
      `${path}.cipherSuites`,
      `ignoring duplicate cipher suites: [${[...duplicate].sort().join(" ")}]`,
    );
  const certs = tls.tlsCertificates ?? [];
  const credNames = tls.credentialNames ?? [];
  if (mode === "ISTIO_MUTUAL") {
    // Istio's own workload certificate is used; any other certificate source is a mistake.
    if (tls.serverCertificate)
      report.error(path, "ISTIO_MUTUAL TLS cannot have associated server certificate");
    if (tls.privateKey) report.error(path, "ISTIO_MUTUAL TLS cannot have associated private key");
    if (tls.caCertificates) report.error(path, "ISTIO_MUTUAL TLS cannot have associated CA bundle");
    if (certs.length > 0)
      report.error(path, "ISTIO_MUTUAL TLS cannot have associated tlsCertificates");
    if (tls.credentialName)
      report.error(path, "ISTIO_MUTUAL TLS cannot have associated credentialName");
    if (credNames.length > 0)
      report.error(path, "ISTIO_MUTUAL TLS cannot have associated credentialNames");
    return;
  }
  if (mode === "PASSTHROUGH" || mode === "AUTO_PASSTHROUGH") {
    if (
      tls.caCrl ||
      tls.serverCertificate ||
      tls.privateKey ||
      tls.caCertificates ||
      certs.length > 0 ||
      tls.credentialName ||
      credNames.length > 0
    ) {
      report.warn(path, `${mode} mode does not use certificates, they will be ignored`);
    }
  }
  // The CRD's CEL rule counts presence: `credentialName: ""` beside credentialNames is refused.
  if (tls.credentialName !== undefined && tls.credentialNames !== undefined)
    report.error(path, "only one of credentialName or credentialNames can be set");
  const sources =
    (tls.serverCertificate && tls.privateKey ? 1 : 0) +
    (tls.credentialName ? 1 : 0) +
    (credNames.length > 0 ? 1 : 0) +
    (certs.length > 0 ? 1 : 0);
  if (sources > 1) {
    report.error(
      path,
      "only one of credential_name, credential_names, server_certificate/private_key, tls_certificates should be specified",
    );
  }
  const terminating = mode === "SIMPLE" || mode === "MUTUAL" || mode === "OPTIONAL_MUTUAL";
  // With a credential name the gateway fetches certificates from a secret, so no file is needed.
  if (terminating && (tls.credentialName || credNames.length > 0)) return;
  if (terminating) {
    const prefix = mode === "SIMPLE" ? "SIMPLE TLS" : "MUTUAL TLS";
    if (mode !== "SIMPLE" && !tls.caCertificates)
      report.error(path, `${prefix} requires a client CA bundle`);
    const toVerify =
      certs.length > 0
        ? certs
        : [{ serverCertificate: tls.serverCertificate, privateKey: tls.privateKey }];
    for (const cert of toVerify) {
      if (!cert.serverCertificate) report.error(path, `${prefix} requires a server certificate`);
      if (!cert.privateKey) report.error(path, `${prefix} requires a private key`);
    }
  }
  if (tls.caCrl) {
    if (tls.credentialName)
      report.error(
        path,
        "CRL is not supported with credentialName. CRL has to be specified in the credential",
      );
    if (mode === "SIMPLE") report.error(path, "CRL is not supported with SIMPLE TLS");
  }
}
