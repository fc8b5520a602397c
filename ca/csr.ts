import forge from "node-forge";
import { fail, ok, type Result } from "../mesh/result";
import { describeForgeError, pemBlocks, RSA_ONLY } from "./pem";
import { GENERAL_NAME } from "./profile";
import { spiffeUri, type WorkloadIdentity } from "./spiffe";
import { resolveTtl, type TtlPolicy } from "./ttl";

/**
 * Checking a certificate signing request (PKCS#10, RFC 2986) before anything is signed. Only two
 * things are taken from a CSR: its public key (after checking the CSR's self-signature proves
 * possession of the private key) and — solely to refuse a mismatch — the SANs it asks for. The
 * identity comes from the caller's token, never from the CSR (Istio's ca.proto: "the service
 * implementation is REQUIRED to verify the authenticated caller is authorized to all SANs in
 * the CSR"). Subject, other requested extensions and attributes are ignored, never copied.
 */

/** A CSR that passed every check, reduced to what issuance uses. */
export interface CheckedRequest {
  /** The public key to certify. */
  readonly publicKey: forge.pki.rsa.PublicKey;
  /** The lifetime to issue, in seconds (default applied, maximum enforced). */
  readonly ttlSeconds: number;
}

/** The smallest RSA key a workload may present (Istio's `MinimumRsaKeySize`). */
export const MIN_CSR_RSA_BITS = 2048;

/** The PEM labels a PKCS#10 request may carry (RFC 7468 §7; "NEW" is the legacy form). */
const CSR_LABELS = new Set(["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"]);

/**
 * Checks `csrPem` for `identity` with a requested lifetime. Every problem is reported; messages
 * name the field (`csr`, `validity_duration`) and never echo key material.
 */
export function checkCertificateRequest(
  csrPem: string,
  requestedTtlSeconds: number,
  identity: WorkloadIdentity,
  policy: TtlPolicy,
): Result<CheckedRequest> {
  const ttl = resolveTtl(requestedTtlSeconds, policy);
  const csr = parseCsr(csrPem);
  const errors = [...(ttl.ok ? [] : ttl.errors), ...(csr.ok ? [] : csr.errors)];
  if (csr.ok) errors.push(...sanProblems(csr.value, spiffeUri(identity)));
  if (!ttl.ok || !csr.ok || errors.length > 0) return fail(...errors);
  return ok({ publicKey: csr.value.publicKey as forge.pki.rsa.PublicKey, ttlSeconds: ttl.value });
}

/** Parses one PKCS#10 request and checks its key and self-signature. */
export function parseCsr(csrPem: string): Result<forge.pki.CertificateSigningRequest> {
  const blocks = pemBlocks("csr", csrPem);
  if (!blocks.ok) return blocks;
  if (blocks.value.length !== 1 || !CSR_LABELS.has(blocks.value[0]!.type)) {
    const types = blocks.value.map(b => `"${b.type}"`).join(", ") || "none";
    return fail(`csr: expected one CERTIFICATE REQUEST PEM block, found ${types}`);
  }
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = forge.pki.certificationRequestFromAsn1(forge.asn1.fromDer(blocks.value[0]!.body));
  } catch (e) {
    return fail(`csr: ${describeForgeError(e, "certificate request")}`);
  }
  const key = csr.publicKey as forge.pki.rsa.PublicKey | null;
  if (!key?.n) return fail(`csr: the public key is not RSA; ${RSA_ONLY}`);
  if (key.n.bitLength() < MIN_CSR_RSA_BITS) {
    return fail(`csr: RSA key of ${key.n.bitLength()} bits, at least ${MIN_CSR_RSA_BITS} required`);
  }
  let signed = false;
  try {
    signed = csr.verify();
  } catch {
    signed = false; // node-forge throws for signature algorithms it does not know
  }
  if (!signed) return fail("csr: its signature does not verify with its own public key");
  return ok(csr);
}

/** Every SAN the CSR asks for that is not `allowedUri`, as one message each. */
function sanProblems(csr: forge.pki.CertificateSigningRequest, allowedUri: string): string[] {
  const requested = requestedAltNames(csr);
  return requested
    .filter(n => !(n.type === GENERAL_NAME.uri && n.value === allowedUri))
    .map(
      n =>
        `csr: asks for SAN ${describeAltName(n)}; only URI:${allowedUri} ` +
        `(the identity of the caller's token) may be requested`,
    );
}

interface AltName {
  readonly type: number;
  readonly value?: string;
  readonly ip?: string;
}

/** The subjectAltName entries of the CSR's extensionRequest attribute (RFC 2985 §5.4.2). */
export function requestedAltNames(csr: forge.pki.CertificateSigningRequest): AltName[] {
  const attr = csr.getAttribute({ name: "extensionRequest" }) as {
    extensions?: Array<{ name?: string; altNames?: AltName[] }>;
  } | null;
  return (attr?.extensions ?? []).flatMap(e =>
    e.name === "subjectAltName" ? (e.altNames ?? []) : [],
  );
}

const ALT_NAME_LABEL: Record<number, string> = { 1: "email", 2: "DNS", 6: "URI", 7: "IP" };

function describeAltName(n: AltName): string {
  const label = ALT_NAME_LABEL[n.type] ?? `GeneralName[${n.type}]`;
  const raw = n.type === GENERAL_NAME.ip ? n.ip : n.value;
  const value = typeof raw === "string" ? raw : "(non-text value)";
  // The value is the caller's text: printable and bounded, so a log line stays a line.
  const shown = value.replace(/[^\x20-\x7e]/g, "?").slice(0, 200);
  return `${label}:${shown}`;
}
