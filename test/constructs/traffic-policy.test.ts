import { Duration } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { TrafficPolicy, type TrafficPolicyProps } from "../../constructs";
import { meshProblems, synth, synthError, testChart } from "./synth";

describe("TrafficPolicy", () => {
  it("sets timeouts and retries on a VirtualService, limits and ejection on a DestinationRule", () => {
    const chart = testChart();
    const svc = new kplus.Service(chart, "svc", {
      metadata: { name: "ratings" },
      ports: [{ port: 9080 }],
    });
    new TrafficPolicy(chart, "policy", {
      name: "ratings",
      service: svc,
      timeout: Duration.seconds(2),
      retries: { attempts: 3, perTryTimeout: Duration.millis(500), retryOn: "5xx" },
      circuitBreaker: { maxConnections: 100, maxPendingRequests: 10 },
      outlierDetection: { consecutive5xxErrors: 3 },
    });
    const out = synth(chart).filter(m => m.apiVersion.includes("istio"));
    const host = "ratings.default.svc.cluster.local";
    expect(out).toEqual([
      {
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata: { name: "ratings" },
        spec: {
          host,
          trafficPolicy: {
            connectionPool: { http: { http1MaxPendingRequests: 10 }, tcp: { maxConnections: 100 } },
            outlierDetection: {
              baseEjectionTime: "30s",
              consecutive5xxErrors: 3,
              interval: "10s",
              maxEjectionPercent: 10,
            },
          },
        },
      },
      {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "ratings" },
        spec: {
          hosts: [host],
          http: [
            {
              retries: { attempts: 3, perTryTimeout: "500ms", retryOn: "5xx" },
              route: [{ destination: { host, port: { number: 9080 } } }],
              timeout: "2s",
            },
          ],
        },
      },
    ]);
    expect(meshProblems(out)).toEqual([]);
  });

  it.each<[string, Partial<TrafficPolicyProps>, string]>([
    [
      "nothing to set",
      {},
      "test/policy: props.service: needs at least one of timeout, retries, circuitBreaker, outlierDetection",
    ],
    [
      "negative attempts",
      { retries: { attempts: -1 } },
      "test/policy: props.retries.attempts: -1 must be an integer from 0 to 1000",
    ],
    [
      "zero connections",
      { circuitBreaker: { maxConnections: 0 } },
      "test/policy: props.circuitBreaker.maxConnections: 0 must be an integer",
    ],
    [
      "ejecting over 100%",
      { outlierDetection: { maxEjectionPercent: 150 } },
      "test/policy: props.outlierDetection.maxEjectionPercent: 150 must be an integer from 0 to 100",
    ],
  ])("refuses %s", (_, props, message) => {
    expect(
      () => new TrafficPolicy(testChart(), "policy", { service: "a.example.com", ...props }),
    ).toThrow(message);
  });

  it("fails synth naming the path and prop when the validators refuse retryOn", () => {
    const chart = testChart();
    new TrafficPolicy(chart, "policy", {
      name: "p",
      service: "a.example.com",
      retries: { attempts: 2, retryOn: "bogus-thing" },
    });
    expect(synthError(chart)).toContain(
      '[test/policy] props.retries: VirtualService default/p: spec.http[0].retries.retryOn: "bogus-thing" is not a valid retryOn policy',
    );
  });
});
