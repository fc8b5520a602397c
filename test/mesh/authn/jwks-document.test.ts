import { generateKeyPairSync } from "node:crypto";
import { parseJwksDocument } from "../../../mesh/authn";

const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const ed = generateKeyPairSync("ed25519");
const ecPub = { ...ec.publicKey.export({ format: "jwk" }), kid: "ec" };
const edPub = { ...ed.publicKey.export({ format: "jwk" }), kid: "ed" };
const ecPriv = { ...ec.privateKey.export({ format: "jwk" }), kid: "ec" };

describe("parseJwksDocument", () => {
  it("accepts public EC and OKP keys and returns the set re-serialised", () => {
    const text = `  ${JSON.stringify({ keys: [ecPub, edPub] })}\n`;
    expect(parseJwksDocument(text)).toEqual({
      ok: true,
      value: JSON.stringify({ keys: [ecPub, edPub] }),
      keyCount: 2,
    });
  });

  it.each([
    ["[]", "body is not a JWK Set (not a JSON object)"],
    ['{"keys":{}}', 'body is not a JWK Set (no "keys" array of objects)'],
    ['{"keys":[1]}', 'body is not a JWK Set (no "keys" array of objects)'],
    [
      JSON.stringify({ keys: [ecPub, ecPriv] }),
      'keys[1] (kid "ec"): is a private or secret key (has d); a JWKS must hold only public keys',
    ],
    ['{"keys":[{"kty":"XYZ"}]}', 'keys[0]: kty "XYZ" is not one of RSA, EC, OKP'],
    ['{"keys":[{"n":"AQAB"}]}', "keys[0]: kty undefined is not one of RSA, EC, OKP"],
  ])("refuses %s", (text, error) => {
    expect(parseJwksDocument(text)).toEqual({ ok: false, errors: [error] });
  });
});
