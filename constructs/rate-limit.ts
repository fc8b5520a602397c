/**
 * RateLimit: Envoy's local (per-proxy) rate limit on a workload's inbound HTTP traffic, as the
 * EnvoyFilter Istio's docs give for it: a token bucket in `envoy.filters.http.local_ratelimit`
 * inserted before the router. Requests over the limit get 429 and `x-local-rate-limit: true`.
 * https://istio.io/latest/docs/tasks/policy-enforcement/rate-limit/#local-rate-limit
 */
import { Duration } from "cdk8s";
import { Construct } from "constructs";
import { EnvoyFilter } from "./generated/envoy-filter";
import { protoDuration } from "./lib/durations";
import { checkProp, intInRange } from "./lib/errors";
import { selectorLabels, type WorkloadTarget } from "./lib/labels";
import { validateWithMesh } from "./lib/mesh-validation";

const LOCAL_RATE_LIMIT =
  "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit";

/** Props of {@link RateLimit}. */
export interface RateLimitProps {
  /** The workload limited: a cdk8s-plus Deployment or its pod labels. */
  readonly workload: WorkloadTarget;
  /** Requests allowed per `fillInterval` (the bucket size and refill). */
  readonly requests: number;
  /**
   * How often the bucket refills.
   * @default Duration.minutes(1)
   */
  readonly fillInterval?: Duration;
  /**
   * Burst allowance: tokens the bucket holds, at least `requests`.
   * @default - `requests`
   */
  readonly maxTokens?: number;
  /**
   * Percent of over-limit requests actually refused; 0 only counts them (shadow mode).
   * @default 100
   */
  readonly enforcedPercent?: number;
  /**
   * Prefix of the filter's statistics.
   * @default "http_local_rate_limiter"
   */
  readonly statPrefix?: string;
  /**
   * Name of the EnvoyFilter.
   * @default - a name cdk8s generates
   */
  readonly name?: string;
}

/** A local rate limit on one workload's inbound requests. */
export class RateLimit extends Construct {
  /** The EnvoyFilter inserting the rate limit filter. */
  public readonly envoyFilter: EnvoyFilter;

  /** @see RateLimitProps */
  public constructor(scope: Construct, id: string, props: RateLimitProps) {
    super(scope, id);
    const labels = selectorLabels(this, "workload", props.workload);
    checkProp(this, "requests", intInRange(props.requests, 1, 2 ** 31 - 1));
    const maxTokens = props.maxTokens ?? props.requests;
    checkProp(this, "maxTokens", intInRange(maxTokens, props.requests, 2 ** 31 - 1));
    const interval = props.fillInterval ?? Duration.minutes(1);
    // Envoy refuses a fill interval under 50ms.
    if (interval.toMilliseconds() < 50) checkProp(this, "fillInterval", "must be at least 50ms");
    const enforced = props.enforcedPercent ?? 100;
    checkProp(this, "enforcedPercent", intInRange(enforced, 0, 100));
    const fraction = (key: string, numerator: number) => ({
      runtime_key: key,
      default_value: { numerator, denominator: "HUNDRED" },
    });
    this.envoyFilter = new EnvoyFilter(this, "Filter", {
      metadata: props.name !== undefined ? { name: props.name } : {},
      spec: {
        workloadSelector: { labels: { ...labels } },
        configPatches: [
          {
            applyTo: "HTTP_FILTER",
            match: {
              context: "SIDECAR_INBOUND",
              listener: {
                filterChain: { filter: { name: "envoy.filters.network.http_connection_manager" } },
              },
            },
            patch: {
              operation: "INSERT_BEFORE",
              value: {
                name: "envoy.filters.http.local_ratelimit",
                typed_config: {
                  "@type": "type.googleapis.com/udpa.type.v1.TypedStruct",
                  type_url: LOCAL_RATE_LIMIT,
                  value: {
                    stat_prefix: props.statPrefix ?? "http_local_rate_limiter",
                    token_bucket: {
                      max_tokens: maxTokens,
                      tokens_per_fill: props.requests,
                      fill_interval: protoDuration(interval),
                    },
                    filter_enabled: fraction("local_rate_limit_enabled", 100),
                    filter_enforced: fraction("local_rate_limit_enforced", enforced),
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
    });
    validateWithMesh(this, () => [
      { object: this.envoyFilter, props: [["spec.workloadSelector", "workload"]] },
    ]);
  }
}
