import { errors, full, warnings, type Row } from "./table";

const K = "VirtualService";
const dest = (host = "reviews", extra: object = {}) => ({ destination: { host, ...extra } });
const http = (route: object) => ({ hosts: ["reviews"], http: [route] });
const routed = (extra: object = {}) => http({ route: [dest()], ...extra });
const RE2 = "Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)";

const invalid: Row[] = [
  [
    "no routes at all",
    { hosts: ["reviews"] },
    "spec: http, tcp or tls must be provided in virtual service",
  ],
  [
    "negative weight",
    http({
      route: [dest("a", {}), dest("b")].map((d, i) => ({ ...d, weight: i === 0 ? -10 : 110 })),
    }),
    "spec.http[0].route[0].weight: weight -10 < 0",
  ],
  [
    "several destinations, all weights zero",
    http({ route: [dest("a"), dest("b")] }),
    "spec.http[0].route: total destination weight = 0",
  ],
  [
    "wildcard host bound to the mesh",
    { hosts: ["*"], http: [{ route: [dest()] }] },
    "spec.hosts[0]: wildcard host * is not allowed for virtual services bound to the mesh gateway",
  ],
  [
    "host with a space",
    { hosts: ["rev iews"], http: [{ route: [dest()] }] },
    'spec.hosts[0]: domain name "rev iews" invalid (label "rev iews" invalid)',
  ],
  [
    "overlapping hosts",
    { hosts: ["*.example.com", "a.example.com"], http: [{ route: [dest()] }] },
    "spec.hosts: duplicate hosts in virtual service: *.example.com & a.example.com",
  ],
  [
    "destination host *",
    http({ route: [dest("*")] }),
    "spec.http[0].route[0].destination.host: invalid destination host *",
  ],
  [
    "subset not a DNS label",
    http({ route: [dest("reviews", { subset: "V_1" })] }),
    "spec.http[0].route[0].destination.subset: subset name is invalid: V_1",
  ],
  [
    "destination port 0",
    http({ route: [dest("reviews", { port: { number: 0 } })] }),
    "spec.http[0].route[0].destination.port.number: port number 0 must be in the range 1..65535",
  ],
  [
    "route and redirect",
    routed({ redirect: { uri: "/v2" } }),
    "spec.http[0]: HTTP route cannot contain both route and redirect",
  ],
  [
    "neither route nor redirect",
    http({ match: [{ uri: { prefix: "/" } }] }),
    "spec.http[0]: HTTP route, redirect or direct_response is required",
  ],
  [
    "Perl lookahead regex",
    routed({ match: [{ uri: { regex: "a(?=b)" } }] }),
    `spec.http[0].match[0].uri.regex: error parsing regexp: invalid or unsupported Perl syntax: \`(?=\`; ${RE2}`,
  ],
  [
    "empty header prefix",
    routed({ match: [{ headers: { "x-user": { prefix: "" } } }] }),
    "spec.http[0].match[0].headers[x-user].prefix: prefix string match should not be empty",
  ],
  [
    "timeout under 1ms",
    routed({ timeout: "0.5ms" }),
    "spec.http[0].timeout: duration must be greater than 1ms",
  ],
  [
    "timeout not a duration",
    routed({ timeout: "ten" }),
    'spec.http[0].timeout: invalid duration "ten": use a number with a unit, e.g. 500ms, 5s, 1m',
  ],
  [
    "retry policy with zero attempts",
    routed({ retries: { attempts: 0, perTryTimeout: "1s" } }),
    "spec.http[0].retries: http retry policy configured when attempts are set to 0 (disabled)",
  ],
  [
    "unknown retryOn",
    routed({ retries: { attempts: 3, retryOn: "5xx,bogus" } }),
    'spec.http[0].retries.retryOn: "bogus" is not a valid retryOn policy',
  ],
  [
    "abort status 700",
    routed({ fault: { abort: { httpStatus: 700, percentage: { value: 10 } } } }),
    "spec.http[0].fault.abort.httpStatus: HTTP status 700 is not in range 200-599",
  ],
  [
    "delay percentage 101",
    routed({ fault: { delay: { fixedDelay: "5s", percentage: { value: 101 } } } }),
    "spec.http[0].fault.delay.percentage.value: percentage 101 is neither 0.0, nor in range [0.0001, 100.0]",
  ],
  [
    "redirect code 200",
    http({ redirect: { uri: "/v2", redirectCode: 200 } }),
    "spec.http[0].redirect.redirectCode: 200 is not a valid redirect code, must be 3xx",
  ],
  [
    "CORS method FETCH",
    routed({ corsPolicy: { allowMethods: ["FETCH"] } }),
    'spec.http[0].corsPolicy.allowMethods[0]: "FETCH" is not a supported HTTP method',
  ],
  [
    "removing the Host header",
    routed({ headers: { request: { remove: ["Host"] } } }),
    'spec.http[0].headers.request.remove[0]: invalid header "Host": cannot set Host header',
  ],
  [
    "unterminated header variable",
    routed({ headers: { response: { set: { "x-up": "%UPSTREAM_HOST" } } } }),
    "spec.http[0].headers.response.set[x-up]: header value configuration: invalid header configuration. Un-terminated variable expression '%UPSTREAM_HOST'",
  ],
  [
    "delegate with gateways",
    { gateways: ["istio-system/gw"], http: [{ route: [dest()] }] },
    "spec.gateways: delegate virtual service must have no gateways specified",
  ],
  [
    "gateway namespace not a label",
    { hosts: ["reviews"], gateways: ["Bad_NS/gw"], http: [{ route: [dest()] }] },
    'spec.gateways[0]: invalid value for namespace: "Bad_NS"',
  ],
  [
    "SNI host outside the hosts",
    {
      hosts: ["a.example.com"],
      tls: [{ match: [{ sniHosts: ["b.example.com"] }], route: [dest("a.example.com")] }],
    },
    'spec.tls[0].match[0].sniHosts[0]: SNI host "b.example.com" is not a compatible subset of any of the virtual service hosts: [a.example.com]',
  ],
  [
    "TCP rule without route",
    { hosts: ["mongo"], tcp: [{ match: [{ port: 27017 }] }] },
    "spec.tcp[0].route: TCP route is required",
  ],
  [
    "TCP destination subnet",
    {
      hosts: ["mongo"],
      tcp: [{ match: [{ destinationSubnets: ["10.0.0.0/33"] }], route: [dest("mongo")] }],
    },
    "spec.tcp[0].match[0].destinationSubnets[0]: 10.0.0.0/33 is not a valid CIDR block",
  ],
  [
    "JWT claim routing on the mesh",
    routed({ match: [{ headers: { "@request.auth.claims.group": { exact: "admin" } } }] }),
    "spec.http[0].match[0].headers[@request.auth.claims.group]: JWT claim based routing (key: @request.auth.claims.group) is only supported for gateway, found no gateways: []",
  ],
  [
    "http is not a list",
    { hosts: ["reviews"], http: "oops" },
    "spec.http: Invalid type: expected array, got string",
  ],
  [
    "exact and prefix in one match",
    routed({ match: [{ uri: { exact: "/a", prefix: "/" } }] }),
    "spec.http[0].match[0].uri: only one of exact, prefix, regex may be set, found exact, prefix",
  ],
  [
    "mirror and mirrors",
    routed({ mirror: { host: "a" }, mirrors: [{ destination: { host: "b" } }] }),
    "spec.http[0]: HTTP route cannot contain both mirror and mirrors",
  ],
  [
    "route without destination",
    http({ route: [{ weight: 100 }] }),
    "spec.http[0].route[0].destination: Required value",
  ],
  [
    "rewrite with nothing to rewrite",
    routed({ rewrite: {} }),
    "spec.http[0].rewrite: rewrite must specify at least one of URI, UriRegexRewrite, or authority. Only one of URI or UriRegexRewrite may be specified",
  ],
];

const valid: [string, unknown][] = [
  [
    "a wildcard host on a gateway",
    { hosts: ["*"], gateways: ["istio-system/ingressgateway"], http: [{ route: [dest()] }] },
  ],
  ["an empty URI prefix (matches everything)", routed({ match: [{ uri: { prefix: "" } }] })],
  ["an empty match object", routed({ match: [{}] })],
  [
    "a catch-all route after matched ones",
    {
      hosts: ["reviews"],
      http: [
        { match: [{ uri: { prefix: "/v2" } }], route: [dest("reviews", { subset: "v2" })] },
        { route: [dest()] },
      ],
    },
  ],
  [
    "weights summing to 100",
    http({
      route: [
        { ...dest("reviews", { subset: "v1" }), weight: 75 },
        { ...dest("reviews", { subset: "v2" }), weight: 25 },
      ],
    }),
  ],
  ["a delegate (no hosts) with HTTP routes only", { http: [{ route: [dest()] }] }],
  [
    "withoutHeaders with the presence wildcard",
    routed({ match: [{ withoutHeaders: { "x-debug": { regex: "*" } } }] }),
  ],
  ["an IP address host", { hosts: ["10.0.0.1"], http: [{ route: [dest()] }] }],
  [
    "JWT claim routing on a gateway",
    {
      hosts: ["*"],
      gateways: ["istio-system/gw"],
      http: [
        {
          match: [{ headers: { "@request.auth.claims.group": { exact: "admin" } } }],
          route: [dest()],
        },
      ],
    },
  ],
  [
    "redirect deriving the port",
    http({ redirect: { authority: "x.example.com", derivePort: "FROM_REQUEST_PORT" } }),
  ],
  ["a direct response", http({ directResponse: { status: 503, body: { string: "down" } } })],
  [
    "Go-style durations",
    routed({
      timeout: "1m30s",
      retries: { attempts: 2, perTryTimeout: "1.5s", retryOn: "5xx,503,reset" },
    }),
  ],
  [
    "header variables",
    routed({
      headers: {
        request: { set: { "x-host": "%HOSTNAME%", "x-pct": "100%%", "x-req": "%REQ(x-user)%" } },
      },
    }),
  ],
  [
    "a TLS passthrough route",
    {
      hosts: ["*.example.com"],
      gateways: ["gw"],
      tls: [
        { match: [{ sniHosts: ["a.example.com"], port: 443 }], route: [dest("a.example.com")] },
      ],
    },
  ],
  [
    "both mesh and a gateway",
    { hosts: ["reviews"], gateways: ["mesh", "istio-system/gw"], http: [{ route: [dest()] }] },
  ],
  [
    "null fields, dropped like the API server does",
    { hosts: ["reviews"], http: [{ route: [dest()], timeout: null }] },
  ],
];

describe("VirtualService validation", () => {
  it("has at least 20 invalid cases", () => expect(invalid.length).toBeGreaterThanOrEqual(20));
  it.each(invalid)("refuses %s", (_label, spec, expected) =>
    expect(errors(K, spec)).toEqual(full(K, expected)),
  );
  it.each(valid)("accepts %s", (_label, spec) => expect(errors(K, spec)).toEqual([]));

  it.each<Row>([
    [
      "weights that do not sum to 100",
      http({
        route: [
          { ...dest("a"), weight: 60 },
          { ...dest("b"), weight: 50 },
        ],
      }),
      "spec.http[0].route: weights sum to 110, not 100: traffic is split in proportion to the weights",
    ],
    [
      "a rule after a catch-all",
      { hosts: ["reviews"], http: [{ route: [dest()] }, { route: [dest("b")] }] },
      "spec.http[1]: virtualService rule #1 not used (only the last rule can have no matches)",
    ],
    [
      "a match repeated from an earlier rule",
      {
        hosts: ["reviews"],
        http: [
          { name: "a", match: [{ uri: { exact: "/x" } }], route: [dest()] },
          { name: "b", match: [{ uri: { exact: "/x" } }], route: [dest()] },
        ],
      },
      [
        'spec.http[1]: virtualService rule "b" match #0 is not used (duplicate/overlapping match in rule "a")',
        'spec.http[1]: virtualService rule "b" not used (all matches used by prior rules)',
      ],
    ],
    [
      "a prefix covered by a shorter one",
      {
        hosts: ["reviews"],
        http: [
          { match: [{ uri: { prefix: "/api" } }], route: [dest()] },
          { match: [{ uri: { prefix: "/api/v2" } }], route: [dest()] },
        ],
      },
      "spec.http: virtualService rule #1 match #0 of prefix /api/v2 is not used (duplicate/overlapping match in rule #0 of prefix /api on #0)",
    ],
    [
      "a legacy gateway name",
      { hosts: ["reviews"], gateways: ["gw.istio-system"], http: [{ route: [dest()] }] },
      'spec.gateways[0]: using legacy gatewayName format "gw.istio-system"; prefer the <namespace>/<name> format: "istio-system/gw"',
    ],
  ])("warns about %s", (_label, spec, expected) => {
    expect(errors(K, spec)).toEqual([]);
    expect(warnings(K, spec)).toEqual(full(K, expected));
  });

  it("formats messages with the object, the path and the rule", () => {
    expect(
      warnings(
        K,
        http({
          route: [
            { ...dest("a"), weight: 60 },
            { ...dest("b"), weight: 50 },
          ],
        }),
        { name: "reviews" },
      ),
    ).toEqual([
      "VirtualService default/reviews: spec.http[0].route: weights sum to 110, not 100: traffic is split in proportion to the weights",
    ]);
  });
});
