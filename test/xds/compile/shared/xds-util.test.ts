/**
 * The small translations every generator shares: Istio's cluster names, Go durations and
 * percentages in Envoy's forms, and the HTTP filter chain each proxy kind gets.
 */
import {
  byString,
  clusterName,
  fractionalPercent,
  httpFilters,
  msDuration,
  protoDuration,
  withoutUndefined,
} from "../../../../xds/compile/shared/xds-util";

describe("clusterName", () => {
  it.each<[Parameters<typeof clusterName>, string]>([
    [
      ["outbound", 9080, "v1", "reviews.default.svc.cluster.local"],
      "outbound|9080|v1|reviews.default.svc.cluster.local",
    ],
    [
      ["outbound", 9080, "", "reviews.default.svc.cluster.local"],
      "outbound|9080||reviews.default.svc.cluster.local",
    ],
    [["inbound", 8080], "inbound|8080||"],
  ])("%j → %s", (args, want) => {
    expect(clusterName(...args)).toBe(want);
  });
});

describe("protoDuration", () => {
  it.each<[string | undefined, { seconds: number; nanos: number } | undefined]>([
    ["1.5s", { seconds: 1, nanos: 500_000_000 }],
    ["500ms", { seconds: 0, nanos: 500_000_000 }],
    ["1h", { seconds: 3600, nanos: 0 }],
    ["2m30s", { seconds: 150, nanos: 0 }],
    ["0s", { seconds: 0, nanos: 0 }],
    ["ten seconds", undefined],
    [undefined, undefined],
  ])("%s", (s, want) => {
    expect(protoDuration(s)).toEqual(want);
  });
});

describe("msDuration", () => {
  it.each([
    [0, { seconds: 0, nanos: 0 }],
    [250, { seconds: 0, nanos: 250_000_000 }],
    [61_500, { seconds: 61, nanos: 500_000_000 }],
  ])("%i ms", (ms, want) => {
    expect(msDuration(ms)).toEqual(want);
  });
});

describe("fractionalPercent", () => {
  it.each([
    [100, 1_000_000],
    [12.5, 125_000],
    [0.1, 1_000],
    [undefined, 0],
  ])("%s %% → %i per million", (value, numerator) => {
    expect(fractionalPercent(value)).toEqual({ numerator, denominator: "MILLION" });
  });
});

describe("withoutUndefined and byString", () => {
  it("drops only undefined fields, keeping zero, false, null and empty strings", () => {
    expect(withoutUndefined({ a: 0, b: false, c: null, d: "", e: undefined })).toEqual({
      a: 0,
      b: false,
      c: null,
      d: "",
    });
    expect(Object.keys(withoutUndefined({ e: undefined }))).toEqual([]);
  });

  it("orders by code unit, as a deterministic resource order needs", () => {
    expect(["b", "B", "a", "a"].sort(byString)).toEqual(["B", "a", "a", "b"]);
  });
});

describe("httpFilters", () => {
  const names = (kind?: Parameters<typeof httpFilters>[0]) => httpFilters(kind).map(f => f.name);

  it.each(["sidecar", "router"] as const)(
    "%s: fault, CORS, then the router (Istio's order)",
    kind => {
      expect(names(kind)).toEqual([
        "envoy.filters.http.fault",
        "envoy.filters.http.cors",
        "envoy.filters.http.router",
      ]);
    },
  );

  it("proxyless gRPC: no CORS filter, which grpc-js-xds does not know", () => {
    expect(names("grpc")).toEqual(["envoy.filters.http.fault", "envoy.filters.http.router"]);
  });

  it("each filter's typed_config names its Envoy message", () => {
    expect(httpFilters().map(f => (f.typed_config as { "@type": string })["@type"])).toEqual([
      "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault",
      "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors",
      "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
    ]);
  });
});
