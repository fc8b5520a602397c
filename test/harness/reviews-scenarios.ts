/**
 * The bookinfo `reviews` traffic scenarios the data-plane tests run at two layers — against the
 * pure compiler with an in-process ADS server (`test/xds/compile/grpc-reviews-dataplane.test.ts`)
 * and end to end through the API server and the module (`test/integration/route-compilation.test.ts`)
 * — written once: the VirtualService specs each layer applies its own way.
 */

/** 25 % of calls to v1 aborted with gRPC ABORTED (code 10). */
export const FAULT_ABORT_25 = {
  hosts: ["reviews"],
  http: [
    {
      fault: { abort: { grpcStatus: "ABORTED", percentage: { value: 25 } } },
      route: [{ destination: { host: "reviews", subset: "v1" } }],
    },
  ],
};

/** Half the calls to v2 delayed by 200 ms. */
export const FAULT_DELAY_50_200MS = {
  hosts: ["reviews"],
  http: [
    {
      fault: { delay: { fixedDelay: "200ms", percentage: { value: 50 } } },
      route: [{ destination: { host: "reviews", subset: "v2" } }],
    },
  ],
};

/** The flaky service's one route with the given retry policy. */
export function flakyRoutes(retries: Record<string, unknown>) {
  return {
    hosts: ["flaky.default.svc.cluster.local"],
    http: [{ route: [{ destination: { host: "flaky.default.svc.cluster.local" } }], retries }],
  };
}

/** Istio's retry policy that recovers the flaky backend. */
export const RETRY_UNAVAILABLE = { attempts: 3, retryOn: "unavailable", perTryTimeout: "2s" };
