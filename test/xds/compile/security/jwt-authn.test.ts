import { FAIL_CLOSED_JWKS, type RequestAuthenticationInput } from "../../../../mesh/authn";
import type { JwtRule } from "../../../../mesh/api/request-authentication";
import { buildJwtAuthnFilter } from "../../../../xds/compile/security/jwt-authn";
import { compareMessage, type EncodeIssue } from "../../../../xds/encode/compare-decoded";
import { messageType } from "../../../../xds/encode/proto-root";

const JWKS = '{"keys":[{"kty":"EC","crv":"P-256","x":"x","y":"y","kid":"k1"}]}';
const ra = (
  rules: JwtRule[],
  extra: Partial<RequestAuthenticationInput["spec"]> = {},
  ns = "foo",
): RequestAuthenticationInput => ({
  namespace: ns,
  name: "jwt",
  spec: { jwtRules: rules, ...extra },
});
const fetched = (issuer: string, uri: string) =>
  uri === "https://issuer.example/jwks" ? `${JWKS}` : undefined;

function encodeIssues(filter: unknown): EncodeIssue[] {
  const type = messageType(
    "envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter",
  );
  const body = filter as Record<string, unknown>;
  const issues: EncodeIssue[] = [];
  compareMessage(type, body, type.decode(type.encode(type.fromObject(body)).finish()), "", issues);
  return issues;
}

describe("RequestAuthentication → jwt_authn", () => {
  it("one rule with every field: provider config and {provider OR allow_missing}", () => {
    const { filter, notes } = buildJwtAuthnFilter(
      [
        ra([
          {
            issuer: "https://issuer.example",
            audiences: ["bookstore", "orders"],
            jwksUri: "https://issuer.example/jwks",
            fromHeaders: [{ name: "x-jwt", prefix: "Bearer " }, { name: "x-raw" }],
            fromParams: ["access_token"],
            outputPayloadToHeader: "x-jwt-payload",
            forwardOriginalToken: true,
            outputClaimToHeaders: [{ claim: "sub", header: "x-sub" }],
            spaceDelimitedClaims: ["roles"],
          },
        ]),
      ],
      fetched,
    );
    expect(notes).toEqual([]);
    expect(filter).toEqual({
      name: "envoy.filters.http.jwt_authn",
      typed_config: {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
        providers: {
          "origins-0": {
            issuer: "https://issuer.example",
            audiences: ["bookstore", "orders"],
            forward: true,
            forward_payload_header: "x-jwt-payload",
            from_headers: [{ name: "x-jwt", value_prefix: "Bearer " }, { name: "x-raw" }],
            from_params: ["access_token"],
            claim_to_headers: [{ header_name: "x-sub", claim_name: "sub" }],
            payload_in_metadata: "payload",
            normalize_payload_in_metadata: {
              space_delimited_claims: ["permission", "roles", "scope"],
            },
            local_jwks: { inline_string: JWKS },
          },
        },
        rules: [
          {
            match: { prefix: "/" },
            requires: {
              requires_any: {
                requirements: [{ provider_name: "origins-0" }, { allow_missing: {} }],
              },
            },
          },
        ],
        bypass_cors_preflight: true,
      },
    });
    expect(encodeIssues(filter)).toEqual([]);
  });

  it("several rules: sorted by issuer; any valid token, or every present token valid", () => {
    const { filter } = buildJwtAuthnFilter(
      [ra([{ issuer: "z-issuer", jwks: JWKS }]), ra([{ issuer: "a-issuer", jwks: JWKS }])],
      () => undefined,
    );
    const config = filter?.typed_config as unknown as {
      providers: Record<string, { issuer: string }>;
      rules: unknown[];
    };
    expect(Object.entries(config.providers).map(([k, v]) => [k, v.issuer])).toEqual([
      ["origins-0", "a-issuer"],
      ["origins-1", "z-issuer"],
    ]);
    expect(config.rules).toEqual([
      {
        match: { prefix: "/" },
        requires: {
          requires_any: {
            requirements: [
              { provider_name: "origins-0" },
              { provider_name: "origins-1" },
              {
                requires_all: {
                  requirements: ["origins-0", "origins-1"].map(n => ({
                    requires_any: { requirements: [{ provider_name: n }, { allow_missing: {} }] },
                  })),
                },
              },
            ],
          },
        },
      },
    ]);
    expect(encodeIssues(filter)).toEqual([]);
  });

  it.each<[string, JwtRule, string]>([
    [
      "inline jwks wins over jwksUri",
      { issuer: "i", jwks: JWKS, jwksUri: "https://other/jwks" },
      JWKS,
    ],
    [
      "jwksUri fetched by the control plane",
      { issuer: "i", jwksUri: "https://issuer.example/jwks" },
      JWKS,
    ],
    [
      "unfetched jwksUri fails closed",
      { issuer: "i", jwksUri: "https://down.example/jwks" },
      FAIL_CLOSED_JWKS,
    ],
  ])("%s", (_name, rule, keys) => {
    const { filter, notes } = buildJwtAuthnFilter([ra([rule])], fetched);
    const config = filter?.typed_config as unknown as {
      providers: Record<string, { local_jwks: unknown }>;
    };
    expect(config.providers["origins-0"]?.local_jwks).toEqual({ inline_string: keys });
    expect(notes.length > 0).toBe(keys === FAIL_CLOSED_JWKS);
    if (notes.length > 0) {
      expect(notes[0]?.message).toBe(
        'RequestAuthentication foo/jwt: spec.jwtRules[0].jwksUri: key set of issuer "i" not available from https://down.example/jwks; its tokens are rejected until it is',
      );
    }
  });

  it("no rules, no filter", () => {
    expect(buildJwtAuthnFilter([ra([])], fetched).filter).toBeUndefined();
  });
});
