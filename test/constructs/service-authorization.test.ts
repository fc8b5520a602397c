import * as kplus from "cdk8s-plus-27";
import { Peer, ServiceAuthorization } from "../../constructs";
import { meshProblems, synth, synthError, testChart } from "./synth";

describe("ServiceAuthorization", () => {
  it("allows named callers on methods and paths, and denies the rest", () => {
    const chart = testChart("shop");
    const sa = new kplus.ServiceAccount(chart, "sa", { metadata: { name: "frontend" } });
    new ServiceAuthorization(chart, "authz", { name: "reviews", workload: { app: "reviews" } })
      .allowFrom(Peer.serviceAccount(sa), { methods: ["GET"], paths: ["/reviews/*"] })
      .allowFrom([Peer.namespace("istio-system"), Peer.serviceAccount("batch", "jobs")], {
        ports: [9080],
      })
      .denyAll();
    const out = synth(chart).filter(m => m.kind === "AuthorizationPolicy");
    expect(out).toEqual([
      {
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: { name: "reviews-allow", namespace: "shop" },
        spec: {
          action: "ALLOW",
          selector: { matchLabels: { app: "reviews" } },
          rules: [
            {
              from: [{ source: { principals: ["cluster.local/ns/shop/sa/frontend"] } }],
              to: [{ operation: { methods: ["GET"], paths: ["/reviews/*"] } }],
            },
            {
              from: [
                { source: { namespaces: ["istio-system"] } },
                { source: { principals: ["cluster.local/ns/jobs/sa/batch"] } },
              ],
              to: [{ operation: { ports: ["9080"] } }],
            },
          ],
        },
      },
      {
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: { name: "reviews-deny-all", namespace: "shop" },
        spec: { selector: { matchLabels: { app: "reviews" } } },
      },
    ]);
    expect(meshProblems(out)).toEqual([]);
  });

  it("requires a JWT with claims: RequestAuthentication plus a DENY for missing tokens and claims", () => {
    const chart = testChart();
    new ServiceAuthorization(chart, "authz", { name: "api" }).requireJwt(
      "https://issuer.example.com",
      "https://issuer.example.com/jwks.json",
      { audiences: ["shop"], claims: { groups: ["admin", "ops"] } },
    );
    const out = synth(chart);
    expect(out).toEqual([
      {
        apiVersion: "security.istio.io/v1",
        kind: "RequestAuthentication",
        metadata: { name: "api-jwt" },
        spec: {
          jwtRules: [
            {
              audiences: ["shop"],
              issuer: "https://issuer.example.com",
              jwksUri: "https://issuer.example.com/jwks.json",
            },
          ],
        },
      },
      {
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: { name: "api-require-jwt" },
        spec: {
          action: "DENY",
          rules: [
            { from: [{ source: { notRequestPrincipals: ["*"] } }] },
            { when: [{ key: "request.auth.claims[groups]", notValues: ["admin", "ops"] }] },
          ],
        },
      },
    ]);
    expect(meshProblems(out)).toEqual([]);
  });

  it.each<[string, (a: ServiceAuthorization) => unknown, string]>([
    ["no peers", a => a.allowFrom([]), "test/authz: props.allowFrom[0]: needs at least one peer"],
    [
      "an empty issuer",
      a => a.requireJwt("", "https://x/jwks"),
      "test/authz: props.requireJwt[0].issuer: is empty",
    ],
    [
      "a jwks that is not a URL",
      a => a.requireJwt("me", "jwks.json"),
      'test/authz: props.requireJwt[0].jwksUri: "jwks.json" must be an http(s) URL',
    ],
    [
      "a claim with no values",
      a => a.requireJwt("me", "https://x/jwks", { claims: { groups: [] } }),
      "test/authz: props.requireJwt[0].claims.groups: needs at least one value",
    ],
  ])("refuses %s", (_, use, message) => {
    expect(() => use(new ServiceAuthorization(testChart(), "authz"))).toThrow(message);
  });

  it("refuses a workload with no labels", () => {
    expect(() => new ServiceAuthorization(testChart(), "authz", { workload: {} })).toThrow(
      "test/authz: props.workload: selects no labels",
    );
  });

  it("fails synth naming the path and the allowFrom call the validators refuse", () => {
    const chart = testChart();
    new ServiceAuthorization(chart, "authz", { name: "a" })
      .allowFrom(Peer.namespace("ok"))
      .allowFrom(Peer.namespace("ok"), { ports: [99999] });
    expect(synthError(chart)).toMatch(
      /\[test\/authz\] props\.allowFrom\[1\]: AuthorizationPolicy default\/a-allow: spec\.rules\[1\]/,
    );
  });
});
