import { errors, full, warnings, type Row } from "./table";

const K = "EnvoyFilter";
const HCM = "envoy.filters.network.http_connection_manager";
const patch = (p: object) => ({ configPatches: [p] });
const httpFilter = (match: object, extra: object = {}) =>
  patch({
    applyTo: "HTTP_FILTER",
    match,
    patch: { operation: "INSERT_BEFORE", value: { name: "envoy.lua" } },
    ...extra,
  });

const invalid: Row[] = [
  [
    "a missing applyTo",
    patch({ patch: { operation: "MERGE", value: {} } }),
    "spec.configPatches[0].applyTo: Envoy filter: missing applyTo",
  ],
  [
    "applyTo INVALID",
    patch({ applyTo: "INVALID", patch: { operation: "MERGE", value: {} } }),
    "spec.configPatches[0].applyTo: Envoy filter: missing applyTo",
  ],
  [
    "a missing patch",
    patch({ applyTo: "CLUSTER" }),
    "spec.configPatches[0].patch: Envoy filter: missing patch",
  ],
  [
    "a missing operation",
    patch({ applyTo: "CLUSTER", patch: { value: {} } }),
    "spec.configPatches[0].patch.operation: Envoy filter: missing patch operation",
  ],
  [
    "a missing value for MERGE",
    patch({ applyTo: "CLUSTER", patch: { operation: "MERGE" } }),
    "spec.configPatches[0].patch.value: Envoy filter: missing patch value for non-remove operation",
  ],
  [
    "an unknown applyTo",
    patch({ applyTo: "ROUTE", patch: { operation: "REMOVE" } }),
    'spec.configPatches[0].applyTo: Unsupported value: "ROUTE": supported values: "INVALID", "LISTENER", "FILTER_CHAIN", "NETWORK_FILTER", "HTTP_FILTER", "ROUTE_CONFIGURATION", "VIRTUAL_HOST", "HTTP_ROUTE", "CLUSTER", "EXTENSION_CONFIG", "BOOTSTRAP", "LISTENER_FILTER"',
  ],
  [
    "an unknown operation",
    patch({ applyTo: "CLUSTER", patch: { operation: "DELETE" } }),
    'spec.configPatches[0].patch.operation: Unsupported value: "DELETE": supported values: "INVALID", "MERGE", "ADD", "REMOVE", "INSERT_BEFORE", "INSERT_AFTER", "INSERT_FIRST", "REPLACE", "MERGE_AND_REPLACE_LIST"',
  ],
  [
    "a value that is not an object",
    patch({ applyTo: "CLUSTER", patch: { operation: "MERGE", value: "x" } }),
    "spec.configPatches[0].patch.value: Invalid type: expected object, got string",
  ],
  [
    "a bad proxyVersion regex",
    httpFilter({
      proxy: { proxyVersion: "^1\\.2(" },
      listener: { filterChain: { filter: { name: HCM } } },
    }),
    "spec.configPatches[0].match.proxy.proxyVersion: Envoy filter: invalid regex for proxy version, [error parsing regexp: missing closing ): `^1\\.2(`; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)]",
  ],
  [
    "a cluster match for a listener patch",
    httpFilter({ cluster: { service: "reviews" } }),
    "spec.configPatches[0].match: Envoy filter: applyTo for listener class objects cannot have non listener match",
  ],
  [
    "a listener match for a route patch",
    patch({
      applyTo: "HTTP_ROUTE",
      match: { listener: { portNumber: 80 } },
      patch: { operation: "MERGE", value: {} },
    }),
    "spec.configPatches[0].match: Envoy filter: applyTo for http route class objects cannot have non route configuration match",
  ],
  [
    "a route match for a cluster patch",
    patch({
      applyTo: "CLUSTER",
      match: { routeConfiguration: { name: "80" } },
      patch: { operation: "MERGE", value: {} },
    }),
    "spec.configPatches[0].match: Envoy filter: applyTo for cluster class objects cannot have non cluster match",
  ],
  [
    "a filter match without name",
    httpFilter({ listener: { filterChain: { filter: {} } } }),
    "spec.configPatches[0].match.listener.filterChain.filter.name: Envoy filter: filter match has no name to match on",
  ],
  [
    "a subfilter for a network filter patch",
    patch({
      applyTo: "NETWORK_FILTER",
      match: {
        listener: {
          filterChain: { filter: { name: HCM, subFilter: { name: "envoy.filters.http.router" } } },
        },
      },
      patch: { operation: "REMOVE" },
    }),
    "spec.configPatches[0].match.listener.filterChain.filter.subFilter: Envoy filter: subfilter match can be used with applyTo HTTP_FILTER only",
  ],
  [
    "a subfilter under a TCP proxy",
    httpFilter({
      listener: {
        filterChain: {
          filter: { name: "envoy.filters.network.tcp_proxy", subFilter: { name: "x" } },
        },
      },
    }),
    `spec.configPatches[0].match.listener.filterChain.filter.subFilter: Envoy filter: subfilter match requires filter match with ${HCM}`,
  ],
  [
    "a subfilter without name",
    httpFilter({ listener: { filterChain: { filter: { name: HCM, subFilter: {} } } } }),
    "spec.configPatches[0].match.listener.filterChain.filter.subFilter.name: Envoy filter: subfilter match has no name to match on",
  ],
  [
    "a waypoint match outside WAYPOINT",
    patch({
      applyTo: "HTTP_FILTER",
      match: { context: "SIDECAR_INBOUND", waypoint: {} },
      patch: { operation: "REMOVE" },
    }),
    "spec.configPatches[0].match: only support waypointMatch when context is WAYPOINT",
  ],
  [
    "WAYPOINT with a listener match",
    patch({
      applyTo: "HTTP_FILTER",
      match: { context: "WAYPOINT", listener: {} },
      patch: { operation: "REMOVE" },
    }),
    ["spec.configPatches[0].match: only support waypointMatch when context is WAYPOINT"],
  ],
  [
    "a waypoint port above 65535",
    patch({
      applyTo: "HTTP_FILTER",
      match: { context: "WAYPOINT", waypoint: { portNumber: 65536 } },
      patch: { operation: "REMOVE" },
    }),
    "spec.configPatches[0].match.waypoint.portNumber: port number 65536 must be in the range 1..65535",
  ],
  [
    "two match objects",
    patch({
      applyTo: "CLUSTER",
      match: { cluster: {}, listener: {} },
      patch: { operation: "REMOVE" },
    }),
    "spec.configPatches[0].match: only one of listener, routeConfiguration, cluster, waypoint may be set, found listener, cluster",
  ],
  [
    "a selector and targetRefs",
    {
      workloadSelector: { labels: { app: "a" } },
      targetRefs: [{ kind: "Gateway", group: "gateway.networking.k8s.io", name: "gw" }],
    },
    "spec: only one of targetRefs or workloadSelector can be set",
  ],
  [
    "a wildcard selector",
    { workloadSelector: { labels: { app: "*" } } },
    'spec.workloadSelector.labels[app]: wildcard is not supported in selector: "app=*"',
  ],
  [
    "a priority that is not an integer",
    { priority: 1.5 },
    "spec.priority: Invalid type: expected integer, got number",
  ],
];

const valid: [string, unknown][] = [
  [
    "a Lua filter before the router",
    httpFilter({
      context: "SIDECAR_INBOUND",
      listener: {
        portNumber: 8080,
        filterChain: { filter: { name: HCM, subFilter: { name: "envoy.filters.http.router" } } },
      },
    }),
  ],
  [
    "a cluster ADD without match",
    patch({
      applyTo: "CLUSTER",
      patch: { operation: "ADD", value: { name: "lua_cluster", connect_timeout: "0.5s" } },
    }),
  ],
  [
    "a REMOVE without value",
    patch({
      applyTo: "HTTP_FILTER",
      match: {
        listener: {
          filterChain: { filter: { name: HCM, subFilter: { name: "envoy.filters.http.cors" } } },
        },
      },
      patch: { operation: "REMOVE" },
    }),
  ],
  ["a proxy version match", httpFilter({ proxy: { proxyVersion: "^1\\.2[0-9].*" } })],
  [
    "a waypoint patch",
    patch({
      applyTo: "CLUSTER",
      match: { context: "WAYPOINT", waypoint: {} },
      patch: { operation: "REMOVE" },
    }),
  ],
  [
    "a route configuration merge",
    patch({
      applyTo: "VIRTUAL_HOST",
      match: {
        context: "GATEWAY",
        routeConfiguration: { portNumber: 443, vhost: { name: "a.example.com:443" } },
      },
      patch: { operation: "MERGE", value: { domains: ["a.example.com"] } },
    }),
  ],
];

describe("EnvoyFilter validation", () => {
  it("has at least 20 invalid cases", () => expect(invalid.length).toBeGreaterThanOrEqual(20));
  it.each(invalid)("refuses %s", (_label, spec, expected) =>
    expect(errors(K, spec)).toEqual(full(K, expected)),
  );
  it.each(valid)("accepts %s", (_label, spec) => expect(errors(K, spec)).toEqual([]));
  it("always warns that EnvoyFilter is an escape hatch, and about deprecated filter names", () => {
    expect(
      warnings(
        K,
        httpFilter({
          listener: {
            filterChain: {
              filter: {
                name: "envoy.http_connection_manager",
                subFilter: { name: "envoy.router" },
              },
            },
          },
        }),
      ),
    ).toEqual(
      full(K, [
        "spec: EnvoyFilter exposes internal implementation details that may change at any time. Prefer other APIs if possible, and exercise extreme caution, especially around upgrades.",
        'spec.configPatches[0].match.listener.filterChain.filter.name: using deprecated filter name "envoy.http_connection_manager"; use "envoy.filters.network.http_connection_manager" instead',
        'spec.configPatches[0].match.listener.filterChain.filter.subFilter.name: using deprecated filter name "envoy.router"; use "envoy.filters.http.router" instead',
      ]),
    );
  });
});
