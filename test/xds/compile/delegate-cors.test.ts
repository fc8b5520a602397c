/**
 * Delegate VirtualServices and CORS policies, asserted on the Envoy RouteConfigurations and
 * Listeners as decoded from their protobuf bytes (a misspelled or dropped field fails here, not
 * only in the encoder check every build also passes).
 *
 * Delegation follows Istio's merge (pilot/pkg/model/virtualservice.go MergeHTTPRoutes,
 * mergeHTTPMatchRequests, hasConflict; virtualservice_controller.go mergeVirtualServices).
 * `../shared/istio` holds no delegate sample (only the CRD mentions `delegate:`), so the
 * delegate configs are written here; the gateway case starts from the bookinfo sample.
 *
 * CORS has no data-plane test: grpc-js-xds, our real client, has no CORS filter and is never
 * sent one; for Envoy the decoded resources are the contract.
 */
import type { IstioObject } from "../../../mesh/api";
import { storeOf, type StoreObject } from "../../../mesh/store";
import { validate } from "../../../mesh/validation";
import { compile, type CompiledResources } from "../../../xds/compile";
import type { ResourceObject } from "../../../xds/encode/encode-resource";
import {
  checkedSnapshot,
  decoded,
  grpcNode,
  istioPath,
  loadYaml,
  named,
  sidecarNode,
  storeObjects,
  WITHOUT_STATS,
} from "./fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
type Json = Record<string, any>;
type JsonList = any[];
/* eslint-enable @typescript-eslint/no-explicit-any */

const dec = (r: ResourceObject): Json => decoded(r);

function vs(name: string, spec: Json, namespace = "default"): StoreObject {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name, namespace },
    spec,
  } as unknown as IstioObject as StoreObject;
}

function service(name: string, ns: string, ip: string): StoreObject {
  return {
    kind: "Service",
    metadata: { name, namespace: ns },
    spec: { clusterIP: ip, selector: { app: name }, ports: [{ name: "http", port: 9080 }] },
  } as unknown as StoreObject;
}

const SERVICES = [
  service("productpage", "default", "10.96.0.10"),
  service("reviews", "team", "10.96.0.11"),
];
const SIDECAR = sidecarNode("10.1.2.3", "client-abc", "default", { app: "client" });
const GRPC = grpcNode("10.1.2.3", "client-abc", "default", { app: "client" });
const PP = "productpage.default.svc.cluster.local";
const REVIEWS_TEAM = "outbound|9080||reviews.team.svc.cluster.local";
const PP_CLUSTER = `outbound|9080||${PP}`;

const to = (host: string) => [{ destination: { host, port: { number: 9080 } } }];
/** A root for productpage whose first route delegates, then a catch-all to productpage. */
const root = (delegating: Json, extra: Json = {}) =>
  vs("pp-root", {
    hosts: ["productpage"],
    http: [
      { name: "pp", ...delegating },
      { name: "rest", route: to("productpage") },
    ],
    ...extra,
  });
const delegate = (http: Json[], ns = "team", extra: Json = {}) =>
  vs("pp-routes", { http, ...extra }, ns);
const REF = { delegate: { name: "pp-routes", namespace: "team" } };

function build(objects: StoreObject[], node: { id: string; metadata: Json } = SIDECAR) {
  const result = compile(storeOf([...SERVICES, ...objects]), node, WITHOUT_STATS);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  checkedSnapshot(result.value); // every resource encodes, every reference resolves
  return result.value;
}

/** The decoded routes of productpage's virtual host (sidecar route config `9080`). */
function ppRoutes(r: CompiledResources): JsonList {
  const rc = dec(named(r.routes, "9080"));
  return rc.virtual_hosts.find((v: Json) => v.name === `${PP}:9080`).routes;
}

/** A match translated from a VirtualService: istiod writes case_sensitive on each. */
const caseSensitive = (m: Json) => ({ ...m, case_sensitive: { value: true } });

/** Route name, match and cluster: what delegation decides. */
const summary = (routes: Json[]) =>
  routes.map(r => ({ name: r.name, match: r.match, cluster: r.route?.cluster }));

describe("delegate VirtualServices (sidecar)", () => {
  it("merges the delegate's routes under the root route, in place, its names resolved in its namespace", () => {
    const r = build([
      root({ match: [{ uri: { prefix: "/productpage" } }], ...REF }),
      delegate([
        { name: "v1", match: [{ uri: { exact: "/productpage/v1" } }], route: to("reviews") },
        { match: [{ uri: { prefix: "/productpage/api" } }], route: to("reviews") },
        { name: "all", route: to("productpage.default.svc.cluster.local") },
      ]),
    ]);
    expect(summary(ppRoutes(r))).toEqual([
      // `reviews` is the delegate's (team) reviews, not the root namespace's.
      { name: "pp-v1", match: caseSensitive({ path: "/productpage/v1" }), cluster: REVIEWS_TEAM },
      { name: "pp", match: caseSensitive({ prefix: "/productpage/api" }), cluster: REVIEWS_TEAM },
      // No match of its own: the root's.
      { name: "pp-all", match: caseSensitive({ prefix: "/productpage" }), cluster: PP_CLUSTER },
      // No match at all: the implicit catch-all, without case_sensitive (as from istiod).
      { name: "rest", match: { prefix: "/" }, cluster: PP_CLUSTER },
    ]);
    expect(r.warnings).toEqual([]);
    expect(r.clusters.map(c => c.name)).toContain(REVIEWS_TEAM);
  });

  // Root match, delegate match → the Envoy matches of the merged route, or dropped.
  it.each<[string, Json[] | undefined, Json[] | undefined, Json[] | "dropped"]>([
    [
      "prefix root, exact delegate under it",
      [{ uri: { prefix: "/a" } }],
      [{ uri: { exact: "/a/b" } }],
      [{ path: "/a/b" }],
    ],
    [
      "prefix root, longer prefix",
      [{ uri: { prefix: "/a" } }],
      [{ uri: { prefix: "/a/b" } }],
      [{ prefix: "/a/b" }],
    ],
    ["no root match: the delegate's", undefined, [{ uri: { exact: "/x" } }], [{ path: "/x" }]],
    [
      "prefix root, prefix outside it",
      [{ uri: { prefix: "/a" } }],
      [{ uri: { prefix: "/b" } }],
      "dropped",
    ],
    [
      "prefix root, shorter prefix",
      [{ uri: { prefix: "/a/b" } }],
      [{ uri: { prefix: "/a" } }],
      "dropped",
    ],
    [
      "exact root, prefix delegate",
      [{ uri: { exact: "/a" } }],
      [{ uri: { prefix: "/a" } }],
      "dropped",
    ],
    [
      "exact root, same exact",
      [{ uri: { exact: "/a" } }],
      [{ uri: { exact: "/a" } }],
      [{ path: "/a" }],
    ],
    [
      "regex root, exact delegate",
      [{ uri: { regex: "/a.*" } }],
      [{ uri: { exact: "/a" } }],
      "dropped",
    ],
    [
      "regex root, no uri in delegate",
      [{ uri: { regex: "/a.*" } }],
      [{ headers: { x: { exact: "1" } } }],
      [{ safe_regex: { regex: "/a.*" }, headers: [{ name: "x", string_match: { exact: "1" } }] }],
    ],
    [
      "root header and method inherited",
      [{ headers: { "x-team": { exact: "a" } }, method: { exact: "GET" } }],
      [{ uri: { exact: "/v1" } }],
      [
        {
          path: "/v1",
          headers: [
            { name: "x-team", string_match: { exact: "a" } },
            { name: ":method", string_match: { exact: "GET" } },
          ],
        },
      ],
    ],
    [
      "same header, other value",
      [{ headers: { x: { exact: "a" } } }],
      [{ headers: { x: { exact: "b" } } }],
      "dropped",
    ],
    [
      "ignoreUriCase on one side only",
      [{ uri: { prefix: "/a" }, ignoreUriCase: true }],
      [{ uri: { prefix: "/a" } }],
      "dropped",
    ],
    [
      "sourceNamespace differs",
      [{ sourceNamespace: "default" }],
      [{ sourceNamespace: "other" }],
      "dropped",
    ],
    [
      "two root matches, delegate under the second",
      [{ uri: { prefix: "/a" } }, { uri: { prefix: "/b" } }],
      [{ uri: { prefix: "/b/c" } }],
      [{ prefix: "/b/c" }],
    ],
    [
      "two root matches, no delegate match: both",
      [{ uri: { prefix: "/a" } }, { uri: { prefix: "/b" } }],
      undefined,
      [{ prefix: "/a" }, { prefix: "/b" }],
    ],
    [
      "one delegate match outside every root match drops the whole route",
      [{ uri: { prefix: "/a" } }],
      [{ uri: { prefix: "/a/1" } }, { uri: { prefix: "/z" } }],
      "dropped",
    ],
  ])("%s", (_label, rootMatch, leafMatch, expected) => {
    const r = build([
      root({ ...(rootMatch ? { match: rootMatch } : {}), ...REF }),
      delegate([{ name: "d", ...(leafMatch ? { match: leafMatch } : {}), route: to("reviews") }]),
    ]);
    const routes = ppRoutes(r).filter(x => x.name !== "rest");
    if (expected === "dropped") {
      expect(routes).toEqual([]);
      expect(r.warnings).toEqual([
        "VirtualService default/pp-root: spec.http[0].delegate: delegate VirtualService team/pp-routes spec.http[0].match is not within any of the root route's matches; dropped",
      ]);
    } else {
      expect(routes.map(x => x.match)).toEqual(expected.map(caseSensitive));
      expect(routes.every(x => x.route.cluster === REVIEWS_TEAM)).toBe(true);
      expect(r.warnings).toEqual([]);
    }
  });

  it("keeps the delegate's route fields and takes the unset ones from the root route", () => {
    const r = build([
      root({
        match: [{ uri: { prefix: "/p" } }],
        timeout: "5s",
        headers: { request: { set: { "x-root": "1" } } },
        fault: { abort: { httpStatus: 418, percentage: { value: 1 } } },
        ...REF,
      }),
      delegate([
        {
          name: "own",
          match: [{ uri: { prefix: "/p/own" } }],
          timeout: "1s",
          route: to("reviews"),
        },
        { name: "inherits", route: to("reviews") },
      ]),
    ]);
    const [own, inherits] = ppRoutes(r);
    expect(own.route.timeout).toMatchObject({ seconds: "1" });
    expect(inherits.route.timeout).toMatchObject({ seconds: "5" });
    for (const route of [own, inherits]) {
      expect(route.request_headers_to_add[0].header).toEqual({ key: "x-root", value: "1" });
      expect(route.typed_per_filter_config["envoy.filters.http.fault"].abort.http_status).toBe(418);
    }
  });

  // `mirror_percent` is one deprecated proto field with two JSON names (`mirrorPercent` too):
  // a delegate that writes either keeps it, whatever spelling the root used (Istio's merge sees
  // one field), and the compiler reads either.
  it.each<[string, Json, Json, number]>([
    [
      "root mirrorPercent, delegate mirror_percent",
      { mirrorPercent: 50 },
      { mirror_percent: 10 },
      10,
    ],
    [
      "root mirror_percent, delegate mirrorPercent",
      { mirror_percent: 50 },
      { mirrorPercent: 10 },
      10,
    ],
    ["root mirror_percent, delegate neither", { mirror_percent: 50 }, {}, 50],
    ["root mirrorPercent, delegate neither", { mirrorPercent: 50 }, {}, 50],
  ])("mirror percent: %s", (_label, rootPercent, leafPercent, percent) => {
    const r = build([
      root({ match: [{ uri: { prefix: "/p" } }], ...rootPercent, ...REF }),
      delegate([
        {
          route: to("productpage.default.svc.cluster.local"),
          mirror: { host: "reviews" },
          ...leafPercent,
        },
      ]),
    ]);
    const [mirrored] = ppRoutes(r);
    expect(mirrored.route.request_mirror_policies).toEqual([
      {
        cluster: REVIEWS_TEAM,
        // Percent in millionths, as Istio translates it.
        runtime_fraction: {
          default_value: { numerator: percent * 10_000, denominator: "MILLION" },
        },
      },
    ]);
  });

  it.each<[string, StoreObject[], string]>([
    [
      "missing",
      [],
      "VirtualService default/pp-root: spec.http[0].delegate: VirtualService team/pp-routes not found; route dropped",
    ],
    [
      "not exported to the root's namespace",
      [delegate([{ route: to("reviews") }], "team", { exportTo: ["."] })],
      "VirtualService default/pp-root: spec.http[0].delegate: delegate VirtualService team/pp-routes is not exported to namespace default; route dropped",
    ],
    [
      "a VirtualService with hosts (not a delegate)",
      [vs("pp-routes", { hosts: ["reviews"], http: [{ route: to("reviews") }] }, "team")],
      "VirtualService default/pp-root: spec.http[0].delegate: VirtualService team/pp-routes has hosts, so it is not a delegate; route dropped",
    ],
    [
      "a delegate that delegates again (one level only)",
      [delegate([{ delegate: { name: "pp-routes", namespace: "team" } }])],
      "VirtualService default/pp-root: spec.http[0].delegate: delegate VirtualService team/pp-routes spec.http[0]: delegates again, only one level is supported; dropped",
    ],
  ])("drops the root route when the delegate is %s, and says so", (_label, objects, warning) => {
    const r = build([root({ match: [{ uri: { prefix: "/p" } }], ...REF }), ...objects]);
    expect(summary(ppRoutes(r))).toEqual([
      { name: "rest", match: { prefix: "/" }, cluster: PP_CLUSTER },
    ]);
    expect(r.warnings).toEqual([warning]);
  });

  it("accepts a delegate exported to the root's namespace by name", () => {
    const r = build([
      root({ match: [{ uri: { prefix: "/p" } }], ...REF }),
      delegate([{ route: to("reviews") }], "team", { exportTo: ["default"] }),
    ]);
    expect(ppRoutes(r)).toHaveLength(2);
    expect(r.warnings).toEqual([]);
  });

  it("survives a cycle: roots delegating to each other resolve one level and stop", () => {
    // a → b (has hosts: not a delegate); the delegate routes back to itself (a chain).
    const objects = [
      root({ match: [{ uri: { prefix: "/p" } }], delegate: { name: "pp-root" } }),
      delegate([{ delegate: { name: "pp-routes", namespace: "team" } }]),
      vs("loop", { hosts: ["reviews.team.svc.cluster.local"], http: [{ ...REF }] }, "team"),
    ];
    const r = build(objects);
    expect(summary(ppRoutes(r))).toEqual([
      { name: "rest", match: { prefix: "/" }, cluster: PP_CLUSTER },
    ]);
    expect(r.warnings).toEqual([
      "VirtualService default/pp-root: spec.http[0].delegate: VirtualService default/pp-root has hosts, so it is not a delegate; route dropped",
      "VirtualService team/loop: spec.http[0].delegate: delegate VirtualService team/pp-routes spec.http[0]: delegates again, only one level is supported; dropped",
    ]);
  });

  it("a delegate alone routes nothing: the service keeps its default route", () => {
    const r = build([
      delegate([{ name: "orphan", match: [{ uri: { prefix: "/" } }], route: to("reviews") }]),
    ]);
    expect(summary(ppRoutes(r))).toEqual([
      { name: "default", match: { prefix: "/" }, cluster: PP_CLUSTER },
    ]);
    const all = JSON.stringify(r.routes.map(dec));
    expect(all).not.toContain("orphan");
    expect(r.warnings).toEqual([]);
  });

  it("reports a root's warnings only to proxies that see the root", () => {
    const objects = [root({ match: [{ uri: { prefix: "/p" } }], ...REF }, { exportTo: ["."] })];
    expect(build(objects).warnings).toHaveLength(1);
    expect(build(objects, sidecarNode("10.1.2.4", "other-abc", "other")).warnings).toEqual([]);
  });

  it("merges for proxyless gRPC clients too", () => {
    const r = build(
      [
        root({ match: [{ uri: { prefix: "/p" } }], ...REF }),
        delegate([{ match: [{ uri: { prefix: "/p/q" } }], route: to("reviews") }]),
      ],
      GRPC,
    );
    const rc = dec(named(r.routes, `${PP}:9080`));
    expect(summary(rc.virtual_hosts[0].routes).map(x => x.cluster)).toEqual([
      REVIEWS_TEAM,
      PP_CLUSTER,
    ]);
  });

  it.each([
    [
      "a delegate route that delegates",
      { http: [{ delegate: { name: "x" } }] },
      "spec.http[0].delegate: delegate HTTP route cannot contain delegate",
    ],
    [
      "a root route that also routes",
      { hosts: ["a"], http: [{ delegate: { name: "x" }, route: to("a") }] },
      "spec.http[0]: root HTTP route  must not specify route",
    ],
  ])("validation refuses %s", (_label, spec, message) => {
    const result = validate({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "x", namespace: "default" },
      spec,
    });
    expect(result.errors.map(e => e.message)).toContain(`VirtualService default/x: ${message}`);
  });
});

describe("delegate VirtualServices (gateway)", () => {
  // Istio's bookinfo Services and Gateway; the sample's VirtualService is replaced by a root
  // that delegates its API paths.
  const docs = [
    ...loadYaml(istioPath("samples/bookinfo/platform/kube/bookinfo.yaml")),
    ...loadYaml(istioPath("samples/bookinfo/networking/bookinfo-gateway.yaml")),
  ].filter(d => d.kind !== "VirtualService");
  const ROUTER = {
    id: "router~10.1.2.9~ingressgateway-xyz.istio-system~istio-system.svc.cluster.local",
    metadata: { NAMESPACE: "istio-system", LABELS: { istio: "ingressgateway" } },
  };
  const gatewayRoot = () =>
    vs("bookinfo", {
      hosts: ["*"],
      gateways: ["bookinfo-gateway"],
      http: [
        {
          match: [{ uri: { prefix: "/api/v1" }, gateways: ["bookinfo-gateway"] }],
          delegate: { name: "api", namespace: "team" },
        },
        { match: [{ uri: { exact: "/productpage" } }], route: to("productpage") },
      ],
    });
  const api = (match: Json) =>
    vs(
      "api",
      {
        http: [
          {
            match: [{ uri: { prefix: "/api/v1/products" }, ...match }],
            route: to("productpage.default.svc.cluster.local"),
          },
          {
            match: [{ uri: { prefix: "/api/v1/reviews" } }],
            route: to("reviews.default.svc.cluster.local"),
          },
        ],
      },
      "team",
    );

  function gatewayBuild(objects: StoreObject[]) {
    const result = compile(storeOf([...storeObjects(docs), ...objects]), ROUTER, WITHOUT_STATS);
    if (!result.ok) throw new Error(result.errors.join("\n"));
    checkedSnapshot(result.value);
    return result.value;
  }

  it("merges the delegate's routes into the gateway's route config and clusters", () => {
    const r = gatewayBuild([gatewayRoot(), api({})]);
    const rc = dec(named(r.routes, "http.8080"));
    expect(rc.virtual_hosts[0].routes.map((x: Json) => [x.match, x.route.cluster])).toEqual([
      [caseSensitive({ prefix: "/api/v1/products" }), PP_CLUSTER],
      [
        caseSensitive({ prefix: "/api/v1/reviews" }),
        "outbound|9080||reviews.default.svc.cluster.local",
      ],
      [caseSensitive({ path: "/productpage" }), PP_CLUSTER],
    ]);
    expect(r.clusters.map(c => c.name)).toEqual([
      PP_CLUSTER,
      "outbound|9080||reviews.default.svc.cluster.local",
    ]);
    expect(r.warnings).toEqual([]);
  });

  it.each([
    ["names the root's gateway by namespace", { gateways: ["default/bookinfo-gateway"] }, []],
    [
      "names a gateway of its own namespace (team/bookinfo-gateway, not the root's)",
      { gateways: ["bookinfo-gateway"] },
      [
        "VirtualService default/bookinfo: spec.http[0].delegate: delegate VirtualService team/api spec.http[0].match is not within any of the root route's matches; dropped",
      ],
    ],
  ])("a delegate match that %s", (_label, match, warnings) => {
    const r = gatewayBuild([gatewayRoot(), api(match)]);
    const rc = dec(named(r.routes, "http.8080"));
    expect(rc.virtual_hosts[0].routes).toHaveLength(warnings.length === 0 ? 3 : 2);
    expect(r.warnings).toEqual(warnings);
  });
});

describe("CORS", () => {
  const corsRoot = (corsPolicy: Json, extra: Json = {}) =>
    vs("pp-root", {
      hosts: ["productpage"],
      http: [{ corsPolicy, route: to("productpage"), ...extra }],
    });
  const corsOf = (r: CompiledResources): Json =>
    ppRoutes(r)[0].typed_per_filter_config["envoy.filters.http.cors"];

  it.each<[string, Json, Json]>([
    [
      "origins exact, prefix and regex",
      {
        allowOrigins: [
          { exact: "https://a.example" },
          { prefix: "https://b." },
          { regex: "https://.*\\.c\\.example" },
        ],
      },
      {
        allow_origin_string_match: [
          { exact: "https://a.example" },
          { prefix: "https://b." },
          { safe_regex: { regex: "https://.*\\.c\\.example" } },
        ],
      },
    ],
    [
      "deprecated allowOrigin as exact",
      { allowOrigin: ["https://old.example"] },
      { allow_origin_string_match: [{ exact: "https://old.example" }] },
    ],
    [
      "methods, headers and exposed headers joined with ','",
      {
        allowMethods: ["GET", "POST"],
        allowHeaders: ["x-a", "x-b"],
        exposeHeaders: ["x-c", "x-d"],
      },
      { allow_methods: "GET,POST", allow_headers: "x-a,x-b", expose_headers: "x-c,x-d" },
    ],
    ["maxAge in whole seconds", { maxAge: "24h" }, { max_age: "86400" }],
    ["maxAge truncated to seconds", { maxAge: "1.5s" }, { max_age: "1" }],
    ["allowCredentials true", { allowCredentials: true }, { allow_credentials: { value: true } }],
    ["allowCredentials false is written", { allowCredentials: false }, { allow_credentials: {} }],
    [
      "unmatched preflights forwarded by default",
      {},
      { forward_not_matching_preflights: { value: true } },
    ],
    [
      "unmatchedPreflights IGNORE",
      { unmatchedPreflights: "IGNORE" },
      { forward_not_matching_preflights: {} },
    ],
  ])("%s", (_label, policy, expected) => {
    const cors = corsOf(build([corsRoot(policy)]));
    expect(cors).toMatchObject({
      "@type": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy",
      filter_enabled: { default_value: { numerator: 100 } }, // HUNDRED is the enum's zero value
      ...expected,
    });
  });

  it("leaves optional fields out when unset", () => {
    const cors = corsOf(build([corsRoot({ allowOrigins: [{ exact: "https://a.example" }] })]));
    for (const f of [
      "allow_methods",
      "allow_headers",
      "expose_headers",
      "max_age",
      "allow_credentials",
    ])
      expect(cors[f]).toBeUndefined();
  });

  it("configures redirect routes too, next to a fault", () => {
    const r = build([
      corsRoot(
        { allowOrigins: [{ exact: "https://a.example" }] },
        {
          route: undefined,
          redirect: { uri: "/v2" },
          fault: { delay: { fixedDelay: "1s", percentage: { value: 5 } } },
        },
      ),
    ]);
    const route = ppRoutes(r)[0];
    expect(route.redirect.path_redirect).toBe("/v2");
    expect(Object.keys(route.typed_per_filter_config).sort()).toEqual([
      "envoy.filters.http.cors",
      "envoy.filters.http.fault",
    ]);
  });

  it("a delegate route without a policy takes the root route's", () => {
    const r = build([
      root({ match: [{ uri: { prefix: "/p" } }], corsPolicy: { allowMethods: ["GET"] }, ...REF }),
      delegate([{ route: to("reviews") }]),
    ]);
    expect(corsOf(r).allow_methods).toBe("GET");
  });

  it("a regex origin RE2 rejects: refused by validation; the compiler leaves it out", () => {
    const policy = { allowOrigins: [{ regex: "(?=lookahead)" }, { exact: "https://a.example" }] };
    const result = validate(corsRoot(policy) as unknown as Record<string, unknown>);
    const messages = result.errors.map(e => e.message);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(
      /^VirtualService default\/pp-root: spec\.http\[0\]\.corsPolicy\.allowOrigins\[0\]\.regex: .*RE2/,
    );
    expect(corsOf(build([corsRoot(policy)])).allow_origin_string_match).toEqual([
      { exact: "https://a.example" },
    ]);
  });

  const filterNames = (hcm: Json): string[] => hcm.http_filters.map((f: Json) => f.name);
  const ENVOY_FILTERS = [
    "envoy.filters.http.fault",
    "envoy.filters.http.cors",
    "envoy.filters.http.router",
  ];

  it("sidecar HCMs carry the CORS filter after fault, before the router (Istio's order)", () => {
    const r = build([corsRoot({ allowMethods: ["GET"] })]);
    const outbound = dec(named(r.listeners, "0.0.0.0_9080"));
    const hcm = outbound.filter_chains[0].filters[0].typed_config;
    expect(filterNames(hcm)).toEqual(ENVOY_FILTERS);
    expect(hcm.http_filters[1].typed_config).toEqual({
      "@type": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors",
    });
  });

  it("gateway HCMs carry it too", () => {
    const docs = [
      ...loadYaml(istioPath("samples/bookinfo/platform/kube/bookinfo.yaml")),
      ...loadYaml(istioPath("samples/bookinfo/networking/bookinfo-gateway.yaml")),
    ];
    const result = compile(
      storeOf(storeObjects(docs)),
      {
        id: "router~10.1.2.9~ingressgateway-xyz.istio-system~istio-system.svc.cluster.local",
        metadata: { NAMESPACE: "istio-system", LABELS: { istio: "ingressgateway" } },
      },
      WITHOUT_STATS,
    );
    if (!result.ok) throw new Error(result.errors.join("\n"));
    const l = dec(named(result.value.listeners, "0.0.0.0_8080"));
    expect(filterNames(l.filter_chains[0].filters[0].typed_config)).toEqual(ENVOY_FILTERS);
  });

  it("proxyless gRPC gets neither the filter nor the per-route policy (grpc-js-xds would NACK)", () => {
    const r = build(
      [
        corsRoot(
          { allowMethods: ["GET"] },
          { fault: { abort: { httpStatus: 503, percentage: { value: 1 } } } },
        ),
      ],
      GRPC,
    );
    const listener = dec(named(r.listeners, `${PP}:9080`));
    expect(filterNames(listener.api_listener.api_listener)).toEqual([
      "envoy.filters.http.fault",
      "envoy.filters.http.router",
    ]);
    const route = dec(named(r.routes, `${PP}:9080`)).virtual_hosts[0].routes[0];
    expect(Object.keys(route.typed_per_filter_config)).toEqual(["envoy.filters.http.fault"]);
  });
});
