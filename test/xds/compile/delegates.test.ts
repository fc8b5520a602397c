/**
 * Delegate VirtualServices, asserted on the Envoy RouteConfigurations and
 * Listeners as decoded from their protobuf bytes (a misspelled or dropped field fails here, not
 * only in the encoder check every build also passes).
 *
 * Delegation follows Istio's merge (pilot/pkg/model/virtualservice.go MergeHTTPRoutes,
 * mergeHTTPMatchRequests, hasConflict; virtualservice_controller.go mergeVirtualServices).
 * `../shared/istio` holds no delegate sample (only the CRD mentions `delegate:`), so the
 * delegate configs are written here; the gateway case starts from the bookinfo sample.
 */
import { storeOf, type StoreObject } from "../../../mesh/store";
import { validate } from "../../../mesh/validation";
import { compile } from "../../../xds/compile";
import {
  checkedSnapshot,
  istioPath,
  loadYaml,
  named,
  storeObjects,
  sidecarNode,
  WITHOUT_STATS,
} from "./fixtures";
import {
  build,
  caseSensitive,
  dec,
  delegate,
  GRPC,
  PP,
  PP_CLUSTER,
  ppRoutes,
  REF,
  REVIEWS_TEAM,
  root,
  summary,
  to,
  vs,
  type Json,
} from "./productpage-routes";

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
