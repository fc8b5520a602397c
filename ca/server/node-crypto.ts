import { createPrivateKey, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import type { Clock, KeyGenerator, RandomBytes, SignerFactory } from "../deps";

/**
 * The runtime's side of the authority's injected dependencies, on Node's native `crypto`. The
 * pure `ca/` core never imports this; the process that runs the CA (and tests that want speed)
 * pass these in.
 */

/** The wall clock. */
export const systemClock: Clock = () => new Date();

/** Node's CSPRNG. */
export const systemRandomBytes: RandomBytes = n => randomBytes(n);

/**
 * RSA key generation in OpenSSL: about 100 ms for 2048 bits here, against 0.7–9 s for pure-JS
 * node-forge. PKCS#8 PEM, which node-forge and OpenSSL both read.
 */
export function nodeKeyGenerator(bits = 2048): KeyGenerator {
  return () =>
    generateKeyPairSync("rsa", {
      modulusLength: bits,
      publicExponent: 0x10001,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    }).privateKey;
}

/**
 * RSASSA-PKCS1-v1_5 / SHA-256 in OpenSSL: byte-identical to the node-forge signer (the scheme
 * is deterministic) and about two orders of magnitude faster for RSA 2048.
 */
export const nodeSigner: SignerFactory = privateKeyPem => {
  const key = createPrivateKey(privateKeyPem);
  return data => new Uint8Array(sign("sha256", data, key));
};

/** Everything at once, for wiring a CA in a real process. */
export const nodeCaDeps = {
  now: systemClock,
  randomBytes: systemRandomBytes,
  signerFor: nodeSigner,
  generateKey: nodeKeyGenerator(),
} as const;
