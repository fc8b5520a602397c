/**
 * VirtualService match translation (translateMatch) and the match conditions decided at
 * compile time for the proxy (matchAppliesTo), asserted on decoded gRPC route configs.
 */
import { grpcRoutes, SE, VS } from "../reviews-entry";
import { named } from "../fixtures";
import { routingClaim, translateMatch } from "../../../../xds/compile/routes/route-match";
import { build, dec, SIDECAR, type Json } from "../web-service";

describe("proxyless gRPC routes", () => {
  it.each([
    ["exact uri", { uri: { exact: "/a.B/C" } }, { path: "/a.B/C" }],
    ["prefix uri", { uri: { prefix: "/a.B/" } }, { prefix: "/a.B/" }],
    ["regex uri", { uri: { regex: "/a\\..*" } }, { safe_regex: { regex: "/a\\..*" } }],
    [
      "ignoreUriCase",
      { uri: { prefix: "/x" }, ignoreUriCase: true },
      { prefix: "/x", case_sensitive: { value: false } },
    ],
    [
      "end-user header",
      { headers: { "end-user": { exact: "jason" } } },
      { prefix: "/", headers: [{ name: "end-user", string_match: { exact: "jason" } }] },
    ],
    [
      "header present, header absent",
      { headers: { "x-a": {} }, withoutHeaders: { "x-b": { prefix: "z" } } },
      {
        headers: [
          { name: "x-a", present_match: true },
          {
            name: "x-b",
            string_match: { prefix: "z" },
            invert_match: true,
            treat_missing_header_as_empty: true,
          },
        ],
      },
    ],
    [
      "method and authority",
      { method: { exact: "POST" }, authority: { regex: "rev.*" } },
      {
        headers: [
          { name: ":method", string_match: { exact: "POST" } },
          { name: ":authority", string_match: { safe_regex: { regex: "rev.*" } } },
        ],
      },
    ],
    [
      "query params",
      { queryParams: { id: { exact: "1" }, q: { regex: "a+" } } },
      {
        query_parameters: [
          { name: "id", string_match: { exact: "1" } },
          { name: "q", string_match: { safe_regex: { regex: "a+" } } },
        ],
      },
    ],
  ])("match: %s", (_label, match, want) => {
    const routes = grpcRoutes([
      SE("reviews"),
      VS([{ match: [match], route: [{ destination: { host: "reviews" } }] }]),
    ]);
    expect(routes).toHaveLength(1);
    expect(routes[0].match).toMatchObject(want);
  });

  // Istio's TranslateRouteMatch (route.go): header names as written, `headers` and
  // `withoutHeaders` sorted by name, then :method, :authority, :scheme; found by the xDS diff on
  // knative's `K-Network-Hash` match (knative-gateway.yaml).
  it("header names as written, sorted with the absent ones, pseudo-headers last", () => {
    const routes = grpcRoutes([
      SE("reviews"),
      VS([
        {
          match: [
            {
              scheme: { exact: "https" },
              authority: { prefix: "reviews" },
              method: { exact: "GET" },
              headers: { "x-z": { exact: "1" }, "K-Network-Hash": { exact: "override" } },
              withoutHeaders: { "x-a": { regex: "*" }, "X-M": {} },
            },
          ],
          route: [{ destination: { host: "reviews" } }],
        },
      ]),
    ]);
    expect(routes[0].match.headers).toEqual([
      { name: "K-Network-Hash", string_match: { exact: "override" } },
      { name: "X-M", present_match: true, invert_match: true },
      { name: "x-a", present_match: true, invert_match: true },
      { name: "x-z", string_match: { exact: "1" } },
      { name: ":method", string_match: { exact: "GET" } },
      { name: ":authority", string_match: { prefix: "reviews" } },
      { name: ":scheme", string_match: { exact: "https" } },
    ]);
  });

  it.each([
    ["port 9080 applies", { port: 9080 }, 1],
    ["port 9999 does not", { port: 9999 }, 0],
    ["own sourceLabels apply", { sourceLabels: { app: "client" } }, 1],
    ["other sourceLabels do not", { sourceLabels: { app: "other" } }, 0],
    ["own sourceNamespace applies", { sourceNamespace: "default" }, 1],
    ["other sourceNamespace does not", { sourceNamespace: "prod" }, 0],
    ["gateway-only match does not", { gateways: ["istio-system/ingress"] }, 0],
  ])("match condition decided at compile time: %s", (_label, match, n) => {
    const routes = grpcRoutes([
      SE("reviews"),
      VS([{ match: [match], route: [{ destination: { host: "reviews" } }] }]),
    ]);
    expect(routes).toHaveLength(n);
  });
});

describe("istiod's route and listener defaults", () => {
  const r = build(SIDECAR);
  const rc = dec(named(r.routes, "80"));
  const web = (rc.virtual_hosts as Json[]).find(v => v.name === "web.default.svc.cluster.local:80");

  it("every translated match says whether it is case-sensitive; the implicit catch-all does not", () => {
    expect(web!.routes.map((x: Json) => x.match)).toEqual([
      { prefix: "/api", case_sensitive: { value: true } },
      { path: "/Login", case_sensitive: { value: false } },
      { prefix: "/" },
    ]);
  });
});

// Istio's translateMetadataMatch (route.go) and jwt.ToRoutingClaim: a `@request.auth.claims`
// match routes on the request's validated JWT, never on a header a client could send.
describe("routing on JWT claims", () => {
  const payload = (claims: string[]) => ({
    filter: "envoy.filters.http.jwt_authn",
    path: ["payload", ...claims].map(key => ({ key })),
  });
  const listOrScalar = (value: object) => ({
    or_match: { value_matchers: [{ list_match: { one_of: value } }, value] },
  });

  it.each([
    ["@request.auth.claims.groups", ["groups"]],
    ["@request.auth.claims.group.id", ["group", "id"]],
    ["@request.auth.claims[group][id]", ["group", "id"]],
    ["@request.auth.claims[a.b]", ["a.b"]],
    ["@Request.Auth.Claims.role", ["role"]],
    ["@request.auth.claims", undefined],
    ["@request.auth.claims.", undefined],
    ["@request.auth.claims[]", undefined],
    ["@request.auth.claimsx", undefined],
    ["x-claims", undefined],
  ])("%s names the claim path %j", (name, claims) => {
    expect(routingClaim(name)).toEqual(claims);
  });

  it("matches the claim in the jwt_authn payload, as a string or in a list, and no header", () => {
    const match = translateMatch({
      headers: {
        "@request.auth.claims.groups": { exact: "admin" },
        "end-user": { exact: "jason" },
      },
    });
    expect(match.headers).toEqual([{ name: "end-user", string_match: { exact: "jason" } }]);
    expect(match.dynamic_metadata).toEqual([
      { ...payload(["groups"]), value: listOrScalar({ string_match: { exact: "admin" } }) },
    ]);
  });

  it("inverts a withoutHeaders claim, and an empty match means the claim is present (sorted by name)", () => {
    const match = translateMatch({
      withoutHeaders: { "@request.auth.claims[team][name]": { prefix: "ops" } },
      headers: { "@request.auth.claims.sub": {} },
    });
    expect(match.headers).toBeUndefined();
    expect(match.dynamic_metadata).toEqual([
      { ...payload(["sub"]), value: listOrScalar({ present_match: true }) },
      {
        ...payload(["team", "name"]),
        value: listOrScalar({ string_match: { prefix: "ops" } }),
        invert: true,
      },
    ]);
  });
});
