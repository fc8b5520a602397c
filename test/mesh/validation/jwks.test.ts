/**
 * Inline JWKS as Istio reads it (jwk.Parse of lestrrat-go/jwx v1 in validateJwtRule): a key set
 * or one bare key, the first JSON value of the text, each key's members checked by type.
 */
import { jwxBase64, parseJwks } from "../../../mesh/validation/jwks";

// An RSA public key's members (Istio's sample JWKS key, trimmed: any valid base64url works).
const RSA = {
  kty: "RSA",
  e: "AQAB",
  n: "xAE7eB6qugXyCAG3yhh7pkDkT65pHymX-P7KfIupjf59vsdo91bSP9C8",
};
const EC = {
  kty: "EC",
  crv: "P-256",
  x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
  y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
};

describe("parseJwks", () => {
  it("reads a key set, and a single bare key as a set of one", () => {
    expect(parseJwks(JSON.stringify({ keys: [RSA, EC] }))).toEqual({ keys: [RSA, EC] });
    expect(parseJwks(JSON.stringify(RSA))).toEqual({ keys: [RSA] });
  });

  it("reads only the first JSON value, as Go's decoder does", () => {
    expect(parseJwks(`${JSON.stringify({ keys: [RSA] })} trailing text`)).toEqual({ keys: [RSA] });
  });

  it.each([
    ["not JSON", "{", /JSON|Unexpected|Expected/],
    ["not an object", "[]", /expected a JSON object/],
    ["keys not a list", JSON.stringify({ keys: {} }), /"keys": not an array/],
    [
      "unknown kty",
      JSON.stringify({ keys: [{ ...RSA, kty: "rsa" }] }),
      /key #0 .*invalid key type from JSON \(rsa\)/,
    ],
    ["no kty", JSON.stringify({ keys: [{ e: "AQAB", n: RSA.n }] }), /invalid key type/],
    [
      "missing modulus",
      JSON.stringify({ keys: [{ kty: "RSA", e: "AQAB" }] }),
      /required field n is missing/,
    ],
    [
      "EC without its curve",
      JSON.stringify({ keys: [{ ...EC, crv: undefined }] }),
      /required field crv is missing/,
    ],
    ["bad base64 in n", JSON.stringify({ keys: [{ ...RSA, n: "!!" }] }), /key n: expected base64/],
    ["kid not a string", JSON.stringify({ keys: [{ ...RSA, kid: 7 }] }), /value for key kid/],
    [
      "x5c not a certificate",
      JSON.stringify({ keys: [{ ...RSA, x5c: ["AAAA"] }] }),
      /x5c: failed to parse certificate/,
    ],
    [
      "bad key in a bare key",
      JSON.stringify({ kty: "oct" }),
      /sole key .*required field k is missing/,
    ],
  ])("refuses %s, saying why", (_label, text, why) => {
    expect(parseJwks(text)).toEqual(expect.stringMatching(why));
  });
});

describe("jwxBase64", () => {
  it.each([
    ["AQAB", [1, 0, 1]],
    ["AQA=", [1, 0]],
    ["AQA", [1, 0]],
    ["-_8", [0xfb, 0xff]],
    ["+/8=", [0xfb, 0xff]],
    ["AQ\r\nAB", [1, 0, 1]],
  ])("decodes %j by its alphabet and padding", (text, bytes) => {
    expect([...(jwxBase64(text) ?? [])]).toEqual(bytes);
  });

  it.each(["A", "AQ=", "A-+B", "!!"])("refuses %j", text => {
    expect(jwxBase64(text)).toBeUndefined();
  });
});
