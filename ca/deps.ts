/**
 * What the authority is handed instead of reaching for it: the clock, randomness, key generation
 * and the RSA private-key operation. `ca/` stays pure and deterministic under test; the runtime
 * wiring (Node's `crypto`) lives in `ca/server/node-crypto.ts`.
 */

/** Reads the current time. The authority never calls `Date.now()` itself. */
export type Clock = () => Date;

/** Returns `n` cryptographically secure random bytes (the caller passes `crypto.randomBytes`). */
export type RandomBytes = (n: number) => Uint8Array;

/**
 * Signs `data` with RSASSA-PKCS1-v1_5 over SHA-256 (RFC 8017 §8.2; `sha256WithRSAEncryption`,
 * RFC 4055 §5), the one signature algorithm the authority writes. PKCS#1 v1.5 is deterministic, so
 * every correct implementation returns the same bytes for the same key and data — which is how
 * the tests prove the Node signer and the node-forge signer interchangeable.
 *
 * Both implementations blind the private-key operation with randomness of their own (OpenSSL's
 * RNG; node-forge's `forge.random`, seeded from the platform) against timing attacks on RSA-CRT.
 * That randomness cannot reach the output, so signing stays a pure function of key and data; it
 * is the one draw on randomness `ca/` does not take from {@link RandomBytes}.
 */
export type Signer = (data: Uint8Array) => Uint8Array;

/**
 * Makes a {@link Signer} for an RSA private key in PEM. Injected because pure-JS node-forge signs
 * about 15 certificates/s with RSA 2048 where Node's native `crypto.sign` does well over 1,000/s
 * on the same machine (see `bench/ca.bench.ts`).
 */
export type SignerFactory = (privateKeyPem: string) => Signer;

/**
 * Generates a fresh RSA key pair and returns the private key as PEM (PKCS#1 or PKCS#8).
 * Injected because pure-JS node-forge takes from under one to about ten seconds for RSA 2048
 * (prime search is random), blocking the event loop, where Node's native
 * `generateKeyPairSync` takes about 100 ms.
 */
export type KeyGenerator = () => string;

/** The dependencies every issuing operation needs. */
export interface IssueDeps {
  /** The current time; validity windows are computed from it. */
  readonly now: Clock;
  /** Source of certificate serial numbers. */
  readonly randomBytes: RandomBytes;
}
