/**
 * Client-side TLS of a DestinationRule. Rules: Istio's agent.ValidateTLS.
 * https://istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings
 */
import type { ClientTlsSettings } from "../../mesh/api/tls";
import { type Report } from "./diagnostic";

const CONFIGMAP_PREFIX = "configmap://";

/** Checks client TLS settings of an object in `namespace`. */
export function checkClientTls(
  report: Report,
  path: string,
  namespace: string,
  tls: ClientTlsSettings | undefined,
): void {
  if (tls === undefined) return;
  const cred = tls.credentialName ?? "";
  if (cred.startsWith(CONFIGMAP_PREFIX)) {
    // configmap://[namespace/]name may only read a ConfigMap of the object's own namespace.
    const ref = cred.slice(CONFIGMAP_PREFIX.length);
    const parts = ref.split("/");
    if (ref === "" || parts.length > 2 || parts.some(p => p === "")) {
      report.error(
        path,
        `invalid configmap:// credentialName: invalid resource name ${JSON.stringify(cred)}`,
      );
    } else if (parts.length === 2 && parts[0] !== namespace) {
      report.error(
        path,
        `invalid configmap:// credentialName: namespace must match the configuration namespace ${JSON.stringify(namespace)}`,
      );
    }
  }
  if (tls.insecureSkipVerify) {
    if (
      tls.mode === "SIMPLE" &&
      (tls.caCertificates || cred || tls.subjectAltNames !== undefined)
    ) {
      report.error(
        path,
        "cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true",
      );
    }
    if (tls.mode === "MUTUAL" && (tls.caCertificates || tls.subjectAltNames !== undefined)) {
      report.error(
        path,
        "cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true",
      );
    }
  }
  if ((tls.mode === "SIMPLE" || tls.mode === "MUTUAL") && cred) {
    // Certificates come from the named secret, so inline file paths would be ignored.
    if (tls.clientCertificate || tls.caCertificates || tls.privateKey || tls.caCrl) {
      report.error(
        path,
        "cannot specify client certificates or CA certificate or CA CRL If credentialName is set",
      );
    }
    return;
  }
  if (tls.mode === "MUTUAL") {
    if (!tls.clientCertificate) report.error(path, "client certificate required for mutual tls");
    if (!tls.privateKey) report.error(path, "private key required for mutual tls");
  }
}
