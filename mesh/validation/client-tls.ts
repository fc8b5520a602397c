/**
 * Client-side TLS of a DestinationRule. Rules: Istio's agent.ValidateTLS.
 * https://istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings
 */
import type { ClientTlsSettings } from "../../mesh/api/tls";
import { type Report } from "./diagnostic";

const CONFIGMAP_PREFIX = "configmap://";

/**
 * Whether a list has items. Istio reads the spec through protojson, where an empty list is the
 * same as an unset one.
 */
function hasItems(list: readonly unknown[] | undefined): boolean {
  return list !== undefined && list.length > 0;
}

/** The broken rule of a `configmap://` credential name, or undefined when it is fine. */
function configMapRefRule(cred: string, namespace: string): string | undefined {
  const parts = cred.slice(CONFIGMAP_PREFIX.length).split("/");
  const quoted = JSON.stringify(cred);
  if (parts.length < 2) return `invalid resource name ${quoted}. Expected namespace and name`;
  if (parts[0] === "") return `invalid resource name ${quoted}. Expected namespace`;
  if (parts[1] === "") return `invalid resource name ${quoted}. Expected name`;
  if (parts[0] !== namespace)
    return `namespace must match the configuration namespace ${JSON.stringify(namespace)}`;
  return undefined;
}

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
    // configmap://namespace/name (credentials.ParseResourceName): the namespace is required and
    // must be the object's own; anything after a second `/` is ignored, as Istio splits it.
    const rule = configMapRefRule(cred, namespace);
    if (rule !== undefined) report.error(path, `invalid configmap:// credentialName: ${rule}`);
  }
  if (tls.insecureSkipVerify) {
    if (tls.mode === "SIMPLE" && (tls.caCertificates || cred || hasItems(tls.subjectAltNames))) {
      report.error(
        path,
        "cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true",
      );
    }
    if (tls.mode === "MUTUAL" && (tls.caCertificates || hasItems(tls.subjectAltNames))) {
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
