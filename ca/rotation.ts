import { fail, ok, type Result } from "../mesh/result";
import { readCertificates, readOneCertificate } from "./pem";
import type { TtlPolicy } from "./ttl";

/**
 * Rotation arithmetic, free of timers: the caller's scheduler asks these functions at a time it
 * chooses. Workload certificates are reissued at half-life (Istio's agent uses a 50% grace
 * period plus jitter, `SECRET_GRACE_PERIOD_RATIO`); a new root is published next to the old one
 * until nothing signed under the old root can still be valid.
 */

/** A certificate's validity window (RFC 5280 §4.1.2.5). */
export interface Validity {
  /** First instant of validity. */
  readonly notBefore: Date;
  /** Last instant of validity. */
  readonly notAfter: Date;
}

/** The validity of the one certificate in `certPem`. */
export function validityOf(certPem: string, source = "certificate"): Result<Validity> {
  const parsed = readOneCertificate(source, certPem);
  if (!parsed.ok) return parsed;
  const { notBefore, notAfter } = parsed.value.cert.validity;
  return ok({ notBefore, notAfter });
}

/** The midpoint of the validity window: when a certificate should be reissued. */
export function halfLife(v: Validity): Date {
  return new Date(v.notBefore.getTime() + (v.notAfter.getTime() - v.notBefore.getTime()) / 2);
}

/** Whether `at` is at or after the midpoint of the certificate's validity. */
export function pastHalfLife(v: Validity, at: Date): boolean {
  return at.getTime() >= halfLife(v).getTime();
}

/**
 * Whether the certificate is no longer valid at `at`. RFC 5280 counts notAfter itself as valid,
 * but OpenSSL and BoringSSL (Envoy) treat it as expired (`X509_cmp_time` returns "earlier" for
 * equal times); rotation follows the data plane, so notAfter counts as expired.
 */
export function isExpired(v: Validity, at: Date): boolean {
  return at.getTime() >= v.notAfter.getTime();
}

/** The roots to publish: the current root and those it replaced. */
export interface RootSet {
  /** The root new certificates chain to (PEM; may hold several). */
  readonly current: string;
  /** Roots it replaced whose certificates may still be in use (PEM each; may be empty). */
  readonly previous: readonly string[];
}

/**
 * The trust bundle for `istio-ca-root-cert` during a root rotation: current roots first, then
 * previous ones, each certificate once (by DER), without any that expired before `at` — an
 * expired root verifies nothing and only grows every ConfigMap.
 */
export function rootTrustBundle(roots: RootSet, at: Date): Result<string[]> {
  const current = readCertificates("current root", roots.current);
  const previous = roots.previous.map((pem, i) => readCertificates(`previous root ${i + 1}`, pem));
  const errors = [current, ...previous].flatMap(r => (r.ok ? [] : r.errors));
  if (!current.ok || errors.length > 0) return fail(...errors);
  const seen = new Set<string>();
  const bundle: string[] = [];
  for (const r of [current, ...previous]) {
    for (const c of r.ok ? r.value : []) {
      if (seen.has(c.fingerprint) || isExpired(c.cert.validity, at)) continue;
      seen.add(c.fingerprint);
      bundle.push(c.pem);
    }
  }
  return ok(bundle);
}

/**
 * When a replaced root may leave the bundle: every certificate signed under it was issued before
 * `rotatedAt` and lives at most the policy's maximum TTL, so after `rotatedAt + maxTtl` none is
 * left. (Reissue at half-life usually replaces them far sooner; this is the bound.)
 */
export function previousRootRetiresAt(rotatedAt: Date, policy: TtlPolicy): Date {
  return new Date(rotatedAt.getTime() + policy.maxTtlSeconds * 1000);
}
