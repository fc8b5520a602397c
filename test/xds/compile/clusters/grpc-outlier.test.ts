/**
 * DestinationRule outlier detection for proxyless gRPC: consecutive errors mapped to a failure
 * percentage over an interval's calls, asserted on Clusters decoded from their encoded bytes.
 */
import { consecutiveLimit, failureThreshold } from "../../../../xds/compile/clusters/grpc-outlier";
import { build, cluster, DR, node, REVIEWS, type Json } from "./reviews-localities";

describe("outlier detection", () => {
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
});
