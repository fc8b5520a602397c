import forge from "node-forge";
import type { ParsedCertificate } from "./pem";

/**
 * The two certificate profiles the authority writes and the one it accepts for signing.
 * Workload profile as Istio's `genCertTemplateFromCSR` (istio/istio
 * `security/pkg/pki/util/generate_cert.go`): empty subject, SAN critical, key usage
 * digitalSignature + keyEncipherment, extended key usage serverAuth + clientAuth, not a CA.
 */

/** RFC 5280 §4.2.1.6 GeneralName tags node-forge uses for `altNames[].type`. */
export const GENERAL_NAME = { email: 1, dns: 2, uri: 6, ip: 7 } as const;

/** Extensions of a CA certificate (RFC 5280 §4.2.1.9 and §4.2.1.3). */
export function caExtensions(): object[] {
  return [
    { name: "basicConstraints", critical: true, cA: true },
    { name: "keyUsage", critical: true, keyCertSign: true, cRLSign: true },
    // node-forge computes the RFC 5280 §4.2.1.2 method-1 key identifier from the public key.
    { name: "subjectKeyIdentifier" },
  ];
}

/** What a leaf certificate is for, and who it names. */
export interface LeafProfile {
  /** Subject alternative names, as node-forge `altNames` entries. */
  readonly altNames: ReadonlyArray<{ type: number; value?: string; ip?: string }>;
  /** TLS client authentication (workloads are both client and server in mTLS). */
  readonly clientAuth: boolean;
  /** The issuer's subject key identifier, a forge binary string (RFC 5280 §4.2.1.1). */
  readonly issuerKeyId: string;
}

/** Extensions of a leaf certificate. */
export function leafExtensions(p: LeafProfile): object[] {
  return [
    { name: "basicConstraints", critical: true, cA: false },
    { name: "keyUsage", critical: true, digitalSignature: true, keyEncipherment: true },
    { name: "extKeyUsage", serverAuth: true, clientAuth: p.clientAuth },
    // Critical because the subject is empty (RFC 5280 §4.2.1.6; SPIFFE X509-SVID §4).
    { name: "subjectAltName", critical: true, altNames: p.altNames.map(n => ({ ...n })) },
    { name: "authorityKeyIdentifier", keyIdentifier: p.issuerKeyId },
  ];
}

/**
 * The key identifier leaf certificates should carry as their authority key identifier: the
 * issuer's own subjectKeyIdentifier when it has one (a plug-in CA may use method 2 or
 * anything else), otherwise the RFC 5280 method-1 hash of its key.
 */
export function subjectKeyId(cert: forge.pki.Certificate): string {
  const ext = cert.getExtension("subjectKeyIdentifier") as { subjectKeyIdentifier?: string } | null;
  if (ext?.subjectKeyIdentifier) return forge.util.hexToBytes(ext.subjectKeyIdentifier);
  return cert.generateSubjectKeyIdentifier().getBytes();
}

/**
 * Why `cert` may not sign certificates at time `now`, or nothing. `source` names the file it
 * came from, so the message tells the operator which part of the `cacerts` Secret to fix.
 */
export function caCertificateProblems(source: string, pc: ParsedCertificate, now: Date): string[] {
  const problems: string[] = [];
  const what = `${source}: certificate "${describeName(pc.cert.subject)}"`;
  const bc = pc.cert.getExtension("basicConstraints") as { cA?: boolean } | null;
  if (!bc?.cA) {
    problems.push(
      `${what} is not a CA certificate: basicConstraints cA is not true (RFC 5280 §4.2.1.9)`,
    );
  }
  const ku = pc.cert.getExtension("keyUsage") as { keyCertSign?: boolean } | null;
  if (ku && !ku.keyCertSign) {
    problems.push(
      `${what} may not sign certificates: keyUsage lacks keyCertSign (RFC 5280 §4.2.1.3)`,
    );
  }
  problems.push(...validityProblems(what, pc.cert, now));
  return problems;
}

/** Whether `now` falls outside the certificate's validity window, said in words. */
export function validityProblems(what: string, cert: forge.pki.Certificate, now: Date): string[] {
  const { notBefore, notAfter } = cert.validity;
  if (now.getTime() < notBefore.getTime()) {
    return [`${what} is not valid until ${notBefore.toISOString()}`];
  }
  if (now.getTime() >= notAfter.getTime()) {
    return [`${what} expired at ${notAfter.toISOString()}`];
  }
  return [];
}

/** A distinguished name as `CN=…, O=…` for messages (empty subjects read as `(empty)`). */
export function describeName(name: forge.pki.Certificate["subject"]): string {
  const parts = name.attributes.map(a => `${a.shortName ?? a.name ?? a.type}=${String(a.value)}`);
  return parts.length > 0 ? parts.join(", ") : "(empty)";
}
