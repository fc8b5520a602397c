/**
 * Istio's locality load balancing, asserted on ClusterLoadAssignments and Clusters decoded from
 * their encoded bytes: failover priorities and distribute weights relative to the proxy's
 * locality, on EDS and DNS clusters, and the failoverPriority label rank; and the mesh-wide
 * default (MeshConfig `localityLbSetting`) under a DestinationRule's own.
 */
import type { CompiledResources, MeshOptions } from "../../../../xds/compile";
import { labelRank } from "../../../../xds/compile/clusters/locality-lb";
import { decoded, grpcNode, istioObject, named, sidecarNode } from "../fixtures";
import {
  ALL_FIRST,
  build,
  cfg,
  cluster,
  DR,
  HOST,
  node,
  priorities,
  REVIEWS,
  weights,
  type Json,
} from "./reviews-localities";

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

describe("failoverPriority rank", () => {
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

describe("mesh-wide localityLbSetting", () => {
  const HOST = "reviews.default.svc.cluster.local";
  const CLUSTER = `outbound|9080||${HOST}`;
  const REVIEWS = istioObject("ServiceEntry", "reviews", "default", {
    hosts: [HOST],
    ports: [{ number: 9080, name: "grpc", protocol: "GRPC" }],
    location: "MESH_INTERNAL",
    resolution: "STATIC",
    endpoints: [
      { address: "10.0.0.1", locality: "us-east/a/1" },
      { address: "10.0.0.3", locality: "us-east/b" },
      { address: "10.0.0.4", locality: "us-west/c" },
      { address: "10.0.0.5", locality: "eu-west/d" },
    ],
  });
  const HERE = {
    app: "client",
    "topology.kubernetes.io/region": "us-east",
    "topology.kubernetes.io/zone": "a",
    "topology.istio.io/subzone": "1",
  };
  const NODES = {
    sidecar: sidecarNode("10.1.2.3", "client", "default", HERE),
    grpc: grpcNode("10.1.2.3", "client", "default", HERE),
  };
  const OUTLIER = { consecutive5xxErrors: 1, interval: "1s" };
  const dr = (trafficPolicy: Json) =>
    istioObject("DestinationRule", "reviews", "default", { host: "reviews", trafficPolicy });
  const toEuWest = { failover: [{ from: "us-east", to: "eu-west" }] };
  const toUsWest = { failover: [{ from: "us-east", to: "us-west" }] };

  const NEAREST = { "10.0.0.1": 0, "10.0.0.3": 1, "10.0.0.4": 2, "10.0.0.5": 2 };
  const EU_WEST_NEXT = { "10.0.0.1": 0, "10.0.0.3": 1, "10.0.0.5": 2, "10.0.0.4": 3 };
  const US_WEST_NEXT = { "10.0.0.1": 0, "10.0.0.3": 1, "10.0.0.4": 2, "10.0.0.5": 3 };
  const FLAT = { "10.0.0.1": 0, "10.0.0.3": 0, "10.0.0.4": 0, "10.0.0.5": 0 };

  function priorities(r: CompiledResources): Record<string, number> {
    const out: Record<string, number> = {};
    for (const g of (decoded(named(r.endpoints, CLUSTER)).endpoints ?? []) as Json[])
      for (const e of (g.lb_endpoints ?? []) as Json[])
        out[e.endpoint.address.socket_address.address] = g.priority ?? 0;
    return out;
  }

  it.each<[string, Json, MeshOptions["localityLbSetting"], Record<string, number>, boolean]>([
    [
      "no mesh setting: Istio's default failover by proximity",
      { outlierDetection: OUTLIER },
      undefined,
      NEAREST,
      false,
    ],
    [
      "the mesh's failover list applies",
      { outlierDetection: OUTLIER },
      toEuWest,
      EU_WEST_NEXT,
      true,
    ],
    [
      "mesh enabled: false turns failover off, outlier detection or not",
      { outlierDetection: OUTLIER },
      { enabled: false },
      FLAT,
      false,
    ],
    [
      "without outlier detection the mesh's failover gives no priorities",
      {},
      toEuWest,
      FLAT,
      false,
    ],
    [
      "the rule's own setting wins over the mesh's",
      { outlierDetection: OUTLIER, loadBalancer: { localityLbSetting: toUsWest } },
      toEuWest,
      US_WEST_NEXT,
      true,
    ],
    [
      "the rule's setting wins over a mesh that turned it off",
      { outlierDetection: OUTLIER, loadBalancer: { localityLbSetting: toEuWest } },
      { enabled: false },
      EU_WEST_NEXT,
      true,
    ],
    [
      "the rule's enabled: false wins over the mesh's failover",
      { outlierDetection: OUTLIER, loadBalancer: { localityLbSetting: { enabled: false } } },
      toEuWest,
      FLAT,
      false,
    ],
  ])("%s", (_, trafficPolicy, localityLbSetting, want, weighted) => {
    for (const node of Object.values(NODES))
      expect(priorities(build([REVIEWS, dr(trafficPolicy)], node, { localityLbSetting }))).toEqual(
        want,
      );
    const c = cluster(
      build([REVIEWS, dr(trafficPolicy)], NODES.sidecar, { localityLbSetting }),
      CLUSTER,
    );
    expect(c.common_lb_config?.locality_weighted_lb_config !== undefined).toBe(weighted);
  });

  it("the mesh's distribute weights apply to a service without a DestinationRule", () => {
    const distribute = {
      distribute: [{ from: "us-east/a/*", to: { "us-east/a/*": 80, "us-west/*": 20 } }],
    };
    const weights = (r: CompiledResources) =>
      ((decoded(named(r.endpoints, CLUSTER)).endpoints ?? []) as Json[]).map(g => [
        g.locality?.region,
        g.load_balancing_weight?.value,
      ]);
    const r = build([REVIEWS], NODES.sidecar, { localityLbSetting: distribute });
    expect(weights(r)).toEqual([
      ["us-east", 80],
      ["us-west", 20],
    ]);
    expect(cluster(r, CLUSTER).common_lb_config.locality_weighted_lb_config).toEqual({});
    expect(cluster(build([REVIEWS], NODES.sidecar), CLUSTER).common_lb_config).toEqual({
      healthy_panic_threshold: { value: 0 },
    });
  });
});
