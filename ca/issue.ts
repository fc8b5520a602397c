import forge from "node-forge";
import { fail, ok, type Result } from "../mesh/result";
import type { Authority } from "./authority";
import { checkCertificateRequest } from "./csr";
import type { IssueDeps } from "./deps";
import { GENERAL_NAME, leafExtensions, type LeafProfile } from "./profile";
import { certificateToPem } from "./pem";
import { randomSerial } from "./serial";
import { signCertificate } from "./sign";
import { spiffeUri, validateIdentity, type WorkloadIdentity } from "./spiffe";
import type { TtlPolicy } from "./ttl";

/**
 * Issuing leaf certificates: SPIFFE workload certificates from a CSR, and the control plane's
 * own serving certificate. Validity as Istio's `genCertTemplateFromCSR`: from two minutes before
 * `now` (clock skew between CA and workloads) to `now + ttl` — but never past the expiry of the
 * authority's chain, since a leaf cannot be trusted longer than its issuer.
 */

/** Backdating of notBefore, as Istio's `ClockSkewGracePeriod`. */
export const CLOCK_SKEW_SECONDS = 120;

/** A signed leaf, ready for `IstioCertificateResponse.cert_chain`. */
export interface IssuedCertificate {
  /** The leaf certificate alone. */
  readonly certPem: string;
  /** Leaf, then intermediates (nearest first), then the root: one PEM certificate each. */
  readonly certChain: readonly string[];
  /** The serial as lowercase hex. */
  readonly serialHex: string;
  /** Start of validity. */
  readonly notBefore: Date;
  /** End of validity (the requested TTL, capped at the authority's expiry). */
  readonly notAfter: Date;
}

/** A workload's request: its CSR, who its token says it is, and the lifetime it asks for. */
export interface WorkloadRequest {
  /** PEM PKCS#10 request; only its public key is certified. */
  readonly csrPem: string;
  /** The identity authenticated from the caller's token. */
  readonly identity: WorkloadIdentity;
  /** `validity_duration` in seconds; 0 or less asks for the default. */
  readonly requestedTtlSeconds: number;
}

/**
 * Issues the SPIFFE certificate for `request.identity`: exactly one SAN,
 * `spiffe://<td>/ns/<ns>/sa/<sa>`, for TLS client and server use. Refuses, with reasons, a bad
 * CSR, SANs other than that identity, and a TTL above the policy's maximum.
 */
export function issueWorkloadCertificate(
  authority: Authority,
  request: WorkloadRequest,
  policy: TtlPolicy,
  deps: IssueDeps,
): Result<IssuedCertificate> {
  const identity = validateIdentity(request.identity);
  if (!identity.ok) return fail(...identity.errors.map(e => `identity: ${e}`));
  const checked = checkCertificateRequest(
    request.csrPem,
    request.requestedTtlSeconds,
    identity.value,
    policy,
  );
  if (!checked.ok) return checked;
  return signLeaf(authority, checked.value.publicKey, checked.value.ttlSeconds, deps, {
    altNames: [{ type: GENERAL_NAME.uri, value: spiffeUri(identity.value) }],
    clientAuth: true,
    issuerKeyId: authority.keyId,
  });
}

/** The control plane's serving certificate request. */
export interface ServingRequest {
  /** The server's public key (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY` PEM). */
  readonly publicKeyPem: string;
  /** DNS names to certify, e.g. `istiod.istio-system.svc`. */
  readonly dnsNames: readonly string[];
  /** Lifetime in seconds. */
  readonly ttlSeconds: number;
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Issues a TLS server certificate for the control plane's own Services (istiod serves 15012 with
 * a certificate from its own CA, so workloads trust it through the mesh root).
 */
export function issueServingCertificate(
  authority: Authority,
  request: ServingRequest,
  deps: IssueDeps,
): Result<IssuedCertificate> {
  const errors = request.dnsNames
    .filter(n => !DNS_NAME.test(n))
    .map(n => `dnsNames: "${n}" is not a lowercase RFC 1123 DNS name`);
  if (request.dnsNames.length === 0) errors.push("dnsNames: at least one name is required");
  if (!(Number.isInteger(request.ttlSeconds) && request.ttlSeconds > 0)) {
    errors.push(`ttlSeconds: ${request.ttlSeconds} is not a positive whole number`);
  }
  let publicKey: forge.pki.rsa.PublicKey | undefined;
  try {
    publicKey = forge.pki.publicKeyFromPem(request.publicKeyPem);
  } catch {
    errors.push("publicKeyPem: not an RSA public key in PEM");
  }
  if (errors.length > 0 || !publicKey) return fail(...errors);
  return signLeaf(authority, publicKey, request.ttlSeconds, deps, {
    altNames: request.dnsNames.map(value => ({ type: GENERAL_NAME.dns, value })),
    clientAuth: false,
    issuerKeyId: authority.keyId,
  });
}

function signLeaf(
  authority: Authority,
  publicKey: forge.pki.rsa.PublicKey,
  ttlSeconds: number,
  deps: IssueDeps,
  profile: LeafProfile,
): Result<IssuedCertificate> {
  const now = deps.now();
  if (now.getTime() >= authority.notAfter.getTime()) {
    return fail(`authority: its chain expired at ${authority.notAfter.toISOString()}`);
  }
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerial(deps.randomBytes);
  cert.validity.notBefore = new Date(now.getTime() - CLOCK_SKEW_SECONDS * 1000);
  cert.validity.notAfter = new Date(
    Math.min(now.getTime() + ttlSeconds * 1000, authority.notAfter.getTime()),
  );
  cert.setSubject([]);
  // Copies: node-forge fills in missing fields of the attributes it is given.
  cert.setIssuer(authority.signing.cert.subject.attributes.map(a => ({ ...a })));
  cert.setExtensions(leafExtensions(profile));
  signCertificate(cert, authority.sign);
  const certPem = certificateToPem(cert);
  return ok({
    certPem,
    certChain: [certPem, ...authority.chainPem, authority.rootPem],
    serialHex: cert.serialNumber.replace(/^00/, ""),
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
  });
}
