/**
 * RequestAuthentication + AuthorizationPolicy as an Envoy sidecar enforces them: the pure
 * builders' `jwt_authn` and RBAC filters, run through interpreters of Envoy's rules
 * (`jwt-authn-interpreter.ts`, `rbac-interpreter.ts`). The interpreters stand in for Envoy: no
 * Envoy binary runs on this machine and grpc-js-xds has no jwt_authn. The end-to-end version,
 * with the key set fetched by the module from a loopback issuer, is
 * `test/integration/jwt-authn.test.ts`.
 */
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK } from "jose";
import type { RequestAuthenticationInput } from "../../../mesh/authn";
import {
  buildHttpAuthzFilters,
  buildJwtAuthnFilter,
  type AuthzPolicyInput,
  type NamedFilter,
} from "../../../xds/compile/security/index";
import { runRbac } from "../authz/rbac-interpreter";
import { runJwtAuthn, type JwtRequest } from "./jwt-authn-interpreter";

const ISSUER = "https://issuer.test";
const OTHER_ISSUER = "https://other.test";
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

describe("JWT enforcement on a sidecar: jwt_authn then RBAC", () => {
  let key: PrivateKey;
  let otherKey: PrivateKey;
  let stranger: PrivateKey;
  const jwks = new Map<string, string>();

  beforeAll(async () => {
    const pair = await generateKeyPair("RS256");
    const other = await generateKeyPair("RS256");
    stranger = (await generateKeyPair("RS256")).privateKey;
    key = pair.privateKey;
    otherKey = other.privateKey;
    const pub = async (k: CryptoKey, kid: string): Promise<JWK> => ({
      ...(await exportJWK(k)),
      kid,
      alg: "RS256",
    });
    jwks.set(ISSUER, JSON.stringify({ keys: [await pub(pair.publicKey, "k1")] }));
    jwks.set(OTHER_ISSUER, JSON.stringify({ keys: [await pub(other.publicKey, "k2")] }));
  });

  const requestAuthn = (rules: RequestAuthenticationInput["spec"]["jwtRules"]) => [
    { namespace: "foo", name: "jwt", spec: { jwtRules: rules } },
  ];
  const policy = (spec: AuthzPolicyInput["spec"]): AuthzPolicyInput[] => [
    { namespace: "foo", name: "policy", spec },
  ];

  function filters(
    authn: RequestAuthenticationInput[],
    authz: AuthzPolicyInput[],
  ): { jwt: Record<string, unknown>; rbac: NamedFilter[] } {
    const built = buildJwtAuthnFilter(authn, (issuer, uri) =>
      uri.endsWith("/jwks") ? jwks.get(issuer) : undefined,
    );
    const rbac = buildHttpAuthzFilters(authz, {});
    return {
      jwt: (built.filter?.typed_config ?? {}) as Record<string, unknown>,
      rbac: [...rbac.filters],
    };
  }

  async function answer(
    f: { jwt: Record<string, unknown>; rbac: NamedFilter[] },
    request: JwtRequest,
  ): Promise<number> {
    const jwt = await runJwtAuthn(f.jwt, request);
    if (jwt.status === "rejected") return 401;
    return runRbac(f.rbac, { protocol: "HTTP", method: "GET", path: "/", claims: jwt.payload })
      .allowed
      ? 200
      : 403;
  }

  const sign = (claims: Record<string, unknown>, k = key, iss = ISSUER, kid = "k1") =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid })
      .setIssuer(iss)
      .setSubject("alice")
      .setExpirationTime("5m")
      .sign(k);
  const bearer = (t: string): JwtRequest => ({ headers: { authorization: `Bearer ${t}` } });

  it("requestPrincipals: a token of the right issuer signed by its key passes; bad ones are 401, none 403", async () => {
    const f = filters(
      requestAuthn([{ issuer: ISSUER, jwksUri: "https://issuer.test/jwks" }]),
      policy({ rules: [{ from: [{ source: { requestPrincipals: [`${ISSUER}/alice`] } }] }] }),
    );
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer(ISSUER)
      .setSubject("alice")
      .setExpirationTime(Math.floor(Date.now() / 1000) - 300)
      .sign(key);
    const unsigned = new UnsecuredJWT({}).setIssuer(ISSUER).setSubject("alice").encode();
    expect({
      valid: await answer(f, bearer(await sign({}))),
      otherSubject: await answer(
        f,
        bearer(
          await new SignJWT({})
            .setProtectedHeader({ alg: "RS256", kid: "k1" })
            .setIssuer(ISSUER)
            .setSubject("mallory")
            .setExpirationTime("5m")
            .sign(key),
        ),
      ),
      expired: await answer(f, bearer(expired)),
      wrongIssuer: await answer(f, bearer(await sign({}, otherKey, OTHER_ISSUER, "k2"))),
      strangerKey: await answer(f, bearer(await sign({}, stranger))),
      unsigned: await answer(f, bearer(unsigned)),
      none: await answer(f, {}),
    }).toEqual({
      valid: 200,
      otherSubject: 403,
      expired: 401,
      wrongIssuer: 401,
      strangerKey: 401,
      unsigned: 401,
      none: 403,
    });
  });

  it("request.auth.claims[group] admits only the group, as a string or in a list", async () => {
    const f = filters(
      requestAuthn([{ issuer: ISSUER, jwksUri: "https://issuer.test/jwks" }]),
      policy({
        rules: [
          {
            from: [{ source: { requestPrincipals: ["*"] } }],
            when: [{ key: "request.auth.claims[group]", values: ["admins"] }],
          },
        ],
      }),
    );
    expect({
      admins: await answer(f, bearer(await sign({ group: "admins" }))),
      inList: await answer(f, bearer(await sign({ group: ["dev", "admins"] }))),
      users: await answer(f, bearer(await sign({ group: "users" }))),
      noClaim: await answer(f, bearer(await sign({}))),
    }).toEqual({ admins: 200, inList: 200, users: 403, noClaim: 403 });
  });

  it("two issuers: each token is checked by its own issuer's keys", async () => {
    const f = filters(
      requestAuthn([
        { issuer: ISSUER, jwksUri: "https://issuer.test/jwks" },
        { issuer: OTHER_ISSUER, jwksUri: "https://other.test/jwks" },
      ]),
      policy({ rules: [{ from: [{ source: { requestPrincipals: [`${OTHER_ISSUER}/*`] } }] }] }),
    );
    expect(await answer(f, bearer(await sign({}, otherKey, OTHER_ISSUER, "k2")))).toBe(200);
    expect(await answer(f, bearer(await sign({})))).toBe(403);
    // The other issuer's name on a token signed by the first issuer's key: its keys refuse it.
    expect(await answer(f, bearer(await sign({}, key, OTHER_ISSUER, "k1")))).toBe(401);
  });

  it("a key set the control plane could not fetch fails closed: every token of that issuer is 401", async () => {
    const f = filters(
      requestAuthn([{ issuer: ISSUER, jwksUri: "https://issuer.test/unreachable" }]),
      policy({ rules: [{ from: [{ source: { requestPrincipals: ["*"] } }] }] }),
    );
    expect(await answer(f, bearer(await sign({})))).toBe(401);
  });

  it("fromHeaders with a prefix: a token elsewhere is not seen", async () => {
    const f = filters(
      requestAuthn([
        {
          issuer: ISSUER,
          jwksUri: "https://issuer.test/jwks",
          fromHeaders: [{ name: "x-jwt", prefix: "Token " }],
        },
      ]),
      policy({ rules: [{ from: [{ source: { requestPrincipals: ["*"] } }] }] }),
    );
    const t = await sign({});
    expect(await answer(f, { headers: { "x-jwt": `Token ${t}` } })).toBe(200);
    expect(await answer(f, bearer(t))).toBe(403);
  });
});
