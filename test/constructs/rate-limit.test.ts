import { Duration } from "cdk8s";
import { RateLimit, type RateLimitProps } from "../../constructs";
import { meshProblems, synth, testChart } from "./synth";

describe("RateLimit", () => {
  it("inserts Envoy's local rate limit filter, as Istio's docs write it", () => {
    const chart = testChart();
    new RateLimit(chart, "limit", {
      name: "productpage",
      workload: { app: "productpage" },
      requests: 10,
      maxTokens: 20,
      fillInterval: Duration.seconds(30),
      enforcedPercent: 50,
    });
    const out = synth(chart);
    expect(out).toEqual([
      {
        apiVersion: "networking.istio.io/v1alpha3",
        kind: "EnvoyFilter",
        metadata: { name: "productpage" },
        spec: {
          workloadSelector: { labels: { app: "productpage" } },
          configPatches: [
            {
              applyTo: "HTTP_FILTER",
              match: {
                context: "SIDECAR_INBOUND",
                listener: {
                  filterChain: {
                    filter: { name: "envoy.filters.network.http_connection_manager" },
                  },
                },
              },
              patch: {
                operation: "INSERT_BEFORE",
                value: {
                  name: "envoy.filters.http.local_ratelimit",
                  typed_config: {
                    "@type": "type.googleapis.com/udpa.type.v1.TypedStruct",
                    type_url:
                      "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
                    value: {
                      stat_prefix: "http_local_rate_limiter",
                      token_bucket: { max_tokens: 20, tokens_per_fill: 10, fill_interval: "30s" },
                      filter_enabled: {
                        runtime_key: "local_rate_limit_enabled",
                        default_value: { numerator: 100, denominator: "HUNDRED" },
                      },
                      filter_enforced: {
                        runtime_key: "local_rate_limit_enforced",
                        default_value: { numerator: 50, denominator: "HUNDRED" },
                      },
                      response_headers_to_add: [
                        { append: false, header: { key: "x-local-rate-limit", value: "true" } },
                      ],
                    },
                  },
                },
              },
            },
          ],
        },
      },
    ]);
    expect(meshProblems(out)).toEqual([]);
  });

  it.each<[string, Partial<RateLimitProps>, string]>([
    ["no workload labels", { workload: {} }, "test/limit: props.workload: selects no labels"],
    ["zero requests", { requests: 0 }, "test/limit: props.requests: 0 must be an integer"],
    [
      "a bucket smaller than a fill",
      { maxTokens: 5 },
      "test/limit: props.maxTokens: 5 must be an integer from 10",
    ],
    [
      "a fill interval under 50ms",
      { fillInterval: Duration.millis(10) },
      "test/limit: props.fillInterval: must be at least 50ms",
    ],
    [
      "enforcing over 100%",
      { enforcedPercent: 101 },
      "test/limit: props.enforcedPercent: 101 must be an integer from 0 to 100",
    ],
  ])("refuses %s", (_, props, message) => {
    expect(
      () => new RateLimit(testChart(), "limit", { workload: { app: "a" }, requests: 10, ...props }),
    ).toThrow(message);
  });
});
