import forge from "node-forge";
import { fail, ok, type Result } from "../mesh/result";
import { sha1Hex } from "./bytes";
import { buildIssuerPath } from "./chain";
import type { Clock, Signer, SignerFactory } from "./deps";
import {
  readCertificates,
  readOneCertificate,
  readRsaPrivateKey,
  type ParsedCertificate,
} from "./pem";
import { subjectKeyId } from "./profile";
import { SecretPem } from "./secret-pem";
import { forgeSigner, keysMatch } from "./sign";

/**
 * The signing authority, loaded from the four files of Istio's `cacerts` Secret (or of the
 * Secret a self-signed root is persisted in — same keys, so one loader serves both):
 * https://istio.io/latest/docs/tasks/security/cert-management/plugin-ca-cert/ and istio/istio
 * `security/pkg/pki/ca/ca.go` (`NewPluggedCertIstioCAOptions`).
 */

/** The signing certificate (`ca-cert.pem`). */
export const CA_CERT_FILE = "ca-cert.pem";
/** The signing certificate's private key (`ca-key.pem`). */
export const CA_KEY_FILE = "ca-key.pem";
/** The trusted root(s) (`root-cert.pem`); more than one during a root rotation. */
export const ROOT_CERT_FILE = "root-cert.pem";
/** Intermediates from the signing certificate to the root (`cert-chain.pem`); empty for a root. */
export const CERT_CHAIN_FILE = "cert-chain.pem";

/** The files of a CA Secret, as PEM text; absent keys are absent files. */
export interface AuthorityFiles {
  readonly [CA_CERT_FILE]?: string;
  readonly [CA_KEY_FILE]?: string;
  readonly [ROOT_CERT_FILE]?: string;
  readonly [CERT_CHAIN_FILE]?: string;
}

/** A loaded, checked authority: everything issuing needs, and nothing that prints its key. */
export interface Authority {
  /** The certificate that signs workload certificates. */
  readonly signing: ParsedCertificate;
  /** Its private key (redacted when printed). */
  readonly key: SecretPem;
  /**
   * Certificates sent after a leaf, nearest first, excluding the root: the signing certificate
   * and intermediates, or nothing when the signing certificate is the root.
   */
  readonly chainPem: readonly string[];
  /** The root the chain leads to. */
  readonly rootPem: string;
  /** Every root of `root-cert.pem` (the trust bundle workloads should accept). */
  readonly trustBundlePem: readonly string[];
  /** The earliest expiry along the path; no leaf may outlive it. */
  readonly notAfter: Date;
  /** The authority key identifier leaves carry (forge binary string). */
  readonly keyId: string;
  /** Signs TBSCertificates with {@link Authority.key}. */
  readonly sign: Signer;
}

/** What loading needs: the time (validity is checked) and optionally a faster signer. */
export interface LoadDeps {
  /** The current time, to refuse an expired or not-yet-valid CA. */
  readonly now: Clock;
  /** Makes the signer; defaults to pure-JS node-forge. */
  readonly signerFor?: SignerFactory;
}

/**
 * Loads and checks an authority. Refuses (with every problem, each naming its file) malformed
 * PEM, a key that is not RSA ≥ 2048 or does not match `ca-cert.pem`, a signing certificate or
 * intermediate that is not a CA, anything expired, and a chain that does not lead to a root
 * in `root-cert.pem`. The caller keeps its previous authority when this fails.
 */
export function loadAuthority(files: AuthorityFiles, deps: LoadDeps): Result<Authority> {
  const signing = readOneCertificate(CA_CERT_FILE, files[CA_CERT_FILE]);
  const key = readRsaPrivateKey(CA_KEY_FILE, files[CA_KEY_FILE]);
  const roots = readCertificates(ROOT_CERT_FILE, files[ROOT_CERT_FILE]);
  const pool = readCertificates(CERT_CHAIN_FILE, files[CERT_CHAIN_FILE], true);
  const errors = [signing, key, roots, pool].flatMap(r => (r.ok ? [] : r.errors));
  if (!signing.ok || !key.ok || !roots.ok || !pool.ok) return fail(...errors);

  errors.push(...keyProblems(key.value, signing.value));
  errors.push(...issuerNameProblems(signing.value));
  const now = deps.now();
  const path = buildIssuerPath(signing.value, pool.value, roots.value, now, {
    signing: CA_CERT_FILE,
    pool: CERT_CHAIN_FILE,
    roots: ROOT_CERT_FILE,
  });
  if (!path.ok) errors.push(...path.errors);
  if (errors.length > 0 || !path.ok) return fail(...errors);

  const keyPem = files[CA_KEY_FILE]!;
  const expiries = [...path.value.chain, path.value.root].map(c => c.cert.validity.notAfter);
  return ok({
    signing: signing.value,
    key: new SecretPem(keyPem),
    chainPem: path.value.chain.map(c => c.pem),
    rootPem: path.value.root.pem,
    trustBundlePem: roots.value.map(c => c.pem),
    notAfter: new Date(Math.min(...expiries.map(d => d.getTime()))),
    keyId: subjectKeyId(signing.value.cert),
    sign: (deps.signerFor ?? forgeSigner)(keyPem),
  });
}

/** The outcome of reloading: the authority to serve with, and why the new files were refused. */
export interface Reload {
  /** The new authority, or the previous one when the new files were refused. */
  readonly authority: Authority | undefined;
  /** Every problem with the new files; empty when they were accepted. */
  readonly errors: readonly string[];
}

/**
 * Loads `files` to replace `previous`. When the new files are refused the previous authority
 * stays in service (a typo in `cacerts` must not stop certificate issuance) and the errors say
 * why, so the caller can report them.
 */
export function reloadAuthority(
  previous: Authority | undefined,
  files: AuthorityFiles,
  deps: LoadDeps,
): Reload {
  const next = loadAuthority(files, deps);
  return next.ok
    ? { authority: next.value, errors: [] }
    : { authority: previous, errors: next.errors };
}

/** The Secret files of an authority, for persisting a generated root or re-publishing. */
export function authorityFiles(authority: Authority): Required<AuthorityFiles> {
  return {
    [CA_CERT_FILE]: authority.signing.pem,
    [CA_KEY_FILE]: authority.key.reveal(),
    [ROOT_CERT_FILE]: authority.trustBundlePem.join(""),
    [CERT_CHAIN_FILE]: authority.chainPem.join(""),
  };
}

const MIN_RSA_BITS = 2048;

function keyProblems(key: forge.pki.rsa.PrivateKey, signing: ParsedCertificate): string[] {
  const problems: string[] = [];
  if (key.n.bitLength() < MIN_RSA_BITS) {
    problems.push(
      `${CA_KEY_FILE}: RSA key of ${key.n.bitLength()} bits, at least ${MIN_RSA_BITS} required`,
    );
  }
  if (!keysMatch(key, signing.cert.publicKey)) {
    problems.push(`${CA_KEY_FILE}: does not match the public key of ${CA_CERT_FILE}`);
  }
  return problems;
}

/**
 * Leaves name their issuer by re-encoding the signing certificate's subject. Verifiers that
 * compare names byte for byte (Go's crypto/x509) need that encoding identical to the original;
 * node-forge reproduces the string types it parsed, but not, for instance, multi-valued RDNs.
 * Refusing such a CA at load beats issuing certificates some clients cannot chain.
 */
function issuerNameProblems(signing: ParsedCertificate): string[] {
  const subject = signing.cert.subject as { hash?: string } & typeof signing.cert.subject;
  const reencoded = forge.asn1.toDer(forge.pki.distinguishedNameToAsn1(subject)).getBytes();
  if (subject.hash && sha1Hex(reencoded) !== subject.hash) {
    return [
      `${CA_CERT_FILE}: its subject name cannot be re-encoded byte for byte by node-forge ` +
        `(multi-valued RDN?); leaves would not chain to it`,
    ];
  }
  return [];
}
