/**
 * VirtualService HTTP routes translated to Envoy routes: weighted subsets, timeout, retries
 * and fault on the route, asserted on decoded gRPC route configs.
 */
import { grpcRoutes, HOST, SE, VS } from "../reviews-entry";

describe("proxyless gRPC routes", () => {
  it("weighted subsets, timeout, retries and fault on one route", () => {
    const [route] = grpcRoutes([
      SE("reviews"),
      VS([
        {
          route: [
            { destination: { host: "reviews", subset: "v1" }, weight: 80 },
            { destination: { host: "reviews", subset: "v2" }, weight: 20 },
            { destination: { host: "reviews", subset: "v3" }, weight: 0 },
          ],
          timeout: "1.5s",
          retries: { attempts: 3, perTryTimeout: "500ms", retryOn: "unavailable,cancelled,503" },
          fault: {
            abort: { grpcStatus: "UNAVAILABLE", percentage: { value: 12.5 } },
            delay: { fixedDelay: "2s", percentage: { value: 0.1 } },
          },
        },
      ]),
    ]);
    expect(route.route.weighted_clusters.clusters).toEqual([
      { name: `outbound|9080|v1|${HOST}`, weight: { value: 80 } },
      { name: `outbound|9080|v2|${HOST}`, weight: { value: 20 } },
    ]);
    expect(route.route.timeout).toEqual({ seconds: "1", nanos: 500_000_000 });
    expect(route.route.max_stream_duration.max_stream_duration).toEqual({
      seconds: "1",
      nanos: 500_000_000,
    });
    expect(route.route.retry_policy).toMatchObject({
      num_retries: { value: 3 },
      retry_on: "unavailable,cancelled,retriable-status-codes",
      retriable_status_codes: [503],
      per_try_timeout: { nanos: 500_000_000 },
    });
    expect(route.typed_per_filter_config["envoy.filters.http.fault"]).toMatchObject({
      "@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault",
      abort: { grpc_status: 14, percentage: { numerator: 125_000, denominator: "MILLION" } },
      delay: {
        fixed_delay: { seconds: "2" },
        percentage: { numerator: 1_000, denominator: "MILLION" },
      },
    });
  });

  it("attempts: 0 turns retries off; no retries block keeps Istio's default policy", () => {
    const [off] = grpcRoutes([
      SE("reviews"),
      VS([{ route: [{ destination: { host: "reviews" } }], retries: { attempts: 0 } }]),
    ]);
    expect(off.route.retry_policy).toBeUndefined();
    const [dflt] = grpcRoutes([SE("reviews")]);
    expect(dflt.route.retry_policy).toMatchObject({
      num_retries: { value: 2 },
      retry_on: expect.stringContaining("unavailable"),
    });
    // As istiod: `retriable-status-codes` without codes, so a 503 is not retried by default.
    expect(dflt.route.retry_policy.retriable_status_codes).toBeUndefined();
  });
});
