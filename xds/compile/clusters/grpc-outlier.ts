/**
 * DestinationRule outlier detection for proxyless gRPC clients.
 *
 * Istio writes Envoy's consecutive-error ejection (`consecutive_5xx`,
 * `consecutive_gateway_failure`) and turns success-rate ejection off. gRPC's outlier detection
 * (gRFC A50, grpc-js `load-balancer-outlier-detection`) implements only the two statistical
 * algorithms, success rate and failure percentage, and reads no consecutive-error field, so
 * Istio's cluster would count calls and never eject anyone. (Istio's grpcgen writes no outlier
 * detection at all.) This maps the rule onto failure-percentage ejection instead.
 *
 * What A50 does with the Envoy fields (grpc-js-xds 1.14 `cluster-resource-type.ts`):
 * - success rate runs unless `enforcing_success_rate` is present and 0, so 0 is written;
 * - failure percentage runs only when `enforcing_failure_percentage` > 0; its unset fields
 *   default to threshold 85, minimum_hosts 5, request_volume 50;
 * - every non-OK status counts as a failure (there is no 5xx/gateway distinction);
 * - every `interval` it looks at the calls of the interval just ended: a host with at least
 *   `request_volume` calls whose failure share is strictly above `threshold` % is ejected for
 *   `base_ejection_time` × (times ejected), unless `max_ejection_percent` of hosts (default 10,
 *   but one host may always go) are out already, and only if at least `minimum_hosts` hosts
 *   reached the volume;
 * - `interval` defaults to 10 s, `base_ejection_time` to 30 s, `max_ejection_time` to 300 s;
 *   no panic threshold exists.
 *
 * The mapping, for N = the smallest enabled consecutive count (see {@link consecutiveLimit}):
 * - `failure_percentage_request_volume` N: like N consecutive errors, N calls must be seen;
 * - `failure_percentage_threshold` ⌊100·(N−1)/N⌋: a share of failures above (N−1)/N among the
 *   calls of an interval means some run of failures is about N long, so gRPC ejects roughly the
 *   hosts Envoy would (a host failing every call always; N = 1 ejects on any failure, exactly as
 *   Envoy does), and spares a host whose errors are spread out (Envoy might still catch an
 *   unlucky run of N among many calls);
 * - `failure_percentage_minimum_hosts` 1: Envoy's consecutive ejection has no host minimum and
 *   A50's default of 5 would never eject in a three-pod service;
 * - `enforcing_failure_percentage` 100, as Istio enforces consecutive errors at 100 %;
 * - `interval`, `base_ejection_time`, `max_ejection_percent` as Istio writes them;
 * - `minHealthPercent` (Envoy's panic threshold, absent from gRPC) caps
 *   `max_ejection_percent` at 100 − minHealthPercent, so ejection never leaves fewer than that
 *   share of hosts in rotation — the protection the panic threshold is for.
 *
 * The difference that remains: Envoy ejects the moment the N-th consecutive error arrives;
 * gRPC decides once per `interval` from that interval's share of failures.
 *
 * @see https://github.com/grpc/proposal/blob/master/A50-xds-outlier-detection.md
 * @see https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/outlier
 */
import type { OutlierDetection } from "../../../mesh/api";
import { protoDuration } from "../shared/xds-util";
import type { OutlierDetection as EnvoyOutlierDetection } from "../shared/envoy";

/** Envoy's `consecutive_5xx` when the rule leaves `consecutive5xxErrors` unset (enforced at 100 %). */
const ENVOY_DEFAULT_CONSECUTIVE_5XX = 5;

/** A50's and Envoy's `max_ejection_percent` default. */
const DEFAULT_MAX_EJECTION_PERCENT = 10;

/**
 * The consecutive-error count gRPC should act on, or 0 when the rule ejects on none. Envoy
 * enforces `consecutive_5xx` by default (5) and `consecutive_gateway_failure` only when set;
 * gRPC cannot tell the two apart (gateway errors are a subset of all errors), so the smaller
 * enabled count wins — the one that would eject first. An explicit 0 disables a kind, as in
 * Istio.
 */
export function consecutiveLimit(od: OutlierDetection): number {
  const fiveXx = od.consecutive5xxErrors ?? ENVOY_DEFAULT_CONSECUTIVE_5XX;
  const gateway = od.consecutiveGatewayErrors ?? 0;
  const enabled = [fiveXx, gateway].filter(n => n > 0);
  return enabled.length > 0 ? Math.min(...enabled) : 0;
}

/** The failure share (integer percent, compared with `>`) equivalent to `n` consecutive errors. */
export function failureThreshold(n: number): number {
  return Math.floor((100 * (n - 1)) / n);
}

/** `max_ejection_percent`, lowered so at least `minHealthPercent` of hosts stay in rotation. */
function maxEjectionPercent(od: OutlierDetection): number | undefined {
  const configured = od.maxEjectionPercent !== undefined && od.maxEjectionPercent > 0;
  const min = od.minHealthPercent ?? 0;
  if (min <= 0) return configured ? od.maxEjectionPercent : undefined;
  const base = configured ? od.maxEjectionPercent! : DEFAULT_MAX_EJECTION_PERCENT;
  return Math.max(0, Math.min(base, 100 - min));
}

/** The Cluster `outlier_detection` of a proxyless gRPC client (see the file comment). */
export function grpcOutlierDetection(od: OutlierDetection): EnvoyOutlierDetection {
  const out: EnvoyOutlierDetection = { enforcing_success_rate: { value: 0 } };
  const n = consecutiveLimit(od);
  if (n > 0) {
    out.enforcing_failure_percentage = { value: 100 };
    out.failure_percentage_threshold = { value: failureThreshold(n) };
    out.failure_percentage_request_volume = { value: n };
    out.failure_percentage_minimum_hosts = { value: 1 };
  }
  const interval = protoDuration(od.interval);
  if (interval) out.interval = interval;
  const base = protoDuration(od.baseEjectionTime);
  if (base) out.base_ejection_time = base;
  const max = maxEjectionPercent(od);
  if (max !== undefined) out.max_ejection_percent = { value: max };
  return out;
}
