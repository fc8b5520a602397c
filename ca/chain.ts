import { fail, ok, type Result } from "../mesh/result";
import type { ParsedCertificate } from "./pem";
import { caCertificateProblems, describeName } from "./profile";

/**
 * Checking that the signing certificate leads to a trusted root, as Istio's
 * `KeyCertBundle.Verify` does with Go's `x509.Verify` (istio/istio
 * `security/pkg/pki/util/keycertbundle.go`), but by building the path ourselves so the error
 * says which link is missing and which file it should have come from.
 */

/** The verified path from the signing certificate to a root. */
export interface IssuerPath {
  /**
   * The certificates a leaf must be sent with, nearest first: the signing certificate and the
   * intermediates above it. Empty when the signing certificate is itself a root.
   */
  readonly chain: readonly ParsedCertificate[];
  /** The root of `root-cert.pem` the path ends at. */
  readonly root: ParsedCertificate;
}

/** The file names of the `cacerts` Secret, so messages point at the right one. */
export interface PathSources {
  /** Where the signing certificate came from (`ca-cert.pem`). */
  readonly signing: string;
  /** Where intermediates came from (`cert-chain.pem`). */
  readonly pool: string;
  /** Where the trusted roots came from (`root-cert.pem`). */
  readonly roots: string;
}

/** Longest chain we will walk; real meshes have one or two intermediates. */
const MAX_DEPTH = 8;

/**
 * Finds and checks the path `signing → pool… → one of roots` at time `now`. `pool` may contain
 * the signing certificate and the root themselves (Istio's `cert-chain.pem` convention is
 * `ca-cert.pem` + intermediates + root); duplicates are skipped.
 */
export function buildIssuerPath(
  signing: ParsedCertificate,
  pool: readonly ParsedCertificate[],
  roots: readonly ParsedCertificate[],
  now: Date,
  sources: PathSources,
): Result<IssuerPath> {
  const problems = caCertificateProblems(sources.signing, signing, now);
  const chain: ParsedCertificate[] = [];
  const seen = new Set<string>();
  let current = signing;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const selfRoot = roots.find(r => r.fingerprint === current.fingerprint);
    if (selfRoot) return settle(problems, { chain, root: selfRoot });
    chain.push(current);
    seen.add(current.fingerprint);
    const root = roots.find(r => issued(r, current));
    if (root) {
      problems.push(...caCertificateProblems(sources.roots, root, now));
      return settle(problems, { chain, root });
    }
    const next = pool.find(c => !seen.has(c.fingerprint) && issued(c, current));
    if (!next && issued(current, current)) {
      return fail(
        ...problems,
        `${sources.pool}: leads to the root "${describeName(current.cert.subject)}", ` +
          `which is not in ${sources.roots}`,
      );
    }
    if (!next) {
      return fail(
        ...problems,
        `${sources.pool}: no path from ${sources.signing} to ${sources.roots}: ` +
          `nothing in ${sources.pool} or ${sources.roots} issued "${describeName(current.cert.subject)}" ` +
          `(its issuer is "${describeName(current.cert.issuer)}", or the signature does not verify)`,
      );
    }
    problems.push(...caCertificateProblems(sources.pool, next, now));
    current = next;
  }
  return fail(...problems, `${sources.pool}: path longer than ${MAX_DEPTH} certificates`);
}

function settle(problems: string[], path: IssuerPath): Result<IssuerPath> {
  return problems.length > 0 ? fail(...problems) : ok(path);
}

/** Whether `parent` issued `child`: names chain and the signature verifies. */
export function issued(parent: ParsedCertificate, child: ParsedCertificate): boolean {
  if (!parent.cert.issued(child.cert)) return false;
  try {
    return parent.cert.verify(child.cert);
  } catch {
    return false; // node-forge throws for signature algorithms it does not know
  }
}
