/**
 * Inline JWKS (`jwtRules[].jwks`) read as Istio reads it: jwk.Parse of lestrrat-go/jwx v1, the
 * library behind validateJwtRule. It takes a key set (`{"keys": [...]}`) or one bare key, decodes
 * only the first JSON value of the text, and checks each key's members by type: the required
 * ones, strings where strings belong, base64 for key material, X.509 DER in `x5c`.
 */
import { X509Certificate } from "node:crypto";

/** The members of one key type: the byte-valued ones and the required ones. */
interface KeyShape {
  readonly bytes: readonly string[];
  readonly required: readonly string[];
}

const SHAPES: Readonly<Record<string, { public: KeyShape; private: KeyShape }>> = {
  RSA: {
    public: { bytes: ["e", "n"], required: ["e", "n"] },
    private: { bytes: ["d", "dp", "dq", "e", "n", "p", "q", "qi"], required: ["d", "e", "n"] },
  },
  EC: {
    public: { bytes: ["x", "y"], required: ["crv", "x", "y"] },
    private: { bytes: ["d", "x", "y"], required: ["crv", "d", "x", "y"] },
  },
  OKP: {
    public: { bytes: ["x"], required: ["crv", "x"] },
    private: { bytes: ["d", "x"], required: ["crv", "d", "x"] },
  },
  oct: {
    public: { bytes: ["k"], required: ["k"] },
    private: { bytes: ["k"], required: ["k"] },
  },
};

// Members every key type reads as strings (crv only EC and OKP keys).
const STRINGS = ["alg", "kid", "use", "x5t", "x5t#S256", "x5u"];

/**
 * jwx's base64 decoding: URL or standard alphabet by whether `+` or `/` occurs, padded or raw by
 * whether the text ends in `=`; Go's decoder skips CR and LF.
 */
export function jwxBase64(text: string): Buffer | undefined {
  const s = text.replace(/[\r\n]/g, "");
  const url = !/[+/]/.test(text);
  const a = url ? "[A-Za-z0-9_-]" : "[A-Za-z0-9+/]";
  const ok = text.endsWith("=")
    ? new RegExp(`^(?:${a}{4})*(?:${a}{2}==|${a}{3}=)$`).test(s)
    : new RegExp(`^${a}*$`).test(s) && s.length % 4 !== 1;
  return ok ? Buffer.from(s, url ? "base64url" : "base64") : undefined;
}

/** The end of the JSON value starting at `i` (after whitespace), or -1 when there is none. */
function valueEnd(s: string, start: number): number {
  let i = start;
  while (/\s/.test(s[i] ?? "")) i++;
  let depth = 0;
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === "\\") i++;
      if (depth === 0) return i + 1;
    } else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      if (--depth === 0) return i + 1;
    } else if (depth === 0) {
      const m = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/.exec(s.slice(i));
      return m ? i + m[0].length : -1;
    }
  }
  return -1;
}

/** Parses the first JSON value of `text`, as Go's json.Decoder does; throws as JSON.parse. */
function parseFirstValue(text: string): unknown {
  const end = valueEnd(text, 0);
  if (end > 0) {
    try {
      return JSON.parse(text.slice(0, end));
    } catch {
      // fall through: JSON.parse of the whole text gives the error to report
    }
  }
  return JSON.parse(text);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A member as Go's encoding/json finds it for a struct field: exact name, else any case. */
function member(obj: Record<string, unknown>, name: string): unknown {
  if (name in obj) return obj[name];
  const key = Object.keys(obj).find(k => k.toLowerCase() === name);
  return key === undefined ? undefined : obj[key];
}

/** What is wrong with one key, or undefined when jwx reads it. */
function keyError(key: unknown): string | undefined {
  if (!isObject(key)) return "a key must be a JSON object";
  const kty = member(key, "kty");
  if (kty !== undefined && kty !== null && typeof kty !== "string") return `kty must be a string`;
  const shapes = SHAPES[typeof kty === "string" ? kty : ""];
  if (!shapes) return `invalid key type from JSON (${typeof kty === "string" ? kty : ""})`;
  const shape = member(key, "d") !== undefined ? shapes.private : shapes.public;
  const strings = kty === "EC" || kty === "OKP" ? [...STRINGS, "crv"] : STRINGS;
  for (const [name, value] of Object.entries(key)) {
    const isString = typeof value === "string" || value === null;
    if (strings.includes(name) && !isString) return `failed to decode value for key ${name}`;
    if (shape.bytes.includes(name)) {
      if (!isString || !jwxBase64(value ?? ""))
        return `failed to decode value for key ${name}: expected base64 encoded []byte`;
    }
    if (name === "key_ops" && value !== null) {
      if (!Array.isArray(value) || value.some(o => typeof o !== "string" && o !== null))
        return "failed to decode value for key key_ops";
    }
    if (name === "x5c" && value !== null) {
      if (!Array.isArray(value) || value.some(c => typeof c !== "string" && c !== null))
        return "failed to decode value for key x5c";
      for (const cert of value as (string | null)[]) {
        const der = jwxBase64(cert ?? "");
        if (!der) return "failed to decode value for key x5c: failed to base64 decode list element";
        try {
          new X509Certificate(der);
        } catch {
          return "failed to decode value for key x5c: failed to parse certificate";
        }
      }
    }
  }
  // A member set to null is present (jwx decodes it as empty); only a missing one is refused.
  const missing = shape.required.find(name => !(name in key));
  return missing ? `required field ${missing} is missing` : undefined;
}

/**
 * The keys of an inline JWKS, or the reason jwk.Parse refuses it. Keys are the `keys` array of a
 * set, or the text itself when it has no `keys` member.
 */
export function parseJwks(text: string): { keys: unknown[] } | string {
  let doc: unknown;
  try {
    doc = parseFirstValue(text);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  if (!isObject(doc)) return "expected a JSON object: a JSON Web Key Set or a single key";
  let keys: unknown[];
  if ("keys" in doc) {
    const list = doc.keys;
    if (list !== null && !Array.isArray(list)) return 'failed to decode "keys": not an array';
    keys = list ?? [];
    for (const [i, k] of keys.entries()) {
      const err = keyError(k);
      if (err) return `failed to decode key #${i} in "keys": ${err}`;
    }
  } else {
    const err = keyError(doc);
    if (err) return `failed to parse sole key in key set: ${err}`;
    keys = [doc];
  }
  return { keys };
}
