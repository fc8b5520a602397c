import forge from "node-forge";
import { fail, type Result } from "../mesh/result";
import {
  CA_CERT_FILE,
  CA_KEY_FILE,
  CERT_CHAIN_FILE,
  ROOT_CERT_FILE,
  loadAuthority,
  type Authority,
  type AuthorityFiles,
} from "./authority";
import type { Clock, KeyGenerator, RandomBytes, SignerFactory } from "./deps";
import { CLOCK_SKEW_SECONDS } from "./issue";
import { caExtensions } from "./profile";
import { certificateToPem } from "./pem";
import { randomSerial } from "./serial";
import { forgeSigner, publicKeyOf, signCertificate } from "./sign";
import { DEFAULT_TRUST_DOMAIN } from "./spiffe";

/**
 * A self-signed root, made when no `cacerts` Secret exists. The caller persists
 * {@link SelfSignedRoot.files} in a Secret so a restart keeps the same root — as istiod does with
 * `istio-ca-secret` (istio/istio `security/pkg/pki/ca/ca.go`, `NewSelfSignedIstioCAOptions`).
 */

/** Istio's default self-signed root lifetime (`CITADEL_SELF_SIGNED_CA_CERT_TTL`): 10 years. */
export const DEFAULT_ROOT_TTL_SECONDS = 10 * 365 * 24 * 3600;

/** What to make the root from. */
export interface SelfSignedRootOptions {
  /** Organization of the root's subject; Istio uses the trust domain. */
  readonly trustDomain?: string;
  /** Root lifetime in seconds. @default DEFAULT_ROOT_TTL_SECONDS */
  readonly ttlSeconds?: number;
  /**
   * A fresh key from this generator, or an existing private key PEM: re-signing the same key
   * with the same subject (how Istio's root rotator renews) makes a root that still verifies
   * every certificate the old one issued.
   */
  readonly key: KeyGenerator | string;
  /** The current time; the root is valid from {@link CLOCK_SKEW_SECONDS} before it. */
  readonly now: Clock;
  /** Source of the serial number. */
  readonly randomBytes: RandomBytes;
  /** Makes the signer; defaults to pure-JS node-forge. */
  readonly signerFor?: SignerFactory;
}

/** A new root: the checked authority and the files to persist. */
export interface SelfSignedRoot {
  /** The authority, loaded through the same checks as a plug-in CA. */
  readonly authority: Authority;
  /** The Secret files: the root is both `ca-cert.pem` and `root-cert.pem`; the chain is empty. */
  readonly files: Required<AuthorityFiles>;
}

/** Makes a self-signed root CA. Errors only if the generated material fails its own checks. */
export function createSelfSignedRoot(options: SelfSignedRootOptions): Result<SelfSignedRoot> {
  const keyPem = typeof options.key === "string" ? options.key : options.key();
  const key = forge.pki.privateKeyFromPem(keyPem);
  const now = options.now();
  const ttl = options.ttlSeconds ?? DEFAULT_ROOT_TTL_SECONDS;
  if (!(ttl > 0)) throw new Error(`root ttlSeconds must be positive, got ${ttl}`);

  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKeyOf(key);
  cert.serialNumber = randomSerial(options.randomBytes);
  // Backdated like a leaf: another replica whose clock is a little behind must load it too.
  cert.validity.notBefore = new Date(now.getTime() - CLOCK_SKEW_SECONDS * 1000);
  cert.validity.notAfter = new Date(now.getTime() + ttl * 1000);
  const name = [{ shortName: "O", value: options.trustDomain ?? DEFAULT_TRUST_DOMAIN }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions(caExtensions());
  const signerFor = options.signerFor ?? forgeSigner;
  signCertificate(cert, signerFor(keyPem));

  const certPem = certificateToPem(cert);
  const files = {
    [CA_CERT_FILE]: certPem,
    [CA_KEY_FILE]: keyPem,
    [ROOT_CERT_FILE]: certPem,
    [CERT_CHAIN_FILE]: "",
  };
  const authority = loadAuthority(files, { now: () => now, signerFor });
  if (!authority.ok) return fail(...authority.errors.map(e => `generated root: ${e}`));
  return { ok: true, value: { authority: authority.value, files } };
}
