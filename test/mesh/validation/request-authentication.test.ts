import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { sharedPath } from "../../harness/shared";
import { errors, full, warnings, type Row } from "./table";

const K = "RequestAuthentication";
const rule = (r: object) => ({ jwtRules: [{ issuer: "https://accounts.example.com", ...r }] });
const ref = (r: object) => ({ group: "", kind: "Service", name: "reviews", ...r });

const invalid: Row[] = [
  [
    "neither issuer nor jwksUri",
    { jwtRules: [{ audiences: ["a"] }] },
    "spec.jwtRules[0].issuer: issuer or jwksUri must be non-empty string",
  ],
  [
    "a null rule",
    { jwtRules: [null] },
    "spec.jwtRules[0]: Invalid type: expected object, got null",
  ],
  [
    "an empty issuer",
    { jwtRules: [{ issuer: "" }] },
    'spec.jwtRules[0].issuer: Invalid value: "": should be at least 1 chars long',
  ],
  [
    "an empty audience",
    rule({ audiences: [""] }),
    'spec.jwtRules[0].audiences[0]: Invalid value: "": should be at least 1 chars long',
  ],
  [
    "a jwksUri without scheme",
    rule({ jwksUri: "example.com/jwks.json" }),
    'spec.jwtRules[0].jwksUri: url must have scheme http:// or https://: "example.com/jwks.json" is not a valid URL',
  ],
  [
    "an ftp jwksUri",
    rule({ jwksUri: "ftp://example.com/jwks.json" }),
    'spec.jwtRules[0].jwksUri: URI scheme "ftp" is not supported: url must have scheme http:// or https://',
  ],
  [
    "jwks and jwksUri",
    rule({ jwksUri: "https://example.com/jwks.json", jwks: '{"keys":[]}' }),
    "spec.jwtRules[0]: only one of jwks or jwksUri can be set",
  ],
  [
    "jwks that is not JSON",
    rule({ jwks: "not json" }),
    `spec.jwtRules[0].jwks: jwks parse error: ${jsonError("not json")}`,
  ],
  [
    "jwks of one RSA key without its members",
    rule({ jwks: '{"kty":"RSA"}' }),
    "spec.jwtRules[0].jwks: jwks parse error: failed to parse sole key in key set: required field e is missing",
  ],
  [
    "a header location without name",
    rule({ fromHeaders: [{ prefix: "Bearer " }] }),
    "spec.jwtRules[0].fromHeaders[0].name: Required value",
  ],
  [
    "an empty header location",
    rule({ fromHeaders: [{ name: "" }] }),
    'spec.jwtRules[0].fromHeaders[0].name: Invalid value: "": should be at least 1 chars long',
  ],
  [
    "an empty query parameter",
    rule({ fromParams: [""] }),
    'spec.jwtRules[0].fromParams[0]: Invalid value: "": should be at least 1 chars long',
  ],
  [
    "an empty cookie",
    rule({ fromCookies: [""] }),
    'spec.jwtRules[0].fromCookies[0]: Invalid value: "": should be at least 1 chars long',
  ],
  [
    "a claim header with a colon",
    rule({ outputClaimToHeaders: [{ claim: "sub", header: ":authority" }] }),
    "spec.jwtRules[0].outputClaimToHeaders[0].header: Invalid value: \":authority\": should match '^[-_A-Za-z0-9]+$'",
  ],
  [
    "a claim header without claim",
    rule({ outputClaimToHeaders: [{ header: "x-sub" }] }),
    "spec.jwtRules[0].outputClaimToHeaders[0].claim: Required value",
  ],
  [
    "a timeout that is not a duration",
    rule({ timeout: "apple" }),
    'spec.jwtRules[0].timeout: invalid duration "apple": use a number with a unit, e.g. 500ms, 5s, 1m',
  ],
  [
    "an unknown presence",
    rule({ presence: "MANDATORY" }),
    'spec.jwtRules[0].presence: Unsupported value: "MANDATORY": supported values: "OPTIONAL", "REQUIRED"',
  ],
  [
    "a selector and a targetRef",
    { selector: { matchLabels: { app: "a" } }, targetRef: ref({}) },
    "spec: only one of targetRefs or workloadSelector can be set",
  ],
  [
    "a cross-namespace targetRef",
    { targetRef: ref({ namespace: "other" }) },
    "spec.targetRef.namespace: targetRef namespace must not be set; cross namespace referencing is not supported",
  ],
  [
    "a targetRef to a Deployment",
    { targetRefs: [ref({ group: "apps", kind: "Deployment" })] },
    "spec.targetRefs[0]: targetRef must be to one of core/Service, networking.istio.io/ServiceEntry, gateway.networking.k8s.io/Gateway, gateway.networking.k8s.io/GatewayClass but was apps/Deployment",
  ],
  [
    "a targetRef without name",
    { targetRef: { kind: "Service" } },
    "spec.targetRef.name: Required value",
  ],
  [
    "a targetRef kind with _",
    { targetRef: ref({ kind: "Serv_ice" }) },
    "spec.targetRef.kind: Invalid value: \"Serv_ice\": should match '^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$'",
  ],
  [
    "too many space-delimited claims",
    rule({ spaceDelimitedClaims: Array.from({ length: 65 }, (_, i) => `c${i}`) }),
    "spec.jwtRules[0].spaceDelimitedClaims: Too many: 65: must have at most 64 items",
  ],
];

function jsonError(text: string): string {
  try {
    JSON.parse(text);
    return "";
  } catch (e) {
    return (e as Error).message;
  }
}

const valid: [string, unknown][] = [
  [
    "an issuer with a JWKS URI",
    rule({
      jwksUri: "https://accounts.example.com/.well-known/jwks.json",
      audiences: ["api"],
      forwardOriginalToken: true,
    }),
  ],
  ["a jwksUri alone (issuer optional)", { jwtRules: [{ jwksUri: "http://jwks.local:8080/keys" }] }],
  ["inline public keys", rule({ jwks: '{"keys":[{"kty":"RSA","e":"AQAB","n":"abc"}]}' })],
  [
    "custom token locations",
    rule({
      fromHeaders: [{ name: "x-jwt", prefix: "Bearer " }],
      fromParams: ["token"],
      fromCookies: ["session"],
    }),
  ],
  [
    "claims to headers",
    rule({
      outputClaimToHeaders: [{ claim: "sub", header: "x-sub" }],
      outputPayloadToHeader: "x-payload",
    }),
  ],
  [
    "a Gateway targetRef",
    {
      targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "ingress" }],
      ...rule({}),
    },
  ],
  ["no rules (selects, authenticates nothing)", { selector: { matchLabels: { app: "a" } } }],
];

describe("RequestAuthentication validation", () => {
  it("has at least 20 invalid cases", () => expect(invalid.length).toBeGreaterThanOrEqual(20));
  it.each(invalid)("refuses %s", (_label, spec, expected) =>
    expect(errors(K, spec)).toEqual(full(K, expected)),
  );
  it.each(valid)("accepts %s", (_label, spec) => expect(errors(K, spec)).toEqual([]));
  it("warns about private key material in inline JWKS", () => {
    const spec = rule({ jwks: '{"keys":[{"kty":"RSA","e":"AQAB","n":"abc","d":"secret"}]}' });
    expect(errors(K, spec)).toEqual([]);
    expect(warnings(K, spec)).toEqual(
      full(
        K,
        "spec.jwtRules[0].jwks: jwks key at index 0 contains private key material; only public keys are used for verification",
      ),
    );
  });
});

/**
 * Istio's own JWT rule cases (pkg/config/validation/validation_test.go,
 * TestValidateRequestAuthentication). Istio writes them as Go protos, where `Issuer: ""` is
 * proto3's unset field: in YAML that is an absent `issuer`, so that is how they are written here.
 */
describe("RequestAuthentication: Istio's own cases", () => {
  const foo = "https://foo.com/cert";
  it.each<[string, unknown, string[]]>([
    [
      "empty issuer and jwksUri",
      { jwtRules: [{}] },
      ["spec.jwtRules[0].issuer: issuer or jwksUri must be non-empty string"],
    ],
    ["empty issuer and set jwksUri", { jwtRules: [{ jwksUri: foo }] }, []],
    [
      "bad JwksUri - no protocol",
      { jwtRules: [{ issuer: "foo.com", jwksUri: "foo.com" }] },
      [
        'spec.jwtRules[0].jwksUri: url must have scheme http:// or https://: "foo.com" is not a valid URL',
      ],
    ],
    [
      "bad JwksUri - invalid port",
      { jwtRules: [{ issuer: "foo.com", jwksUri: "https://foo.com:not-a-number" }] },
      [
        'spec.jwtRules[0].jwksUri: url must have scheme http:// or https://: "https://foo.com:not-a-number" is not a valid URL',
      ],
    ],
  ])("%s", (_label, spec, expected) => expect(errors(K, spec)).toEqual(full(K, expected)));

  /**
   * An explicit `issuer: ""` is a different object from the Go case above: Istio's own CRD gives
   * `issuer` minLength 1, so a Kubernetes API server running Istio refuses it before Istio's
   * webhook sees it. Rigging's schema keeps that rule; this reads it from Istio's CRD so that the
   * two cannot drift apart silently.
   */
  it("refuses an explicit empty issuer, as Istio's CRD schema does", () => {
    const crd = parseAllDocuments(
      readFileSync(sharedPath("istio/manifests/charts/base/files/crd-all.gen.yaml"), "utf8"),
    )
      .map(d => d.toJS() as { spec?: { names: { kind: string }; versions: { schema: unknown }[] } })
      .find(d => d?.spec?.names.kind === K)!;
    for (const v of crd.spec!.versions) {
      type S = { properties: Record<string, S>; items: S; minLength?: number };
      const root = (v.schema as { openAPIV3Schema: S }).openAPIV3Schema;
      const rule = root.properties.spec!.properties.jwtRules!.items;
      expect(rule.properties.issuer!.minLength).toBe(1);
    }
    expect(errors(K, { jwtRules: [{ issuer: "", jwksUri: foo }] })).toEqual(
      full(K, 'spec.jwtRules[0].issuer: Invalid value: "": should be at least 1 chars long'),
    );
  });
});

/**
 * Disagreements with Istio found by running Istio's own validation (validateJwtRule, whose
 * security.ParseJwksURI is Go's url.Parse, as is the CRD's CEL `url(self)`) on the same specs.
 */
describe("RequestAuthentication validation: parity with Istio", () => {
  const uri = (jwksUri: string) => ({ jwtRules: [{ issuer: "a", jwksUri }] });
  it.each<[string, string]>([
    ["a port above 65535 (Go reads any digits)", "http://example.com:99999/jwks.json"],
    ["a scheme and no host", "https://"],
    ["an empty port", "https://example.com:/jwks.json"],
    ["a bracketed IPv6 host", "https://[::1]:8443/jwks.json"],
    ["a fragment", "https://example.com/jwks.json#keys"],
  ])("accepts a jwksUri with %s", (_label, jwksUri) => expect(errors(K, uri(jwksUri))).toEqual([]));
  it.each<[string, string]>([
    ["a bad % escape in the path (Go: invalid URL escape)", "https://example.com/%zz"],
    ["a space in the host", "https://exa mple.com/jwks.json"],
    ["a bracketed IPv4 host", "https://[1.2.3.4]/jwks.json"],
    ["a second colon in an https host", "https://example.com:1:2/jwks.json"],
  ])("refuses a jwksUri with %s", (_label, jwksUri) =>
    expect(errors(K, uri(jwksUri))).toEqual(
      full(
        K,
        `spec.jwtRules[0].jwksUri: url must have scheme http:// or https://: ${JSON.stringify(jwksUri)} is not a valid URL`,
      ),
    ),
  );
  it("refuses a port strconv.Atoi cannot read", () =>
    expect(errors(K, uri("https://example.com:99999999999999999999/j"))).toEqual(
      full(
        K,
        'spec.jwtRules[0].jwksUri: invalid port "99999999999999999999" in "https://example.com:99999999999999999999/j": value out of range',
      ),
    ));

  /** Inline JWKS as jwk.Parse (lestrrat-go/jwx v1) reads it in validateJwtRule. */
  const jwks = (text: string) => ({ jwtRules: [{ issuer: "a", jwks: text }] });
  const key = (k: object) => JSON.stringify({ keys: [k] });
  it.each<[string, string]>([
    ["a single bare key (jwk.Parse takes a key or a set)", '{"kty":"RSA","n":"abc","e":"AQAB"}'],
    ["`keys: null` (an empty set)", '{"keys":null}'],
    ["text after the first JSON value (Go's json.Decoder reads one value)", '{"keys":[]} trailing'],
    ["standard-alphabet padded base64", key({ kty: "RSA", n: "ab+/", e: "AQAB" })],
    [
      "base64 broken by a newline (Go skips CR and LF)",
      key({ kty: "RSA", n: "ab\ncd", e: "AQAB" }),
    ],
    [
      "an unknown curve name (jwx does not check crv)",
      key({ kty: "EC", crv: "P-999", x: "abcd", y: "abcd" }),
    ],
    ["unknown key_ops values", key({ kty: "RSA", n: "abc", e: "AQAB", key_ops: ["foo"] })],
    ["a member set to null (present, empty)", key({ kty: "RSA", n: null, e: null })],
    [
      "a kty member spelled KTY (encoding/json matches field names in any case)",
      key({ KTY: "oct", k: "abc" }),
    ],
  ])("accepts a jwks with %s", (_label, text) => expect(errors(K, jwks(text))).toEqual([]));
  it.each<[string, string, string]>([
    [
      "an unknown kty",
      key({ kty: "FOO" }),
      'failed to decode key #0 in "keys": invalid key type from JSON (FOO)',
    ],
    [
      "a lower-case kty",
      key({ kty: "rsa", n: "abc", e: "AQAB" }),
      'failed to decode key #0 in "keys": invalid key type from JSON (rsa)',
    ],
    [
      "an RSA key without n",
      key({ kty: "RSA", e: "AQAB" }),
      'failed to decode key #0 in "keys": required field n is missing',
    ],
    [
      "an EC key without crv",
      key({ kty: "EC", x: "abcd", y: "abcd" }),
      'failed to decode key #0 in "keys": required field crv is missing',
    ],
    [
      "an EC key without y",
      key({ kty: "EC", crv: "P-256", x: "abcd" }),
      'failed to decode key #0 in "keys": required field y is missing',
    ],
    [
      "an OKP key without x",
      key({ kty: "OKP", crv: "Ed25519" }),
      'failed to decode key #0 in "keys": required field x is missing',
    ],
    [
      "an oct key without k",
      key({ kty: "oct" }),
      'failed to decode key #0 in "keys": required field k is missing',
    ],
    [
      "a private RSA key with a bad d",
      key({ kty: "RSA", n: "abc", e: "AQAB", d: "!!" }),
      'failed to decode key #0 in "keys": failed to decode value for key d: expected base64 encoded []byte',
    ],
    [
      "a modulus of one base64 character",
      key({ kty: "RSA", n: "a", e: "AQAB" }),
      'failed to decode key #0 in "keys": failed to decode value for key n: expected base64 encoded []byte',
    ],
    [
      "a numeric modulus",
      key({ kty: "RSA", n: 5, e: "AQAB" }),
      'failed to decode key #0 in "keys": failed to decode value for key n: expected base64 encoded []byte',
    ],
    [
      "a numeric kid",
      key({ kty: "RSA", n: "abc", e: "AQAB", kid: 5 }),
      'failed to decode key #0 in "keys": failed to decode value for key kid',
    ],
    [
      "an x5c that is not a certificate",
      key({ kty: "RSA", n: "abc", e: "AQAB", x5c: ["abc"] }),
      'failed to decode key #0 in "keys": failed to decode value for key x5c: failed to parse certificate',
    ],
  ])("refuses a jwks with %s", (_label, text, rule) =>
    expect(errors(K, jwks(text))).toEqual(
      full(K, `spec.jwtRules[0].jwks: jwks parse error: ${rule}`),
    ),
  );
});

/**
 * Rules of Istio's CRD (CEL) that test a field's presence with `has()`: the API server counts a
 * present empty list, map or string, where Istio's webhook code counts only non-empty ones.
 */
describe("RequestAuthentication validation: parity with Istio's CRD", () => {
  it('refuses a selector with `targetRefs: []` (CEL "only one of targetRefs or selector can be set")', () =>
    expect(errors(K, { selector: { matchLabels: { app: "a" } }, targetRefs: [] })).toEqual(
      full(K, "spec: only one of targetRefs or workloadSelector can be set"),
    ));
});
