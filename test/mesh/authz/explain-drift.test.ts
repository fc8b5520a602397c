import type { AuthorizationPolicySpec, Rule } from "../../../mesh/api/authorization-policy";
import {
  buildHttpAuthzFilters,
  buildTcpAuthzFilters,
  rbacPolicyName,
  type AuthzPolicyInput,
} from "../../../xds/compile/security/index";
import { explainRequest, type Explanation } from "../../../mesh/authz/explain";
import type { AuthzRequest } from "../../../mesh/authz/request-attributes";
import { runRbac } from "./rbac-interpreter";

// The evaluator and the builder must agree: for every policy set, request and protocol, the
// verdict and the exact set of matching rules (enforced and dry-run) equal what the compiled
// Envoy RBAC config yields under an independent interpreter.

const rules: Record<string, Rule[]> = {
  principalExact: [{ from: [{ source: { principals: ["cluster.local/ns/shop/sa/web"] } }] }],
  principalPrefixSuffix: [
    { from: [{ source: { principals: ["cluster.local/ns/ops-*", "*/sa/admin"] } }] },
  ],
  principalAny: [{ from: [{ source: { principals: ["*"] } }] }],
  notPrincipals: [{ from: [{ source: { notPrincipals: ["cluster.local/ns/shop/sa/web"] } }] }],
  namespaces: [{ from: [{ source: { namespaces: ["shop", "ops-*"] } }] }],
  notNamespaces: [{ from: [{ source: { notNamespaces: ["shop"] } }] }],
  serviceAccounts: [{ from: [{ source: { serviceAccounts: ["web", "ops-prod/bot"] } }] }],
  trustDomains: [{ from: [{ source: { trustDomains: ["cluster.local", "other-*"] } }] }],
  ipBlocks: [{ from: [{ source: { ipBlocks: ["10.1.0.0/16", "2001:db8::/32"] } }] }],
  notIpBlocks: [{ from: [{ source: { notIpBlocks: ["10.1.2.3"] } }] }],
  remoteIpBlocks: [{ from: [{ source: { remoteIpBlocks: ["203.0.113.0/24"] } }] }],
  requestPrincipals: [
    { from: [{ source: { requestPrincipals: ["https://issuer.example/alice"] } }] },
  ],
  requestPrincipalsStar: [
    { from: [{ source: { requestPrincipals: ["*", "*/bob", "https://issuer.example/*"] } }] },
  ],
  notRequestPrincipals: [{ from: [{ source: { notRequestPrincipals: ["*"] } }] }],
  methods: [{ to: [{ operation: { methods: ["GET", "HEAD"] } }] }],
  notMethods: [{ to: [{ operation: { notMethods: ["DELETE"] } }] }],
  paths: [{ to: [{ operation: { paths: ["/api/*", "*.png", "/healthz"] } }] }],
  pathAny: [{ to: [{ operation: { paths: ["*"] } }] }],
  pathPrefixOnly: [{ to: [{ operation: { paths: ["/api/*"], notPaths: ["/api/admin*"] } }] }],
  pathTemplate: [{ to: [{ operation: { paths: ["/v1/{*}/reviews", "/static/{**}"] } }] }],
  hosts: [{ to: [{ operation: { hosts: ["Reviews.shop.svc.cluster.local", "*.example.com"] } }] }],
  ports: [{ to: [{ operation: { ports: ["9080"] } }] }],
  notPorts: [{ to: [{ operation: { notPorts: ["15021"] } }] }],
  badPort: [{ to: [{ operation: { ports: ["http"] } }] }],
  whenHeader: [{ when: [{ key: "request.headers[x-user]", values: ["alice", "adm*"] }] }],
  whenHeaderPresent: [{ when: [{ key: "request.headers[X-Token]", values: ["*"] }] }],
  whenNotHeader: [{ when: [{ key: "request.headers[x-user]", notValues: ["mallory"] }] }],
  whenClaim: [{ when: [{ key: "request.auth.claims[groups]", values: ["admins"] }] }],
  whenNestedClaim: [{ when: [{ key: "request.auth.claims[realm][role]", values: ["ops*"] }] }],
  whenAudiences: [{ when: [{ key: "request.auth.audiences", values: ["shop"] }] }],
  whenPresenter: [{ when: [{ key: "request.auth.presenter", notValues: ["cli"] }] }],
  whenSourceIp: [{ when: [{ key: "source.ip", values: ["10.1.0.0/16"] }] }],
  whenDestination: [
    {
      when: [
        { key: "destination.port", values: ["9080", "8080"] },
        { key: "destination.ip", values: ["10.9.0.0/16"] },
      ],
    },
  ],
  whenSni: [{ when: [{ key: "connection.sni", values: ["*.shop.svc.cluster.local"] }] }],
  whenSourceKeys: [
    {
      when: [
        { key: "source.namespace", values: ["shop"] },
        { key: "source.principal", notValues: ["*/sa/bot"] },
        { key: "source.serviceAccount", values: ["web"] },
        { key: "source.trustDomain", values: ["*"] },
      ],
    },
  ],
  unknownWhenKey: [{ when: [{ key: "request.colour", values: ["red"] }] }],
  mixed: [
    {
      from: [
        { source: { principals: ["cluster.local/ns/shop/sa/web"] } },
        { source: { namespaces: ["ops-prod"], requestPrincipals: ["*"] } },
      ],
      to: [
        { operation: { methods: ["GET"], paths: ["/api/*"] } },
        { operation: { ports: ["9080"], notMethods: ["POST"] } },
      ],
      when: [{ key: "request.headers[x-user]", notValues: ["mallory"] }],
    },
    {
      from: [{ source: { ipBlocks: ["10.1.2.0/24"] } }],
      to: [{ operation: { ports: ["15000"] } }],
    },
  ],
  everything: [{}],
  none: [],
};

const policy = (
  name: string,
  spec: AuthorizationPolicySpec,
  ns = "shop",
  annotations?: Record<string, string>,
): AuthzPolicyInput => ({ namespace: ns, name, spec, ...(annotations ? { annotations } : {}) });

const single = Object.entries(rules).flatMap(([name, r]) =>
  (["ALLOW", "DENY", "AUDIT"] as const).map(action => [
    `${action} ${name}`,
    [policy(name.toLowerCase(), { action, rules: r })],
  ]),
) as [string, AuthzPolicyInput[]][];

const sets: [string, AuthzPolicyInput[]][] = [
  ...single,
  [
    "DENY before ALLOW, root namespace, dry-run",
    [
      policy("deny-admin", { action: "DENY", rules: rules.pathPrefixOnly }),
      policy("allow-shop", { rules: rules.namespaces }),
      policy("allow-get", { rules: rules.methods }, "istio-system"),
      policy("dry-deny", { action: "DENY", rules: rules.everything }, "shop", {
        "istio.io/dry-run": "true",
      }),
      policy("dry-allow", { rules: rules.whenHeader }, "shop", { "istio.io/dry-run": "true" }),
    ],
  ],
  [
    "allow nothing beside an allow",
    [policy("none", {}), policy("web", { rules: rules.principalExact })],
  ],
  [
    "only dry-run ALLOW",
    [policy("dry", { rules: rules.methods }, "shop", { "istio.io/dry-run": "1" })],
  ],
];

const claims = {
  iss: "https://issuer.example",
  sub: "alice",
  groups: ["devs", "admins"],
  realm: { role: "ops-lead" },
  aud: "shop",
  azp: "web-ui",
};

const requests: [string, AuthzRequest][] = [
  ["nothing known", {}],
  [
    "meshed web GET",
    {
      principal: "cluster.local/ns/shop/sa/web",
      sourceIp: "10.1.2.3",
      destinationIp: "10.9.0.7",
      destinationPort: 9080,
      sni: "outbound_.9080_._.reviews.shop.svc.cluster.local",
      method: "GET",
      path: "/api/v1?x=/admin",
      host: "reviews.shop.svc.cluster.local",
      headers: { "X-User": "alice" },
    },
  ],
  [
    "ops bot DELETE admin with JWT",
    {
      principal: "cluster.local/ns/ops-prod/sa/bot",
      sourceIp: "10.2.0.1",
      remoteIp: "203.0.113.9",
      destinationPort: 15021,
      method: "DELETE",
      path: "/api/admin/users",
      host: "api.example.com",
      headers: { "x-user": "mallory", "x-token": "" },
      claims,
    },
  ],
  [
    "other trust domain admin, png",
    {
      principal: "other-td/ns/shop/sa/admin",
      sourceIp: "2001:db8::5",
      destinationPort: 8080,
      method: "POST",
      path: "/img/logo.png",
      host: "API.EXAMPLE.COM",
      headers: { "x-user": "admiral" },
      claims: { iss: "https://other.example", sub: "bob", groups: "admins", azp: "cli" },
    },
  ],
  [
    "plaintext with JWT to a template path",
    {
      sourceIp: "192.168.0.1",
      destinationPort: 9080,
      method: "HEAD",
      path: "/v1/books/reviews",
      claims: { iss: "https://issuer.example", sub: "carol", aud: ["x", "shop"] },
    },
  ],
  [
    "static deep path, nested service account",
    {
      principal: "cluster.local/ns/shop/sa/web-v2",
      sourceIp: "10.1.0.1",
      destinationPort: 9080,
      method: "GET",
      path: "/static/css/site.css",
      headers: { "x-user": "bob" },
    },
  ],
  [
    "healthz, empty path template segment",
    {
      principal: "cluster.local/ns/shop/sa/web",
      method: "GET",
      path: "/v1//reviews",
      destinationPort: 15021,
    },
  ],
  [
    "edges: empty claims and header, suffix inside, port in host",
    {
      principal: "cluster.local/ns/shop/sa/admin-x",
      sourceIp: "10.1.255.255",
      destinationPort: 9080,
      method: "GETX",
      path: "/logo.png/x",
      host: "reviews.shop.svc.cluster.local:9080",
      headers: { "x-user": "", "x-token": "t" },
      claims: { iss: "", sub: "alice", groups: [1, "admins-x"], realm: "ops", aud: ["shopx"] },
    },
  ],
  ["root path", { principal: "x/ns/ops-dev/sa/web", path: "/", method: "PUT", host: "reviews" }],
];

function expected(
  e: Explanation,
  policies: readonly AuthzPolicyInput[],
  dryRun: boolean,
): string[] {
  return e.policies
    .filter(p => p.dryRun === dryRun && p.action !== "CUSTOM")
    .flatMap(p => {
      const [ns = "", name = ""] = p.policy.split("/");
      return p.rules.filter(r => r.matched).map(r => rbacPolicyName(ns, name, r.index));
    })
    .filter(() => policies.length > 0)
    .sort();
}

describe.each(["HTTP", "TCP"] as const)(
  "explainRequest agrees with the compiled RBAC (%s)",
  protocol => {
    const build = protocol === "TCP" ? buildTcpAuthzFilters : buildHttpAuthzFilters;
    it.each(sets)("%s", (_name, policies) => {
      const { filters } = build(policies);
      for (const [what, request] of requests) {
        const req = { ...request, protocol };
        const rbac = runRbac(filters, req);
        const e = explainRequest(policies, req);
        const got = {
          request: what,
          allowed: e.verdict === "ALLOW",
          matched: expected(e, policies, false),
          shadowMatched: expected(e, policies, true),
        };
        expect(got).toEqual({ request: what, ...rbac });
      }
    });
  },
);

describe("the drift cases discriminate", () => {
  // Rules whose ALLOW form must both admit and refuse some request on HTTP, or the drift
  // comparison above would prove nothing about them.
  const constant = new Set(["everything", "none", "unknownWhenKey", "badPort"]);
  it.each(Object.keys(rules).filter(n => !constant.has(n)))("%s", name => {
    const policies = [policy(name.toLowerCase(), { rules: rules[name] })];
    const verdicts = new Set(requests.map(([, r]) => explainRequest(policies, r).verdict));
    expect([...verdicts].sort()).toEqual(["ALLOW", "DENY"]);
  });
});

describe("the drift test can fail", () => {
  it("sees a difference when the evaluator is handed a different rule than the builder", () => {
    const policies = [policy("p", { rules: rules.methods })];
    const req: AuthzRequest = { method: "POST", path: "/" };
    const rbac = runRbac(buildHttpAuthzFilters(policies).filters, req);
    const e = explainRequest([policy("p", { rules: rules.notMethods })], req);
    expect(e.verdict === "ALLOW").not.toBe(rbac.allowed);
  });
});
