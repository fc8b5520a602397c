import forge from "node-forge";
import { fromForgeBytes, toForgeBytes } from "./bytes";
import type { KeyGenerator, RandomBytes, Signer, SignerFactory } from "./deps";

/**
 * Signing certificates: node-forge builds the TBSCertificate (RFC 5280 §4.1) and an injected
 * {@link Signer} performs the RSA private-key operation, so the slow pure-JS step can be swapped
 * for Node's native one without changing a byte of the output.
 */

/** The signature algorithm written into every certificate: sha256WithRSAEncryption. */
const DIGEST = "sha256";

/** Anything node-forge signs with `(key, md)`: certificates and certification requests. */
export interface ForgeSignable {
  sign(key: forge.pki.rsa.PrivateKey, md: forge.md.MessageDigest): void;
}

/**
 * Signs a certificate (or CSR) in place with `sign`. node-forge's own `sign(key, md)` encodes the
 * to-be-signed structure, feeds its DER to `md.update` and hands `md` to `key.sign`; recording
 * what reaches `update` gives us the exact bytes to sign while the algorithm identifiers and the
 * final encoding stay node-forge's.
 */
export function signCertificate(target: ForgeSignable, sign: Signer): void {
  let tbs = "";
  const recorder = {
    algorithm: DIGEST,
    update(bytes: string) {
      tbs += bytes;
      return recorder;
    },
  };
  const key = { sign: () => toForgeBytes(sign(fromForgeBytes(tbs))) };
  target.sign(
    key as unknown as forge.pki.rsa.PrivateKey,
    recorder as unknown as forge.md.MessageDigest,
  );
  // node-forge keeps `md` for later verification of this object; the recorder cannot digest.
  (target as unknown as { md: unknown }).md = null;
}

/**
 * A pure-JS {@link SignerFactory}: RSASSA-PKCS1-v1_5 / SHA-256 with node-forge. Correct
 * everywhere, slow (about 15 signatures/s for RSA 2048): the default when nothing faster is
 * injected. Throws (a programmer error) when the PEM is not an RSA private key; the authority
 * has checked its key before it makes a signer.
 */
export const forgeSigner: SignerFactory = (privateKeyPem: string): Signer => {
  const key = forge.pki.privateKeyFromPem(privateKeyPem);
  return data => {
    const md = forge.md.sha256.create().update(toForgeBytes(data));
    return fromForgeBytes(key.sign(md));
  };
};

/**
 * A pure-JS {@link KeyGenerator} drawing only from the injected randomness, so it is
 * deterministic under a seeded `randomBytes`. Slow for RSA 2048 (measured 0.7–9 s on this
 * machine, the prime search being random), so production injects Node's native generator
 * instead; this one exists for environments without it and for tests.
 */
export function forgeKeyGenerator(randomBytes: RandomBytes, bits = 2048): KeyGenerator {
  const prng = { getBytesSync: (n: number) => toForgeBytes(randomBytes(n)) };
  return () => {
    // Passing `prng` also stops node-forge from silently delegating to Node's own generator.
    const pair = forge.pki.rsa.generateKeyPair({ bits, e: 0x10001, prng });
    return forge.pki.privateKeyToPem(pair.privateKey);
  };
}

/** The RSA public key of a private key (n and e are both in the private key, RFC 8017 §3.2). */
export function publicKeyOf(key: forge.pki.rsa.PrivateKey): forge.pki.rsa.PublicKey {
  return forge.pki.setRsaPublicKey(key.n, key.e);
}

/** Whether a private key and a public key are the two halves of one RSA key pair. */
export function keysMatch(key: forge.pki.rsa.PrivateKey, pub: forge.pki.PublicKey): boolean {
  const rsa = pub as Partial<forge.pki.rsa.PublicKey>;
  return rsa.n !== undefined && rsa.e !== undefined && key.n.equals(rsa.n) && key.e.equals(rsa.e);
}
