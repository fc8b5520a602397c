import { check, errors, full, type Row } from "./table";

const K = "AuthorizationPolicy";
const from = (source: object) => ({ rules: [{ from: [{ source }] }] });
const to = (operation: object) => ({ rules: [{ to: [{ operation }] }] });
const when = (key: string, values: string[]) => ({ rules: [{ when: [{ key, values }] }] });

const invalid: Row[] = [
  [
    "serviceAccounts with namespaces",
    from({ serviceAccounts: ["bar/sa"], namespaces: ["bar"] }),
    "spec.rules[0].from[0].source: cannot set serviceAccounts with namespaces or principals, found at rule 0",
  ],
  [
    "an empty source",
    from({}),
    "spec.rules[0].from[0].source: `from.source` must not be empty, found at rule 0",
  ],
  [
    "a from without source",
    { rules: [{ from: [{}] }] },
    "spec.rules[0].from[0].source: `from.source` must not be nil, found at rule 0",
  ],
  [
    "an empty operation",
    to({}),
    "spec.rules[0].to[0].operation: `to.operation` must not be empty, found at rule 0",
  ],
  [
    "an empty principal",
    from({ principals: [""] }),
    "spec.rules[0].from[0].source.principals: empty value not allowed, found in Principals",
  ],
  [
    "a bad IP block",
    from({ ipBlocks: ["10.0.0.0/40"] }),
    "spec.rules[0].from[0].source.ipBlocks: bad CIDR range (10.0.0.0/40)",
  ],
  [
    "a bad remote IP",
    from({ remoteIpBlocks: ["1.2.3"] }),
    "spec.rules[0].from[0].source.remoteIpBlocks: bad IP address (1.2.3)",
  ],
  [
    "a wildcard service account",
    from({ serviceAccounts: ["ns/*"] }),
    "spec.rules[0].from[0].source.serviceAccounts: wildcard not allowed, found in ServiceAccounts",
  ],
  [
    "a service account with two slashes",
    from({ serviceAccounts: ["a/b/c"] }),
    "spec.rules[0].from[0].source.serviceAccounts: expected format 'serviceAccount' or 'namespace/serviceAccount', found \"a/b/c\" in ServiceAccounts",
  ],
  [
    "a trust domain with a slash",
    from({ trustDomains: ["td/x"] }),
    "spec.rules[0].from[0].source.trustDomains: trust domain must not contain '/', found in TrustDomains: \"td/x\"",
  ],
  [
    "a wildcard in the middle of a trust domain",
    from({ trustDomains: ["a*b"] }),
    'spec.rules[0].from[0].source.trustDomains: wildcard is only allowed at the start or end, found in TrustDomains: "a*b"',
  ],
  [
    "a port that is not a number",
    to({ ports: ["http"] }),
    "spec.rules[0].to[0].operation.ports: bad port (http)",
  ],
  [
    "a port above 65535",
    to({ notPorts: ["70000"] }),
    "spec.rules[0].to[0].operation.notPorts: bad port (70000)",
  ],
  [
    "{**} before another operator",
    to({ paths: ["/{**}/a/{*}"] }),
    "spec.rules[0].to[0].operation.paths: invalid or unsupported path {**}/a/{*}, found in Paths. {**} is not the last operator",
  ],
  [
    "a brace outside a template",
    to({ paths: ["/a/{id}"] }),
    "spec.rules[0].to[0].operation.paths: invalid or unsupported path a/{id}, found in Paths. Contains '{' or '}' beyond a supported path template",
  ],
  [
    "a condition without values",
    { rules: [{ when: [{ key: "request.headers[x-user]" }] }] },
    "spec.rules[0].when[0]: at least one of `values` or `notValues` must be set for key request.headers[x-user]",
  ],
  [
    "an unknown attribute",
    when("request.method", ["GET"]),
    "spec.rules[0].when[0].key: invalid `key` request.method: unknown attribute: request.method",
  ],
  [
    "a header key without brackets",
    when("request.headers", ["x"]),
    "spec.rules[0].when[0].key: invalid `key` request.headers: bad key (request.headers): should have format a[b]",
  ],
  [
    "destination.labels",
    when("destination.labels[app]", ["a"]),
    "spec.rules[0].when[0].key: invalid `key` destination.labels[app]: attribute destination.labels[app] is replaced by the workload selector",
  ],
  [
    "a bad source.ip value",
    when("source.ip", ["10.0.0.300"]),
    "spec.rules[0].when[0].values: invalid `value` for `key` source.ip: bad IP address (10.0.0.300)",
  ],
  [
    "DENY without rules",
    { action: "DENY" },
    "spec.rules: DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request",
  ],
  [
    "CUSTOM without provider",
    { action: "CUSTOM", rules: [{}] },
    "spec.provider.name: `provider.name` must not be empty",
  ],
  [
    "CUSTOM with principals",
    {
      action: "CUSTOM",
      provider: { name: "ext-authz" },
      rules: [{ from: [{ source: { principals: ["a"] } }] }],
    },
    "spec.rules[0].from[0].source.principals: From.Principals is currently not supported with CUSTOM action",
  ],
  [
    "CUSTOM with a JWT claim condition",
    {
      action: "CUSTOM",
      provider: { name: "ext-authz" },
      rules: [{ when: [{ key: "request.auth.claims[iss]", values: ["x"] }] }],
    },
    "spec.rules[0].when[0].key: request.auth.claims[iss] is currently not supported with CUSTOM action",
  ],
  [
    "a provider on ALLOW",
    { action: "ALLOW", provider: { name: "ext-authz" }, rules: [{}] },
    "spec.provider: `provider` must not be with non CUSTOM action, found ALLOW",
  ],
  [
    "an unknown action",
    { action: "PERMIT" },
    'spec.action: Unsupported value: "PERMIT": supported values: "ALLOW", "DENY", "AUDIT", "CUSTOM"',
  ],
  [
    "a selector and targetRefs",
    { selector: { matchLabels: { app: "a" } }, targetRefs: [{ kind: "Service", name: "a" }] },
    "spec: only one of targetRefs or workloadSelector can be set",
  ],
];

const valid: [string, unknown][] = [
  ["allow-nothing (empty spec)", {}],
  ["allow-all (one empty rule)", { rules: [{}] }],
  [
    "prefix and suffix wildcards",
    from({ principals: ["cluster.local/ns/*", "*/sa/x", "*"], namespaces: ["prod-*"] }),
  ],
  ["path templates", to({ paths: ["/api/{*}/items", "/files/{**}"], methods: ["GET"] })],
  [
    "every documented condition key",
    {
      rules: [
        {
          when: [
            { key: "request.headers[User-Agent]", values: ["curl/*"] },
            { key: "source.ip", values: ["10.0.0.0/8"] },
            { key: "remote.ip", values: ["1.2.3.4"] },
            { key: "source.namespace", values: ["prod"] },
            { key: "source.principal", values: ["cluster.local/ns/prod/sa/a"] },
            { key: "request.auth.principal", values: ["iss/sub"] },
            { key: "request.auth.audiences", values: ["api"] },
            { key: "request.auth.presenter", values: ["app"] },
            { key: "request.auth.claims[groups]", values: ["admin"] },
            { key: "destination.ip", values: ["10.0.0.1"] },
            { key: "destination.port", values: ["8080"] },
            { key: "connection.sni", values: ["*.example.com"] },
            { key: "source.serviceAccount", values: ["prod/a"] },
            { key: "source.trustDomain", values: ["cluster.local"] },
            { key: "experimental.envoy.filters.a.b[c]", values: ["x"] },
          ],
        },
      ],
    },
  ],
  [
    "CUSTOM with a provider and paths",
    {
      action: "CUSTOM",
      provider: { name: "ext-authz" },
      rules: [{ to: [{ operation: { paths: ["/admin/*"] } }] }],
    },
  ],
  [
    "DENY with ports",
    {
      action: "DENY",
      rules: [
        {
          from: [{ source: { notNamespaces: ["prod"] } }],
          to: [{ operation: { ports: ["8080"] } }],
        },
      ],
    },
  ],
  ["AUDIT", { action: "AUDIT", rules: [{ to: [{ operation: { methods: ["DELETE"] } }] }] }],
  ["service accounts alone", from({ serviceAccounts: ["prod/a", "b"] })],
];

describe("AuthorizationPolicy validation", () => {
  it("has at least 20 invalid cases", () => expect(invalid.length).toBeGreaterThanOrEqual(20));
  it.each(invalid)("refuses %s", (_label, spec, expected) =>
    expect(errors(K, spec)).toEqual(full(K, expected)),
  );
  it.each(valid)("accepts %s", (_label, spec) => expect(errors(K, spec)).toEqual([]));

  it("warns that a DENY rule with only HTTP attributes denies all TCP traffic", () => {
    const r = check(K, { action: "DENY", rules: [{ to: [{ operation: { methods: ["POST"] } }] }] });
    expect(r.errors).toEqual([]);
    expect(r.warnings.map(w => w.message)).toEqual(
      full(
        K,
        "spec.rules[0]: configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port",
      ),
    );
  });

  it.each([
    ["true", "ALLOW", []],
    [
      "maybe",
      "DENY",
      [
        "metadata.annotations[istio.io/dry-run]: annotation istio.io/dry-run has invalid value (maybe): must be a boolean",
      ],
    ],
    [
      "true",
      "CUSTOM",
      [
        "metadata.annotations[istio.io/dry-run]: the annotation istio.io/dry-run currently only supports action ALLOW/DENY, found action CUSTOM",
      ],
    ],
  ])("checks the dry-run annotation %s on %s", (value, action, expected) => {
    const spec = {
      action,
      ...(action === "CUSTOM" ? { provider: { name: "p" } } : {}),
      rules: [{ to: [{ operation: { ports: ["80"] } }] }],
    };
    expect(errors(K, spec, { annotations: { "istio.io/dry-run": value } })).toEqual(
      full(K, expected as string[]),
    );
  });
});

/**
 * Disagreements with Istio found by running Istio's own validation (the webhook's Go code, fed
 * the spec through protojson as istiod reads it) on the same specs. protojson reads an empty
 * list as no list, so `rules: []` is "without rules" and `from: []` / `to: []` are no condition.
 */
describe("AuthorizationPolicy validation: parity with Istio", () => {
  it.each<Row>([
    [
      'DENY with `rules: []` (Istio case "deny-rules-nil"; protojson reads [] as nil)',
      { action: "DENY", rules: [] },
      `spec.rules: DENY action without \`rules\` is meaningless as it will never be triggered, add an empty rule \`{}\` if you want it be triggered for every request`,
    ],
    [
      "CUSTOM with `rules: []` (Istio refuses CUSTOM with nil rules; protojson reads [] as nil)",
      { action: "CUSTOM", provider: { name: "p" }, rules: [] },
      `spec.rules: CUSTOM action without \`rules\` is meaningless as it will never be triggered, add an empty rule \`{}\` if you want it be triggered for every request`,
    ],
  ])("refuses %s", (_label, spec, expected) => expect(errors(K, spec)).toEqual(full(K, expected)));
  it.each<[string, unknown]>([
    [
      '`from: []` (Istio case "from-empty" builds a non-nil empty slice; YAML [] reaches Istio as nil)',
      { rules: [{ from: [] }] },
    ],
    ['`to: []` (Istio case "to-empty", likewise)', { rules: [{ to: [] }] }],
    [
      "`from: []` beside a `to` on a DENY rule",
      { action: "DENY", rules: [{ from: [], to: [{ operation: { ports: ["80"] } }] }] },
    ],
    [
      "`from: []` on a CUSTOM rule",
      { action: "CUSTOM", provider: { name: "p" }, rules: [{ from: [] }] },
    ],
    ["ALLOW with `rules: []` (allows nothing)", { action: "ALLOW", rules: [] }],
  ])("accepts %s", (_label, spec) => expect(errors(K, spec)).toEqual([]));
});

/**
 * Rules of Istio's CRD (CEL) that test a field's presence with `has()`: the API server counts a
 * present empty list, map or string, where Istio's webhook code counts only non-empty ones.
 */
describe("AuthorizationPolicy validation: parity with Istio's CRD", () => {
  it.each<Row>([
    [
      'a selector with `targetRefs: []` (CEL "only one of targetRefs or selector can be set")',
      { selector: { matchLabels: { app: "a" } }, targetRefs: [] },
      "spec: only one of targetRefs or workloadSelector can be set",
    ],
    [
      'serviceAccounts with `principals: []` (CEL "Cannot set serviceAccounts with namespaces or principals")',
      { rules: [{ from: [{ source: { serviceAccounts: ["ns/sa"], principals: [] } }] }] },
      "spec.rules[0].from[0].source: cannot set serviceAccounts with namespaces or principals, found at rule 0",
    ],
  ])("refuses %s", (_label, spec, expected) => expect(errors(K, spec)).toEqual(full(K, expected)));
});
