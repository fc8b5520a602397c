import type { AuthorizationPolicySpec } from "../../../mesh/api/authorization-policy";
import type { AuthzPolicyInput } from "../../../xds/compile/security/index";
import { explainRequest, inEvaluationOrder } from "../../../mesh/authz/explain";
import type { AuthzRequest } from "../../../mesh/authz/request-attributes";

const p = (
  name: string,
  spec: AuthorizationPolicySpec,
  annotations?: Record<string, string>,
): AuthzPolicyInput => ({ namespace: "shop", name, spec, ...(annotations ? { annotations } : {}) });

const web = "cluster.local/ns/shop/sa/web";
const get: AuthzRequest = { principal: web, method: "GET", path: "/api/v1", destinationPort: 9080 };

const denyAdmin = p("deny-admin", {
  action: "DENY",
  rules: [{ to: [{ operation: { paths: ["/admin*"] } }] }],
});
const allowWeb = p("allow-web", {
  rules: [
    { from: [{ source: { principals: ["cluster.local/ns/other/sa/x"] } }] },
    { from: [{ source: { principals: [web] } }], to: [{ operation: { methods: ["GET"] } }] },
  ],
});

describe("explainRequest", () => {
  it.each<[string, AuthzPolicyInput[], AuthzRequest, string, object]>([
    ["no policies: allowed by default", [], get, "ALLOW", { kind: "default" }],
    [
      "a DENY rule wins over a matching ALLOW",
      [allowWeb, denyAdmin],
      { ...get, path: "/admin/users" },
      "DENY",
      { kind: "AuthorizationPolicy", name: "shop/deny-admin", action: "DENY", rule: 0 },
    ],
    [
      "the ALLOW rule that matches decides",
      [allowWeb, denyAdmin],
      get,
      "ALLOW",
      { kind: "AuthorizationPolicy", name: "shop/allow-web", action: "ALLOW", rule: 1 },
    ],
    [
      "ALLOW policies present and none matches: denied",
      [allowWeb],
      { ...get, method: "POST" },
      "DENY",
      { kind: "default" },
    ],
    ["allow nothing", [p("nothing", {})], get, "DENY", { kind: "default" }],
    ["only DENY policies, none matching: allowed", [denyAdmin], get, "ALLOW", { kind: "default" }],
    [
      "a dry-run DENY never decides",
      [p("dry", { action: "DENY", rules: [{}] }, { "istio.io/dry-run": "true" })],
      get,
      "ALLOW",
      { kind: "default" },
    ],
    [
      "on TCP an ALLOW rule with methods is skipped, so nothing matches",
      [allowWeb],
      { principal: web, protocol: "TCP", destinationPort: 9080 },
      "DENY",
      { kind: "default" },
    ],
    [
      "on TCP a DENY rule drops its paths and matches more",
      [denyAdmin],
      { principal: web, protocol: "TCP" },
      "DENY",
      { name: "shop/deny-admin", rule: 0 },
    ],
  ])("%s", (_name, policies, request, verdict, decidedBy) => {
    const e = explainRequest(policies, request);
    expect(e.verdict).toBe(verdict);
    expect(e.decidedBy).toMatchObject(decidedBy);
  });

  it("says which conditions held, with their field paths", () => {
    const e = explainRequest([allowWeb], get);
    expect(e.summary).toBe("allowed by ALLOW policy shop/allow-web, rule 1");
    expect(e.reasons).toEqual([
      {
        path: "spec.rules[1].to[0].operation.methods",
        held: true,
        message: '"GET" matches "GET"',
      },
      {
        path: "spec.rules[1].from[0].source.principals",
        held: true,
        message: `"${web}" matches "${web}"`,
      },
    ]);
  });

  it("for a default deny, says why each ALLOW rule failed", () => {
    const e = explainRequest([allowWeb], { ...get, method: "POST" });
    expect(e.summary).toBe("denied: 1 ALLOW policy applies and none matches");
    expect(e.reasons.map(r => `${r.path}: ${r.message}`)).toEqual([
      `shop/allow-web: spec.rules[0].from[0].source.principals: "${web}" matches none of ["cluster.local/ns/other/sa/x"]`,
      'shop/allow-web: spec.rules[1].to[0].operation.methods: "POST" matches none of ["GET"]',
    ]);
  });

  it("explains notValues, claims and a missing JWT", () => {
    const policy = p("admins", {
      rules: [
        {
          from: [{ source: { requestPrincipals: ["https://idp/*"] } }],
          when: [
            { key: "request.auth.claims[groups]", values: ["admins"] },
            { key: "request.headers[x-env]", notValues: ["prod"] },
          ],
        },
      ],
    });
    const withJwt = { ...get, claims: { iss: "https://idp", sub: "ann", groups: ["admins"] } };
    expect(explainRequest([policy], withJwt).verdict).toBe("ALLOW");
    const prod = explainRequest([policy], { ...withJwt, headers: { "X-Env": "prod" } });
    expect(prod.reasons.map(r => r.message)).toEqual(['"prod" matches "prod" (notValues)']);
    const none = explainRequest([policy], get);
    expect(none.reasons.map(r => r.message)).toEqual([
      '(no verified JWT) matches none of ["https://idp/*"]',
    ]);
  });

  it("reports a rule with an unknown `when` key as skipped", () => {
    const bad = p("bad", { rules: [{ when: [{ key: "request.colour", values: ["red"] }] }] });
    const e = explainRequest([bad], get);
    expect(e.verdict).toBe("DENY");
    expect(e.policies[0]?.rules[0]?.skipped).toBe(
      "spec.rules[0].when[0].key: unknown attribute request.colour; rule skipped",
    );
  });

  it("sends a matching CUSTOM request to its provider, then applies DENY and ALLOW", () => {
    const custom = p("ext", { action: "CUSTOM", provider: { name: "opa" }, rules: [{}] });
    const e = explainRequest([custom, allowWeb], get);
    expect(e).toMatchObject({
      verdict: "ALLOW",
      external: [{ policy: "shop/ext", provider: "opa" }],
    });
  });

  it("refuses plaintext under STRICT and ignores the peer identity under DISABLE", () => {
    const strict = explainRequest(
      [],
      { method: "GET" },
      { mtls: { mode: "STRICT", policy: "istio-system/default" } },
    );
    expect(strict).toMatchObject({
      verdict: "DENY",
      decidedBy: { kind: "PeerAuthentication", name: "istio-system/default" },
    });
    const disabled = explainRequest([allowWeb], get, { mtls: { mode: "DISABLE" } });
    expect(disabled.verdict).toBe("DENY");
    expect(disabled.notes[0]?.message).toMatch(/peer identity .* is not seen/);
  });

  it("orders policies as the proxy evaluates them: CUSTOM, AUDIT, DENY, ALLOW", () => {
    const order = inEvaluationOrder([
      p("b-allow", {}),
      p("a-allow", {}),
      p("deny", { action: "DENY" }),
      p("audit", { action: "AUDIT" }),
      p("custom", { action: "CUSTOM" }),
    ]).map(x => `${x.action} ${x.policy.name}`);
    expect(order).toEqual([
      "CUSTOM custom",
      "AUDIT audit",
      "DENY deny",
      "ALLOW a-allow",
      "ALLOW b-allow",
    ]);
  });
});
