/**
 * DestinationRule outlier detection and locality load balancing, asserted on Clusters and
 * ClusterLoadAssignments decoded from their encoded bytes: Istio's mapping for Envoy
 * sidecars, the failure-percentage mapping for proxyless gRPC, and Istio's locality
 * priorities and weights relative to the proxy's locality.
 */
import { storeOf, type StoreObject } from "../../../mesh/store";
import { compile, type CompiledResources } from "../../../xds/compile";
import { consecutiveLimit, failureThreshold } from "../../../xds/compile/clusters/grpc-outlier";
import { localityFromLabels, proxyLocality } from "../../../xds/compile/shared/locality";
import { labelRank } from "../../../xds/compile/clusters/locality-lb";
import { parseProxy } from "../../../xds/compile/proxy";
import { checkedSnapshot, decoded, named, istioObject } from "./fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

const HOST = "reviews.default.svc.cluster.local";
const CLUSTER = `outbound|9080||${HOST}`;
const HERE = {
  "topology.kubernetes.io/region": "us-east",
  "topology.kubernetes.io/zone": "a",
  "topology.istio.io/subzone": "1",
};

const cfg = (kind: string, name: string, spec: Json) => istioObject(kind, name, "default", spec);

/** reviews with one endpoint per locality relation to a proxy in us-east/a/1, and one without. */
const REVIEWS = cfg("ServiceEntry", "reviews", {
  hosts: [HOST],
  ports: [{ number: 9080, name: "grpc", protocol: "GRPC" }],
  location: "MESH_INTERNAL",
  resolution: "STATIC",
  endpoints: [
    { address: "10.0.0.1", locality: "us-east/a/1", labels: { version: "v1" } },
    { address: "10.0.0.2", locality: "us-east/a/2", labels: { version: "v2" } },
    { address: "10.0.0.3", locality: "us-east/b", labels: { version: "v1" } },
    { address: "10.0.0.4", locality: "us-west/c", labels: { version: "v2" } },
    { address: "10.0.0.5", locality: "eu-west/d", labels: { version: "v1" } },
    { address: "10.0.0.6", labels: { version: "v2" } },
  ],
});

const DR = (trafficPolicy: Json, subsets?: Json[]) =>
  cfg("DestinationRule", "reviews", { host: "reviews", trafficPolicy, subsets });

function node(kind: "grpc" | "sidecar", labels: Record<string, string> = HERE, extra: Json = {}) {
  return {
    id: "sidecar~10.1.2.3~client.default~default.svc.cluster.local",
    metadata: {
      NAMESPACE: "default",
      LABELS: { app: "client", version: "v1", ...labels },
      ...(kind === "grpc" ? { GENERATOR: "grpc" } : {}),
    },
    ...extra,
  };
}

function build(objects: StoreObject[], n: Json = node("sidecar")): CompiledResources {
  const result = compile(storeOf(objects), n as Parameters<typeof compile>[1]);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  checkedSnapshot(result.value);
  return result.value;
}

const cluster = (r: CompiledResources, name = CLUSTER): Json => decoded(named(r.clusters, name));

/** Each endpoint address → the priority of its group (0 when the field is absent). */
function priorities(r: CompiledResources, name = CLUSTER): Record<string, number> {
  const cla = decoded(named(r.endpoints, name));
  const out: Record<string, number> = {};
  for (const g of (cla.endpoints ?? []) as Json[])
    for (const e of (g.lb_endpoints ?? []) as Json[])
      out[e.endpoint.address.socket_address.address] = g.priority ?? 0;
  return out;
}

/** Each locality group → its weight. */
function weights(r: CompiledResources): Record<string, number> {
  const cla = decoded(named(r.endpoints, CLUSTER));
  const out: Record<string, number> = {};
  for (const g of (cla.endpoints ?? []) as Json[]) {
    const l = g.locality ?? {};
    out[[l.region, l.zone, l.sub_zone].filter(Boolean).join("/")] = g.load_balancing_weight.value;
  }
  return out;
}

const ALL_FIRST = {
  "10.0.0.1": 0,
  "10.0.0.2": 0,
  "10.0.0.3": 0,
  "10.0.0.4": 0,
  "10.0.0.5": 0,
  "10.0.0.6": 0,
};

describe("outlier detection", () => {
  it("Envoy sidecars get Istio's consecutive-error mapping and a panic threshold of 0", () => {
    const r = build([
      REVIEWS,
      DR({
        outlierDetection: {
          consecutive5xxErrors: 3,
          consecutiveGatewayErrors: 0,
          interval: "1s",
          baseEjectionTime: "30s",
          maxEjectionPercent: 50,
        },
      }),
    ]);
    const c = cluster(r);
    expect(c.outlier_detection).toEqual({
      consecutive_5xx: { value: 3 },
      enforcing_consecutive_5xx: { value: 100 },
      consecutive_gateway_failure: { value: 0 },
      enforcing_consecutive_gateway_failure: { value: 0 },
      enforcing_success_rate: { value: 0 },
      interval: { seconds: "1", nanos: 0 },
      base_ejection_time: { seconds: "30", nanos: 0 },
      max_ejection_percent: { value: 50 },
    });
    // Istio sets the panic threshold even to 0 (Envoy's default 50 would route to ejected hosts).
    expect(c.common_lb_config).toEqual({ healthy_panic_threshold: { value: 0 } });
  });

  it.each([
    [
      "local-origin failures only when split, with local success rate off",
      { splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 2 },
      {
        split_external_local_origin_errors: true,
        consecutive_local_origin_failure: { value: 2 },
        enforcing_consecutive_local_origin_failure: { value: 100 },
        enforcing_local_origin_success_rate: { value: 0 },
      },
    ],
    [
      "local-origin failures without the split are ignored",
      { consecutiveLocalOriginFailures: 2 },
      {},
    ],
    [
      "the deprecated consecutiveErrors is ignored, as Istio now does",
      { consecutiveErrors: 7 },
      {},
    ],
  ])("Envoy sidecars: %s", (_name, od: Json, extra: Json) => {
    const c = cluster(build([REVIEWS, DR({ outlierDetection: od })]));
    expect(c.outlier_detection).toEqual({ enforcing_success_rate: { value: 0 }, ...extra });
  });

  it.each([
    [
      "consecutive5xxErrors 3: 3 calls, more than 66 % failing",
      { consecutive5xxErrors: 3, interval: "1s", baseEjectionTime: "2s", maxEjectionPercent: 50 },
      { threshold: 66, volume: 3 },
      { interval: { seconds: "1", nanos: 0 }, base_ejection_time: { seconds: "2", nanos: 0 } },
      50,
    ],
    [
      "consecutive5xxErrors 1: any failure",
      { consecutive5xxErrors: 1 },
      { threshold: 0, volume: 1 },
      {},
      undefined,
    ],
    [
      "unset: Envoy's default of 5 consecutive 5xx",
      {},
      { threshold: 80, volume: 5 },
      {},
      undefined,
    ],
    [
      "the smaller of 5xx and gateway counts (gRPC cannot tell them apart)",
      { consecutive5xxErrors: 10, consecutiveGatewayErrors: 4 },
      { threshold: 75, volume: 4 },
      {},
      undefined,
    ],
    [
      "gateway errors alone when 5xx is turned off",
      { consecutive5xxErrors: 0, consecutiveGatewayErrors: 2 },
      { threshold: 50, volume: 2 },
      {},
      undefined,
    ],
    [
      "both turned off: counting only, no ejection",
      { consecutive5xxErrors: 0 },
      undefined,
      {},
      undefined,
    ],
    [
      "minHealthPercent 80 caps max ejection at 20 %",
      { consecutive5xxErrors: 2, maxEjectionPercent: 50, minHealthPercent: 80 },
      { threshold: 50, volume: 2 },
      {},
      20,
    ],
    [
      "minHealthPercent 95 caps the default 10 % at 5 %",
      { consecutive5xxErrors: 2, minHealthPercent: 95 },
      { threshold: 50, volume: 2 },
      {},
      5,
    ],
  ])(
    "proxyless gRPC: %s",
    (_name, od: Json, fp: { threshold: number; volume: number } | undefined, times: Json, max) => {
      const c = cluster(build([REVIEWS, DR({ outlierDetection: od })], node("grpc")));
      const want: Json = { enforcing_success_rate: { value: 0 }, ...times };
      if (fp) {
        want.enforcing_failure_percentage = { value: 100 };
        want.failure_percentage_threshold = { value: fp.threshold };
        want.failure_percentage_request_volume = { value: fp.volume };
        want.failure_percentage_minimum_hosts = { value: 1 };
      }
      if (max !== undefined) want.max_ejection_percent = { value: max };
      expect(c.outlier_detection).toEqual(want);
      // gRPC has no panic threshold; nothing Envoy-only is written.
      expect(c.common_lb_config).toBeUndefined();
    },
  );

  it.each([
    [1, 0],
    [2, 50],
    [3, 66],
    [5, 80],
    [10, 90],
  ])("%i consecutive errors ↔ more than %i %% of an interval's calls failing", (n, t) => {
    expect(failureThreshold(n)).toBe(t);
    expect(consecutiveLimit({ consecutive5xxErrors: n })).toBe(n);
  });

  it("a subset's outlier detection overrides the rule's, per proxy kind", () => {
    const objects = [
      REVIEWS,
      DR({ outlierDetection: { consecutive5xxErrors: 3 } }, [
        {
          name: "v1",
          labels: { version: "v1" },
          trafficPolicy: { outlierDetection: { consecutiveGatewayErrors: 2 } },
        },
      ]),
    ];
    const v1 = `outbound|9080|v1|${HOST}`;
    expect(cluster(build(objects), v1).outlier_detection.consecutive_gateway_failure).toEqual({
      value: 2,
    });
    expect(
      cluster(build(objects, node("grpc")), v1).outlier_detection.failure_percentage_request_volume,
    ).toEqual({
      value: 2,
    });
  });
});

describe("locality failover priorities", () => {
  const OUTLIER = { consecutive5xxErrors: 1, interval: "1s" };

  it.each([
    [
      "outlier detection alone: the mesh default ranks subzone, zone, region, elsewhere",
      { outlierDetection: OUTLIER },
      { "10.0.0.1": 0, "10.0.0.2": 1, "10.0.0.3": 2, "10.0.0.4": 3, "10.0.0.5": 3, "10.0.0.6": 3 },
    ],
    [
      "failover us-east → eu-west puts eu-west before other regions and endpoints without locality",
      {
        outlierDetection: OUTLIER,
        loadBalancer: { localityLbSetting: { failover: [{ from: "us-east", to: "eu-west" }] } },
      },
      { "10.0.0.1": 0, "10.0.0.2": 1, "10.0.0.3": 2, "10.0.0.5": 3, "10.0.0.4": 4, "10.0.0.6": 4 },
    ],
    [
      "a failover rule for another region changes nothing",
      {
        outlierDetection: OUTLIER,
        loadBalancer: { localityLbSetting: { failover: [{ from: "eu-west", to: "us-west" }] } },
      },
      { "10.0.0.1": 0, "10.0.0.2": 1, "10.0.0.3": 2, "10.0.0.4": 3, "10.0.0.5": 3, "10.0.0.6": 3 },
    ],
    [
      "failover without outlier detection: no priorities (Istio's rule; validation warns)",
      { loadBalancer: { localityLbSetting: { failover: [{ from: "us-east", to: "eu-west" }] } } },
      ALL_FIRST,
    ],
    [
      "enabled: false turns the mesh default off",
      { outlierDetection: OUTLIER, loadBalancer: { localityLbSetting: { enabled: false } } },
      ALL_FIRST,
    ],
    [
      "failoverPriority by a label: the proxy's version first",
      {
        outlierDetection: OUTLIER,
        loadBalancer: { localityLbSetting: { failoverPriority: ["version"] } },
      },
      { "10.0.0.1": 0, "10.0.0.3": 0, "10.0.0.5": 0, "10.0.0.2": 1, "10.0.0.4": 1, "10.0.0.6": 1 },
    ],
    [
      "failoverPriority with a fixed value: version=v2 first",
      {
        outlierDetection: OUTLIER,
        loadBalancer: { localityLbSetting: { failoverPriority: ["version=v2"] } },
      },
      { "10.0.0.2": 0, "10.0.0.4": 0, "10.0.0.6": 0, "10.0.0.1": 1, "10.0.0.3": 1, "10.0.0.5": 1 },
    ],
    [
      "failoverPriority by topology labels: same zone, then same region, then the rest",
      {
        outlierDetection: OUTLIER,
        loadBalancer: {
          localityLbSetting: {
            failoverPriority: ["topology.kubernetes.io/region", "topology.kubernetes.io/zone"],
          },
        },
      },
      { "10.0.0.1": 0, "10.0.0.2": 0, "10.0.0.3": 1, "10.0.0.4": 2, "10.0.0.5": 2, "10.0.0.6": 2 },
    ],
    [
      "failoverPriority and failover: labels first, localities within",
      {
        outlierDetection: OUTLIER,
        loadBalancer: {
          localityLbSetting: {
            failoverPriority: ["version"],
            failover: [{ from: "us-east", to: "eu-west" }],
          },
        },
      },
      // v1: a/1 (0), b (2), eu-west (3) → 0,1,2; v2: a/2 (1), us-west (4), none (4) → 3,4.
      { "10.0.0.1": 0, "10.0.0.3": 1, "10.0.0.5": 2, "10.0.0.2": 3, "10.0.0.4": 4, "10.0.0.6": 4 },
    ],
  ])("%s", (_name, policy: Json, want: Record<string, number>) => {
    for (const kind of ["sidecar", "grpc"] as const)
      expect(priorities(build([REVIEWS, DR(policy)], node(kind)))).toEqual(want);
  });

  it("a proxy without a locality ranks the endpoints without one first", () => {
    const r = build([REVIEWS, DR({ outlierDetection: OUTLIER })], node("sidecar", {}));
    expect(priorities(r)).toEqual({
      "10.0.0.6": 0,
      "10.0.0.1": 1,
      "10.0.0.2": 1,
      "10.0.0.3": 1,
      "10.0.0.4": 1,
      "10.0.0.5": 1,
    });
  });

  it("the xDS node's locality counts when the labels say nothing", () => {
    const n = node("sidecar", {}, { locality: { region: "us-west", zone: "c" } });
    const r = build([REVIEWS, DR({ outlierDetection: OUTLIER })], n);
    expect(priorities(r)).toMatchObject({ "10.0.0.4": 0, "10.0.0.3": 1, "10.0.0.1": 1 });
  });

  it("subsets rank only their own endpoints; priorities stay contiguous", () => {
    const r = build([
      REVIEWS,
      DR({ outlierDetection: OUTLIER }, [{ name: "v2", labels: { version: "v2" } }]),
    ]);
    expect(priorities(r, `outbound|9080|v2|${HOST}`)).toEqual({
      "10.0.0.2": 0,
      "10.0.0.4": 1,
      "10.0.0.6": 1,
    });
  });

  it("Envoy clusters get locality_weighted_lb_config only when failover priorities apply", () => {
    const failover = { localityLbSetting: { failover: [{ from: "us-east", to: "eu-west" }] } };
    const withOutlier = cluster(
      build([REVIEWS, DR({ outlierDetection: OUTLIER, loadBalancer: failover })]),
    );
    expect(withOutlier.common_lb_config).toEqual({
      healthy_panic_threshold: { value: 0 },
      locality_weighted_lb_config: {},
    });
    // Without outlier detection: istiod's default panic threshold 0, no locality weighting.
    expect(cluster(build([REVIEWS, DR({ loadBalancer: failover })])).common_lb_config).toEqual({
      healthy_panic_threshold: { value: 0 },
    });
    // The mesh default alone (no failover list) needs no locality weighting, as in Istio.
    expect(cluster(build([REVIEWS, DR({ outlierDetection: OUTLIER })])).common_lb_config).toEqual({
      healthy_panic_threshold: { value: 0 },
    });
  });
});

describe("locality load balancing beyond EDS", () => {
  const OUTLIER = { consecutive5xxErrors: 1 };

  it("a DNS cluster's inline assignment gets the same priorities", () => {
    const dns = cfg("ServiceEntry", "reviews", {
      ...(REVIEWS as unknown as { spec: Json }).spec,
      resolution: "DNS",
      endpoints: [
        { address: "near.example.com", locality: "us-east/a/1" },
        { address: "far.example.com", locality: "eu-west/d" },
      ],
    });
    const c = cluster(build([dns, DR({ outlierDetection: OUTLIER })]));
    expect(c.type).toBe("STRICT_DNS");
    expect(
      c.load_assignment.endpoints.map((g: Json) => [
        g.lb_endpoints[0].endpoint.address.socket_address.address,
        g.priority ?? 0,
      ]),
    ).toEqual([
      ["near.example.com", 0],
      ["far.example.com", 1],
    ]);
  });

  it("an original-destination (PASSTHROUGH) cluster gets no locality config, as in Istio", () => {
    const c = cluster(
      build([
        REVIEWS,
        DR({
          loadBalancer: {
            simple: "PASSTHROUGH",
            localityLbSetting: { distribute: [{ from: "*", to: { "us-east/*": 100 } }] },
          },
        }),
      ]),
    );
    expect(c.type).toBe("ORIGINAL_DST");
    expect(c.common_lb_config).toEqual({ healthy_panic_threshold: { value: 0 } });
  });
});

describe("locality distribute weights", () => {
  it.each([
    [
      "80/20 between zones, split over the subzones by their own weights; others get nothing",
      [{ from: "us-east/a/*", to: { "us-east/a/*": 80, "us-east/b/*": 20 } }],
      { "us-east/a/1": 40, "us-east/a/2": 40, "us-east/b": 20 },
    ],
    [
      "the first rule whose from covers the proxy wins",
      [
        { from: "eu-west/*", to: { "eu-west/*": 100 } },
        { from: "us-east/*", to: { "us-west/*": 70, "eu-west/*": 30 } },
      ],
      { "us-west/c": 70, "eu-west/d": 30 },
    ],
    [
      "no rule for the proxy's locality: weights untouched",
      [{ from: "eu-west/*", to: { "eu-west/*": 100 } }],
      { "us-east/a/1": 1, "us-east/a/2": 1, "us-east/b": 1, "us-west/c": 1, "eu-west/d": 1, "": 1 },
    ],
    [
      "weights not summing to 100 (refused on admission) stay relative, rounded up",
      [{ from: "us-east/*", to: { "us-east/a/*": 25, "us-west/*": 30 } }],
      { "us-east/a/1": 13, "us-east/a/2": 13, "us-west/c": 30 },
    ],
  ])("%s", (_name, distribute: Json[], want: Record<string, number>) => {
    const policy = { loadBalancer: { localityLbSetting: { distribute } } };
    for (const kind of ["sidecar", "grpc"] as const) {
      const r = build([REVIEWS, DR(policy)], node(kind));
      expect(weights(r)).toEqual(want);
      expect(Object.values(priorities(r)).every(p => p === 0)).toBe(true);
    }
    const c = cluster(build([REVIEWS, DR(policy)]));
    expect(c.common_lb_config).toEqual({
      healthy_panic_threshold: { value: 0 },
      locality_weighted_lb_config: {},
    });
  });

  it("distribute and failover together (refused on admission): distribute wins, no crash", () => {
    const r = build([
      REVIEWS,
      DR({
        outlierDetection: { consecutive5xxErrors: 1 },
        loadBalancer: {
          localityLbSetting: {
            distribute: [{ from: "us-east/*", to: { "us-east/*": 100 } }],
            failover: [{ from: "us-east", to: "eu-west" }],
          },
        },
      }),
    ]);
    expect(weights(r)).toEqual({ "us-east/a/1": 34, "us-east/a/2": 34, "us-east/b": 34 });
    expect(priorities(r)).toEqual({ "10.0.0.1": 0, "10.0.0.2": 0, "10.0.0.3": 0 });
  });
});

describe("the proxy's locality", () => {
  it.each([
    ["topology labels", HERE, undefined, "us-east/a/1"],
    ["region label only", { "topology.kubernetes.io/region": "r" }, undefined, "r"],
    [
      "Istio's locality label with dots",
      { "topology.istio.io/locality": "r.z.s" },
      undefined,
      "r/z/s",
    ],
    ["the legacy istio-locality label", { "istio-locality": "r/z" }, undefined, "r/z"],
    ["labels win over the node", HERE, { region: "x", zone: "y" }, "us-east/a/1"],
    ["the node's locality", {}, { region: "x", zone: "y", sub_zone: "z" }, "x/y/z"],
    ["the node's empty locality", {}, {}, undefined],
    ["nothing", {}, undefined, undefined],
  ])("from %s", (_name, labels: Record<string, string>, nodeLocality, want) => {
    expect(proxyLocality(labels, nodeLocality)).toBe(want);
    const parsed = parseProxy({
      id: "sidecar~10.0.0.9~p.default~default.svc.cluster.local",
      metadata: { LABELS: labels },
      locality: nodeLocality,
    });
    expect(parsed.ok && parsed.value.locality).toBe(want);
  });

  it("a locality label without parts is no locality", () => {
    expect(localityFromLabels({ app: "x" })).toBeUndefined();
  });

  it.each([
    ["all match", ["a", "b"], { a: "1", b: "2" }, { a: "1", b: "2" }, 0],
    ["last differs", ["a", "b"], { a: "1", b: "2" }, { a: "1", b: "3" }, 1],
    ["first differs", ["a", "b"], { a: "1", b: "2" }, { a: "9", b: "2" }, 2],
    ["both missing counts as equal", ["a"], {}, {}, 0],
    [
      "a leading network mismatch sorts below, the rest still compared",
      ["topology.istio.io/network", "a"],
      { "topology.istio.io/network": "n1", a: "1" },
      { "topology.istio.io/network": "n2", a: "1" },
      2,
    ],
  ])("failoverPriority rank: %s", (_name, labels, proxy, endpoint, want) => {
    expect(labelRank(labels, proxy, endpoint)).toBe(want);
  });
});
