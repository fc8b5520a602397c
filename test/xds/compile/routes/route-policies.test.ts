/**
 * Per-route policies as istiod translates them: retries (route/retry/retry.go), fault injection
 * and timeouts (route/route.go translateFault, setTimeout), header operations and
 * consistent-hash policies (ConsistentHashToHashPolicy).
 */
import {
  defaultRetryPolicy,
  faultConfig,
  hashPolicies,
  headerFields,
  inboundRetryPolicy,
  retryPolicy,
  timeoutFields,
} from "../../../../xds/compile/routes/route-policies";
import { istioObject, named } from "../fixtures";
import { build, dec, EXTERNAL, SIDECAR, WEB, type Json } from "../web-service";

const secs = (seconds: number, nanos = 0) => ({ seconds, nanos });
const PREVIOUS_HOSTS = [
  {
    name: "envoy.retry_host_predicates.previous_hosts",
    typed_config: {
      "@type":
        "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate",
    },
  },
];

describe("defaultRetryPolicy", () => {
  it("2 retries on connect failures, refused streams and gRPC UNAVAILABLE/CANCELLED; 503 is not retried", () => {
    const p = defaultRetryPolicy();
    expect(p.num_retries).toEqual({ value: 2 });
    expect(p.retry_on).toBe(
      "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
    );
    // retriable-status-codes with no codes: no HTTP status is retried (istiod's default).
    expect(p.retriable_status_codes).toBeUndefined();
  });

  it("an Envoy retry avoids the host that failed (previous_hosts, up to 5 picks)", () => {
    expect(defaultRetryPolicy("sidecar")).toMatchObject({
      retry_host_predicate: PREVIOUS_HOSTS,
      host_selection_retry_max_attempts: 5,
    });
  });

  it("proxyless gRPC has no host predicates, so gets none", () => {
    expect(defaultRetryPolicy("grpc").retry_host_predicate).toBeUndefined();
  });
});

describe("retryPolicy: a VirtualService's retries", () => {
  it("no retries block keeps the default policy", () => {
    expect(retryPolicy(undefined)).toEqual(defaultRetryPolicy());
  });

  it.each([0, -1])("attempts: %d turns retries off", attempts => {
    expect(retryPolicy({ attempts })).toBeUndefined();
  });

  it("attempts replaces the count and keeps the default conditions", () => {
    const p = retryPolicy({ attempts: 5 });
    expect(p?.num_retries).toEqual({ value: 5 });
    expect(p?.retry_on).toBe(defaultRetryPolicy().retry_on);
  });

  it("status codes in retryOn become retriable_status_codes, adding retriable-status-codes", () => {
    const p = retryPolicy({ attempts: 3, retryOn: "gateway-error, 503 ,connect-failure,504" });
    expect(p?.retry_on).toBe("gateway-error,connect-failure,retriable-status-codes");
    expect(p?.retriable_status_codes).toEqual([503, 504]);
  });

  it("retryOn without codes replaces the default conditions entirely", () => {
    const p = retryPolicy({ attempts: 3, retryOn: "5xx" });
    expect(p?.retry_on).toBe("5xx");
    expect(p?.retriable_status_codes).toBeUndefined();
  });

  it("retriable-status-codes named explicitly is not repeated", () => {
    const p = retryPolicy({ attempts: 1, retryOn: "retriable-status-codes,429" });
    expect(p?.retry_on).toBe("retriable-status-codes");
    expect(p?.retriable_status_codes).toEqual([429]);
  });

  it("perTryTimeout and backoff", () => {
    const p = retryPolicy({ attempts: 2, perTryTimeout: "1.5s", backoff: "25ms" });
    expect(p?.per_try_timeout).toEqual(secs(1, 500_000_000));
    expect(p?.retry_back_off).toEqual({ base_interval: secs(0, 25_000_000) });
  });

  it("proxyless gRPC: the same policy without a host predicate", () => {
    const p = retryPolicy({ attempts: 4, retryOn: "unavailable" }, "grpc");
    expect(p).toEqual({
      num_retries: { value: 4 },
      retry_on: "unavailable",
      host_selection_retry_max_attempts: 5,
    });
  });
});

describe("retryPolicy: retryIgnorePreviousHosts, retryRemoteLocalities (istiod's ConvertPolicy)", () => {
  const PREVIOUS_PRIORITIES = {
    name: "envoy.retry_priorities.previous_priorities",
    typed_config: {
      "@type":
        "type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig",
      update_frequency: 2,
    },
  };

  it("retryIgnorePreviousHosts: false drops the previous_hosts predicate; true keeps it", () => {
    expect(retryPolicy({ attempts: 3, retryIgnorePreviousHosts: false })).not.toHaveProperty(
      "retry_host_predicate",
    );
    expect(
      retryPolicy({ attempts: 3, retryIgnorePreviousHosts: true })?.retry_host_predicate,
    ).toEqual(PREVIOUS_HOSTS);
  });

  it("retryRemoteLocalities: true adds the previous_priorities retry priority; false adds none", () => {
    expect(retryPolicy({ attempts: 3, retryRemoteLocalities: true })?.retry_priority).toEqual(
      PREVIOUS_PRIORITIES,
    );
    expect(retryPolicy({ attempts: 3, retryRemoteLocalities: false })).not.toHaveProperty(
      "retry_priority",
    );
  });

  it("a consistently hashed destination: no previous_hosts, unless retryIgnorePreviousHosts: true", () => {
    expect(retryPolicy(undefined, "sidecar", true)).not.toHaveProperty("retry_host_predicate");
    expect(retryPolicy({ attempts: 3 }, "sidecar", true)).not.toHaveProperty(
      "retry_host_predicate",
    );
    expect(
      retryPolicy({ attempts: 3, retryIgnorePreviousHosts: true }, "sidecar", true)
        ?.retry_host_predicate,
    ).toEqual(PREVIOUS_HOSTS);
  });

  describe("on the compiled routes (checked against Envoy's field rules)", () => {
    const vs = (http: Json[]) =>
      istioObject("VirtualService", "web", "default", { hosts: ["web"], http });
    const ringHash = istioObject("DestinationRule", "web", "default", {
      host: "web",
      trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: "x-user" } } },
      subsets: [{ name: "v1", labels: { version: "v1" } }],
    });
    const policies = (objects: Parameters<typeof build>[1]) => {
      const rc = dec(named(build(SIDECAR, objects).routes, "80"));
      const web = (rc.virtual_hosts as Json[]).find(
        v => v.name === "web.default.svc.cluster.local:80",
      );
      return (web!.routes as Json[]).map(r => r.route.retry_policy as Json);
    };

    it("retryIgnorePreviousHosts: false and retryRemoteLocalities: true reach the route", () => {
      const [p] = policies([
        WEB,
        EXTERNAL,
        vs([
          {
            route: [{ destination: { host: "web" } }],
            retries: { attempts: 2, retryIgnorePreviousHosts: false, retryRemoteLocalities: true },
          },
        ]),
      ]);
      expect(p).not.toHaveProperty("retry_host_predicate");
      expect(p!.retry_priority).toEqual(PREVIOUS_PRIORITIES);
    });

    it("one destination under a consistent hash: no predicate; split over two: the predicate stays", () => {
      const [single, split] = policies([
        WEB,
        EXTERNAL,
        ringHash,
        vs([
          {
            match: [{ uri: { prefix: "/one" } }],
            route: [{ destination: { host: "web", subset: "v1" } }],
          },
          {
            route: [
              { destination: { host: "web" }, weight: 50 },
              { destination: { host: "web", subset: "v1" }, weight: 50 },
            ],
          },
        ]),
      ]);
      expect(single).not.toHaveProperty("retry_host_predicate");
      expect(split!.retry_host_predicate).toEqual(PREVIOUS_HOSTS);
    });
  });
});

describe("inboundRetryPolicy", () => {
  it("retries twice only when the app reset the connection before any response", () => {
    expect(inboundRetryPolicy()).toEqual({
      retry_on: "reset-before-request",
      num_retries: { value: 2 },
    });
  });
});

describe("faultConfig", () => {
  const FAULT = "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault";

  it("a fixed delay for a percentage of requests, in millionths so 0.1 % stays exact", () => {
    expect(
      faultConfig({ fault: { delay: { fixedDelay: "5s", percentage: { value: 0.1 } } } }),
    ).toEqual({
      "@type": FAULT,
      delay: { fixed_delay: secs(5), percentage: { numerator: 1000, denominator: "MILLION" } },
    });
  });

  it("the deprecated integer percent is a share of HUNDRED", () => {
    expect(faultConfig({ fault: { delay: { fixedDelay: "1s", percent: 30 } } })?.delay).toEqual({
      fixed_delay: secs(1),
      percentage: { numerator: 30, denominator: "HUNDRED" },
    });
  });

  it("an HTTP abort returns its status for its share of requests", () => {
    expect(
      faultConfig({ fault: { abort: { httpStatus: 503, percentage: { value: 50 } } } }),
    ).toEqual({
      "@type": FAULT,
      abort: { http_status: 503, percentage: { numerator: 500_000, denominator: "MILLION" } },
    });
  });

  it("a gRPC abort by status name; without a percentage it aborts nothing (0 %)", () => {
    expect(faultConfig({ fault: { abort: { grpcStatus: "UNAVAILABLE" } } })?.abort).toEqual({
      grpc_status: 14,
      percentage: { numerator: 0, denominator: "MILLION" },
    });
  });

  it("delay and abort together", () => {
    const f = faultConfig({
      fault: {
        delay: { fixedDelay: "2s", percentage: { value: 100 } },
        abort: { httpStatus: 418, percentage: { value: 10 } },
      },
    });
    expect(f?.delay?.fixed_delay).toEqual(secs(2));
    expect(f?.abort?.http_status).toBe(418);
  });

  it.each([
    ["no fault", {}],
    ["an empty fault", { fault: {} }],
    [
      "an abort with no status (http2Error is not supported)",
      { fault: { abort: { http2Error: "x" } } },
    ],
    [
      "a delay that is only exponential (not supported)",
      { fault: { delay: { exponentialDelay: "1s" } } },
    ],
  ])("%s: no fault filter config", (_, route) => {
    expect(faultConfig(route)).toBeUndefined();
  });
});

describe("timeoutFields", () => {
  it("Envoy: the VirtualService timeout caps the route and gRPC's own deadline", () => {
    expect(timeoutFields("3s", "sidecar")).toEqual({ timeout: secs(3), max_grpc_timeout: secs(3) });
  });

  it("no timeout is 0s: none, not Envoy's 15 s default", () => {
    expect(timeoutFields(undefined, "sidecar")).toEqual({
      timeout: secs(0),
      max_grpc_timeout: secs(0),
    });
  });

  it("proxyless gRPC reads max_stream_duration (gRFC A31)", () => {
    expect(timeoutFields("250ms", "grpc")).toEqual({
      timeout: secs(0, 250_000_000),
      max_stream_duration: { max_stream_duration: secs(0, 250_000_000) },
    });
  });
});

describe("headerFields", () => {
  it("set overwrites, add appends, remove removes; requests and responses apart", () => {
    expect(
      headerFields({
        request: { set: { "x-env": "prod" }, add: { "x-trace": "on" }, remove: ["x-debug"] },
        response: { set: { "cache-control": "no-store" }, remove: ["server"] },
      }),
    ).toEqual({
      request_headers_to_add: [
        { header: { key: "x-env", value: "prod" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" },
        { header: { key: "x-trace", value: "on" }, append_action: "APPEND_IF_EXISTS_OR_ADD" },
      ],
      request_headers_to_remove: ["x-debug"],
      response_headers_to_add: [
        {
          header: { key: "cache-control", value: "no-store" },
          append_action: "OVERWRITE_IF_EXISTS_OR_ADD",
        },
      ],
      response_headers_to_remove: ["server"],
    });
  });

  it("no operations: no fields at all", () => {
    expect(headerFields(undefined)).toEqual({});
    expect(headerFields({ request: { remove: [] } })).toEqual({});
  });
});

describe("hashPolicies: consistent-hash session affinity", () => {
  it.each([
    ["a header", { httpHeaderName: "x-user" }, [{ header: { header_name: "x-user" } }]],
    [
      "a cookie, with path and TTL",
      { httpCookie: { name: "session", path: "/", ttl: "3600s" } },
      [{ cookie: { name: "session", path: "/", ttl: secs(3600) } }],
    ],
    [
      // Istio's ConsistentHashToHashPolicy copies them in order; a value left out is empty.
      "a cookie with Set-Cookie attributes",
      {
        httpCookie: {
          name: "session",
          ttl: "0s",
          attributes: [{ name: "SameSite", value: "Strict" }, { name: "Secure" }],
        },
      },
      [
        {
          cookie: {
            name: "session",
            ttl: secs(0),
            attributes: [
              { name: "SameSite", value: "Strict" },
              { name: "Secure", value: "" },
            ],
          },
        },
      ],
    ],
    ["the source IP", { useSourceIp: true }, [{ connection_properties: { source_ip: true } }]],
    [
      "a query parameter",
      { httpQueryParameterName: "uid" },
      [{ query_parameter: { name: "uid" } }],
    ],
  ])("by %s", (_, consistentHash, want) => {
    expect(hashPolicies({ consistentHash })).toEqual(want);
  });

  it("no consistent hash (a simple load balancer, or nothing): no hash policy", () => {
    expect(hashPolicies(undefined)).toBeUndefined();
    expect(hashPolicies({ simple: "ROUND_ROBIN" })).toBeUndefined();
  });
});

describe("istiod's route and listener defaults", () => {
  const r = build(SIDECAR);
  const rc = dec(named(r.routes, "80"));
  const web = (rc.virtual_hosts as Json[]).find(v => v.name === "web.default.svc.cluster.local:80");

  it("a retry picks another host than the one that failed (previous_hosts, up to 5 picks)", () => {
    for (const route of web!.routes)
      expect(route.route.retry_policy).toMatchObject({
        retry_host_predicate: [
          {
            name: "envoy.retry_host_predicates.previous_hosts",
            typed_config: {
              "@type":
                "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate",
            },
          },
        ],
        host_selection_retry_max_attempts: "5",
      });
  });
});
