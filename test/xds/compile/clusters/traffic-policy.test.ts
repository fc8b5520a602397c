/**
 * DestinationRule traffic policy on Envoy clusters, decoded from their encoded bytes: Istio's
 * consecutive-error outlier detection for Envoy sidecars, and a subset's policy overriding the
 * rule's.
 */
import {
  build as buildReviews,
  dec,
  DR as reviewsRule,
  grpcRoutes,
  HOST as REVIEWS_HOST,
  SE,
  SIDECAR,
} from "../reviews-entry";
import { named } from "../fixtures";
import { build, cluster, DR, HOST, node, REVIEWS, type Json } from "./reviews-localities";

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

describe("load balancing and outlier detection per proxy kind", () => {
  it.each([
    ["ROUND_ROBIN", { simple: "ROUND_ROBIN" }, "ROUND_ROBIN", "ROUND_ROBIN"],
    ["RANDOM (gRPC falls back to round robin)", { simple: "RANDOM" }, "ROUND_ROBIN", "RANDOM"],
    ["LEAST_REQUEST", { simple: "LEAST_REQUEST" }, "ROUND_ROBIN", "LEAST_REQUEST"],
    ["unset (Envoy default LEAST_REQUEST)", undefined, "ROUND_ROBIN", "LEAST_REQUEST"],
    [
      "consistent hash by header",
      { consistentHash: { httpHeaderName: "x-user" } },
      "RING_HASH",
      "RING_HASH",
    ],
  ])("load balancing %s", (_label, loadBalancer, grpcPolicy, envoyPolicy) => {
    const objects = [
      SE("reviews"),
      reviewsRule(loadBalancer ? { trafficPolicy: { loadBalancer } } : {}),
    ];
    const name = `outbound|9080||${REVIEWS_HOST}`;
    expect(dec(named(buildReviews(objects).clusters, name)).lb_policy).toBe(grpcPolicy);
    expect(dec(named(buildReviews(objects, SIDECAR).clusters, name)).lb_policy).toBe(envoyPolicy);
  });

  it("consistent hash puts a header hash policy on the route and a ring on the cluster", () => {
    const objects = [
      SE("reviews"),
      reviewsRule({
        trafficPolicy: {
          loadBalancer: {
            consistentHash: { httpHeaderName: "x-user", ringHash: { minimumRingSize: 2048 } },
          },
        },
      }),
    ];
    const [route] = grpcRoutes(objects);
    expect(route.route.hash_policy).toEqual([{ header: { header_name: "x-user" } }]);
    const cluster = dec(named(buildReviews(objects).clusters, `outbound|9080||${REVIEWS_HOST}`));
    expect(cluster.ring_hash_lb_config.minimum_ring_size).toEqual({ value: "2048" });
  });

  it("outlier detection as Istio translates it; subset policy overrides the top level", () => {
    const objects = [
      SE("reviews"),
      reviewsRule({
        trafficPolicy: {
          outlierDetection: {
            consecutive5xxErrors: 3,
            interval: "10s",
            baseEjectionTime: "30s",
            maxEjectionPercent: 50,
          },
        },
        subsets: [
          {
            name: "v1",
            labels: { version: "v1" },
            trafficPolicy: { outlierDetection: { consecutiveGatewayErrors: 2 } },
          },
        ],
      }),
    ];
    // Istio's mapping is Envoy's; proxyless gRPC gets failure-percentage ejection instead
    // (grpc-outlier.test.ts).
    const r = buildReviews(objects, SIDECAR);
    expect(dec(named(r.clusters, `outbound|9080||${REVIEWS_HOST}`)).outlier_detection).toEqual({
      consecutive_5xx: { value: 3 },
      enforcing_consecutive_5xx: { value: 100 },
      enforcing_success_rate: { value: 0 },
      interval: { seconds: "10", nanos: 0 },
      base_ejection_time: { seconds: "30", nanos: 0 },
      max_ejection_percent: { value: 50 },
    });
    expect(dec(named(r.clusters, `outbound|9080|v1|${REVIEWS_HOST}`)).outlier_detection).toEqual({
      consecutive_gateway_failure: { value: 2 },
      enforcing_consecutive_gateway_failure: { value: 100 },
      enforcing_success_rate: { value: 0 },
    });
  });
});
