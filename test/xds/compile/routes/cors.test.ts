/**
 * VirtualService CORS policies, asserted on the Envoy RouteConfigurations and Listeners as
 * decoded from their protobuf bytes (a misspelled or dropped field fails here, not only in the
 * encoder check every build also passes).
 *
 * CORS has no data-plane test: grpc-js-xds, our real client, has no CORS filter and is never
 * sent one; for Envoy the decoded resources are the contract.
 */
import { storeOf } from "../../../../mesh/store";
import { validate } from "../../../../mesh/validation";
import { compile, type CompiledResources } from "../../../../xds/compile";
import { istioPath, loadYaml, named, storeObjects, WITHOUT_STATS } from "../fixtures";
import {
  build,
  dec,
  delegate,
  GRPC,
  PP,
  ppRoutes,
  REF,
  root,
  to,
  vs,
  type Json,
} from "../productpage-routes";

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
