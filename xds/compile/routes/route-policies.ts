/**
 * Per-route policies: retries, fault injection, timeouts, header manipulation, mirroring and
 * consistent-hash policies, translated as Istio translates them.
 *
 * @see istio/istio pilot/pkg/networking/core/route/retry/retry.go
 * @see istio/istio pilot/pkg/networking/core/route/route.go (translateFault, setTimeout)
 */
import type { HttpRetry, HttpRoute, Headers, LoadBalancerSettings } from "../../../mesh/api";
import type { ProxyKind } from "../proxy";
import { fractionalPercent, msDuration, protoDuration, Types } from "../shared/xds-util";
import type {
  AnyOf,
  FaultAbort,
  HeaderValueOption,
  Route,
  RouteAction,
  RouteAction_HashPolicy,
  RouteAction_HashPolicy_Cookie,
  Route_RetryPolicy,
} from "../shared/envoy";

/** Header operations, as a Route, a VirtualHost and a weighted cluster all carry them. */
export type HeaderFields = Pick<
  Route,
  | "request_headers_to_add"
  | "request_headers_to_remove"
  | "response_headers_to_add"
  | "response_headers_to_remove"
>;

/** gRPC status names Istio accepts in `fault.abort.grpcStatus`. */
export const GRPC_STATUS: Readonly<Record<string, number>> = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

/** Envoy's `previous_hosts` retry host predicate: a retry avoids the host that just failed. */
function previousHosts(): NonNullable<Route_RetryPolicy["retry_host_predicate"]> {
  return [
    {
      name: "envoy.retry_host_predicates.previous_hosts",
      typed_config: { "@type": Types.previousHostsPredicate },
    },
  ];
}

/**
 * Istio's default retry policy: 2 retries on connect failures, refused streams and gRPC
 * UNAVAILABLE/CANCELLED. `retriable-status-codes` is in `retry_on` but, as in istiod
 * (pilot/pkg/networking/core/route/retry/retry.go), with no codes: a 503 is not retried unless a
 * VirtualService's `retryOn` names it (found by the xDS diff against istiod). A retry avoids the
 * host that just failed (the `previous_hosts` predicate, up to 5 host picks) on Envoy, unless
 * the route's destination hashes consistently (`consistentHash`: a retry must stay on the
 * hashed host, istiod's DefaultConsistentHashPolicy); proxyless gRPC has no host predicates,
 * so it gets none (as from Istio's grpcgen).
 */
export function defaultRetryPolicy(
  kind: ProxyKind = "sidecar",
  consistentHash = false,
): Route_RetryPolicy {
  return {
    num_retries: { value: 2 },
    retry_on: "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
    ...(kind === "grpc" || consistentHash ? {} : { retry_host_predicate: previousHosts() }),
    host_selection_retry_max_attempts: 5,
  };
}

/**
 * The retry policy of istiod's inbound default route: a request the app's connection reset
 * before any response byte is retried twice (`reset-before-request`), nothing else.
 * @see istio/istio pilot/pkg/networking/core/route/route.go (BuildDefaultHTTPInboundRoute)
 */
export function inboundRetryPolicy(): Route_RetryPolicy {
  return { retry_on: "reset-before-request", num_retries: { value: 2 } };
}

/**
 * A VirtualService retry policy; undefined when retries are off (`attempts: 0`).
 * `consistentHash`: the route has one destination, whose DestinationRule hashes consistently
 * (no `previous_hosts` predicate unless `retryIgnorePreviousHosts` asks for it).
 * `retryIgnorePreviousHosts` set decides the predicate; `retryRemoteLocalities: true` adds
 * Envoy's `previous_priorities` retry priority (update frequency 2), as istiod writes them.
 */
export function retryPolicy(
  retries: HttpRetry | undefined,
  kind: ProxyKind = "sidecar",
  consistentHash = false,
): Route_RetryPolicy | undefined {
  if (!retries) return defaultRetryPolicy(kind, consistentHash);
  if (!retries.attempts || retries.attempts <= 0) return undefined;
  const out = defaultRetryPolicy(kind, consistentHash);
  out.num_retries = { value: retries.attempts };
  if (retries.retryOn) {
    const tokens = retries.retryOn
      .split(",")
      .map(s => s.trim())
      .filter(Boolean);
    const codes = tokens.filter(t => /^\d+$/.test(t)).map(Number);
    const on = tokens.filter(t => !/^\d+$/.test(t));
    // HTTP status codes in retryOn need Envoy's `retriable-status-codes` policy to take effect.
    if (codes.length > 0 && !on.includes("retriable-status-codes"))
      on.push("retriable-status-codes");
    out.retry_on = on.join(",");
    if (codes.length > 0) out.retriable_status_codes = codes;
    else delete out.retriable_status_codes;
  }
  const perTry = protoDuration(retries.perTryTimeout);
  if (perTry) out.per_try_timeout = perTry;
  const backoff = protoDuration(retries.backoff);
  if (backoff) out.retry_back_off = { base_interval: backoff };
  if (kind !== "grpc") {
    if (retries.retryIgnorePreviousHosts === true) out.retry_host_predicate = previousHosts();
    else if (retries.retryIgnorePreviousHosts === false) delete out.retry_host_predicate;
    if (retries.retryRemoteLocalities === true)
      out.retry_priority = {
        name: "envoy.retry_priorities.previous_priorities",
        typed_config: { "@type": Types.previousPriorities, update_frequency: 2 },
      };
  }
  return out;
}

/** The HTTPFault override for a route, or undefined if the route injects no fault. */
export function faultConfig(route: HttpRoute): AnyOf<typeof Types.fault> | undefined {
  const fault = route.fault;
  if (!fault || (!fault.delay && !fault.abort)) return undefined;
  const out: AnyOf<typeof Types.fault> = { "@type": Types.fault };
  const delay = fault.delay;
  const fixed = protoDuration(delay?.fixedDelay);
  if (delay && fixed) {
    out.delay = {
      fixed_delay: fixed,
      percentage:
        delay.percentage !== undefined
          ? fractionalPercent(delay.percentage.value)
          : { numerator: delay.percent ?? 0, denominator: "HUNDRED" },
    };
  }
  const abort = fault.abort;
  if (abort) {
    // Unset percentage aborts nothing (Istio's documented meaning); gRPC rejects an unset one,
    // so it is written out as 0 %.
    const a: FaultAbort = { percentage: fractionalPercent(abort.percentage?.value ?? 0) };
    if (abort.httpStatus !== undefined) a.http_status = abort.httpStatus;
    else if (abort.grpcStatus !== undefined) a.grpc_status = GRPC_STATUS[abort.grpcStatus] ?? 2;
    if (a.http_status !== undefined || a.grpc_status !== undefined) out.abort = a;
  }
  return out.delay || out.abort ? out : undefined;
}

/**
 * Route timeout fields. Envoy reads `timeout` (0s = none) and caps gRPC's own deadline with
 * `max_grpc_timeout`; gRPC clients only read `max_stream_duration` (gRFC A31), so proxyless
 * routes carry that instead, as Istio writes them.
 */
export function timeoutFields(
  timeout: string | undefined,
  kind: ProxyKind,
): Pick<RouteAction, "timeout" | "max_stream_duration" | "max_grpc_timeout"> {
  const t = protoDuration(timeout) ?? msDuration(0);
  return kind === "grpc"
    ? { timeout: t, max_stream_duration: { max_stream_duration: t } }
    : { timeout: t, max_grpc_timeout: t };
}

function headerOptions(
  ops: Readonly<Record<string, string>> | undefined,
  append: boolean,
): HeaderValueOption[] {
  return Object.entries(ops ?? {}).map(
    ([key, value]): HeaderValueOption => ({
      header: { key, value },
      append_action: append ? "APPEND_IF_EXISTS_OR_ADD" : "OVERWRITE_IF_EXISTS_OR_ADD",
    }),
  );
}

/** `request_headers_to_add` and friends for a Headers block (on a Route or weighted cluster). */
export function headerFields(headers: Headers | undefined): HeaderFields {
  const out: HeaderFields = {};
  const reqAdd = [
    ...headerOptions(headers?.request?.set, false),
    ...headerOptions(headers?.request?.add, true),
  ];
  const resAdd = [
    ...headerOptions(headers?.response?.set, false),
    ...headerOptions(headers?.response?.add, true),
  ];
  if (reqAdd.length > 0) out.request_headers_to_add = reqAdd;
  if (headers?.request?.remove?.length) out.request_headers_to_remove = headers.request.remove;
  if (resAdd.length > 0) out.response_headers_to_add = resAdd;
  if (headers?.response?.remove?.length) out.response_headers_to_remove = headers.response.remove;
  return out;
}

/** Route hash policies for a consistent-hash load balancer (header, cookie, source IP, query). */
export function hashPolicies(
  lb: LoadBalancerSettings | undefined,
): RouteAction_HashPolicy[] | undefined {
  const hash = lb?.consistentHash;
  if (!hash) return undefined;
  if (hash.httpHeaderName) return [{ header: { header_name: hash.httpHeaderName } }];
  if (hash.httpCookie) {
    const cookie: RouteAction_HashPolicy_Cookie = { name: hash.httpCookie.name };
    if (hash.httpCookie.path) cookie.path = hash.httpCookie.path;
    const ttl = protoDuration(hash.httpCookie.ttl);
    if (ttl) cookie.ttl = ttl;
    // Extra Set-Cookie attributes (SameSite, Secure, ...), in the order written, as Istio does.
    const attributes = hash.httpCookie.attributes ?? [];
    if (attributes.length > 0) {
      cookie.attributes = attributes.map(a => ({ name: a.name, value: a.value ?? "" }));
    }
    return [{ cookie }];
  }
  if (hash.useSourceIp) return [{ connection_properties: { source_ip: true } }];
  if (hash.httpQueryParameterName)
    return [{ query_parameter: { name: hash.httpQueryParameterName } }];
  return undefined;
}
