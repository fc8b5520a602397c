/**
 * Validation of a fetched JWKS document before the control plane inlines it into `jwt_authn`
 * (`local_jwks.inline_string`). Pure: no I/O, no clock.
 *
 * Envoy rejects a listener whose inline JWKS does not parse, and would accept a set holding a
 * private key — which would then be pushed to every proxy. So the control plane checks both
 * here, once, and ships only what passes.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5 (JWK Set format)
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-6 (private key members per key type)
 */
import { createPublicKey } from "node:crypto";
import { createLocalJWKSet, type JSONWebKeySet } from "jose";

/** `{ ok, value }` or the reasons the document was refused (never its contents). */
export type JwksParseResult =
  | { readonly ok: true; readonly value: string; readonly keyCount: number }
  | { readonly ok: false; readonly errors: readonly string[] };

/**
 * Members that only a private (or symmetric, i.e. secret) key carries. RFC 7518 §6.2.2, §6.3.2,
 * §6.4.1; RFC 8037 §2 uses `d` for OKP too.
 */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

/** Key types Envoy's jwt_verify_lib verifies with a public key. */
const PUBLIC_KEY_TYPES = new Set(["RSA", "EC", "OKP"]);

/**
 * Checks that `text` is a JWK Set of public verification keys and returns it re-serialised (so
 * what is inlined is exactly what was checked). Refuses: non-JSON, no `keys` array, an empty
 * set, any private or symmetric key (`oct` keys are shared secrets), a key type Envoy cannot use
 * with a public key, and a key that does not import as a public key.
 */
export function parseJwksDocument(text: string): JwksParseResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // The parser's message quotes the body; keep it out of logs.
    return { ok: false, errors: ["body is not JSON"] };
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    return { ok: false, errors: ["body is not a JWK Set (not a JSON object)"] };
  }
  try {
    // jose's own shape check: `keys` is an array of objects.
    createLocalJWKSet(doc as JSONWebKeySet);
  } catch {
    return { ok: false, errors: ['body is not a JWK Set (no "keys" array of objects)'] };
  }
  const keys = (doc as JSONWebKeySet).keys;
  if (keys.length === 0) return { ok: false, errors: ["JWK Set has no keys"] };
  const errors: string[] = [];
  keys.forEach((key, i) => {
    const at = `keys[${i}]${typeof key.kid === "string" ? ` (kid ${JSON.stringify(key.kid)})` : ""}`;
    const secret = PRIVATE_MEMBERS.filter(m => m in key);
    if (secret.length > 0) {
      errors.push(
        `${at}: is a private or secret key (has ${secret.join(", ")}); a JWKS must hold only public keys`,
      );
      return;
    }
    if (typeof key.kty !== "string" || !PUBLIC_KEY_TYPES.has(key.kty)) {
      errors.push(`${at}: kty ${JSON.stringify(key.kty)} is not one of RSA, EC, OKP`);
      return;
    }
    try {
      createPublicKey({ key: key as import("node:crypto").JsonWebKey, format: "jwk" });
    } catch {
      errors.push(`${at}: is not a valid ${key.kty} public key`);
    }
  });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: JSON.stringify(doc), keyCount: keys.length };
}
