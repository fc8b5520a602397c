/**
 * Small shared pieces of xDS output: type URLs, Istio's resource names, durations and
 * percentages in the protobuf object form the encoder (`xds/encode/`) checks.
 */
import { parseDuration } from "../../../mesh/validation/durations";
import type { ProxyKind } from "../proxy";
import type { HttpFilter } from "./envoy";
import { FilterNames, Types } from "./envoy-names";

export { FilterNames, Types };

/** Istio's fixed cluster names. */
export const BLACKHOLE_CLUSTER = "BlackHoleCluster";
/** Outbound traffic to unknown destinations (ALLOW_ANY). */
export const PASSTHROUGH_CLUSTER = "PassthroughCluster";
/** Inbound traffic to ports no service declares. */
export const INBOUND_PASSTHROUGH_CLUSTER = "InboundPassthroughCluster";

/** Istio's cluster name: `outbound|9080|v1|reviews.default.svc.cluster.local`, `inbound|9080||`. */
export function clusterName(
  direction: "outbound" | "inbound",
  port: number,
  subset = "",
  host = "",
): string {
  return `${direction}|${port}|${subset}|${host}`;
}

/**
 * istiod's limit on a direct response body (1 MiB; Envoy's default is 4 KiB), on outbound and
 * gateway route configs.
 * @see istio/istio pilot/pkg/networking/core/route/route.go (DefaultMaxDirectResponseBodySizeBytes)
 */
export const MAX_DIRECT_RESPONSE_BODY = { value: 1_048_576 } as const;

/** A ConfigSource pointing at the ADS stream the proxy is on. */
export const ADS_SOURCE = { ads: {}, resource_api_version: "V3" } as const;

/**
 * The ConfigSource istiod gives Envoy for RDS and EDS: ADS with `initial_fetch_timeout` 0, so a
 * listener or cluster waits for its routes or endpoints instead of warming up without them after
 * Envoy's default 15 s. Proxyless gRPC keeps `ADS_SOURCE` (Istio's grpcgen sets no timeout).
 * @see istio/istio pilot/pkg/networking/core/listener_builder.go, cluster_builder.go
 */
export const ENVOY_ADS_SOURCE = {
  ads: {},
  initial_fetch_timeout: { seconds: 0, nanos: 0 },
  resource_api_version: "V3",
} as const;

/** `google.protobuf.Duration` object form of a Go duration string (undefined if not one). */
export function protoDuration(
  s: string | undefined,
): { seconds: number; nanos: number } | undefined {
  if (s === undefined) return undefined;
  const ns = parseDuration(s);
  if (ns === undefined || ns < 0) return undefined;
  const whole = Math.round(ns);
  return { seconds: Math.floor(whole / 1e9), nanos: whole % 1e9 };
}

/** Milliseconds as a Duration object. */
export function msDuration(ms: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

/**
 * Istio's percent → FractionalPercent: value × 10 000 per MILLION, so 0.1 % stays exact.
 * @see istio/istio pilot/pkg/networking/core/route/route.go (TranslatePercentToFractionalPercent)
 */
export function fractionalPercent(value: number | undefined): {
  numerator: number;
  denominator: "MILLION";
} {
  return { numerator: Math.round((value ?? 0) * 10_000), denominator: "MILLION" };
}

/** `o` without its undefined fields: unset fields are left out, as Istio's goldens leave them. */
export function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Compares strings for deterministic sort orders. */
export function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * HTTP filters of an HttpConnectionManager: fault and CORS (both configured per route), router
 * last, in Istio's order. Proxyless gRPC clients get no CORS filter: gRPC has none, grpc-js-xds
 * rejects a listener naming a filter it does not know (unless marked optional), and Istio's
 * grpcgen sends none.
 * @see istio/istio pilot/pkg/networking/core/listener_builder.go (buildHTTPConnectionManager)
 */
export function httpFilters(kind: ProxyKind = "sidecar"): HttpFilter[] {
  return [
    { name: FilterNames.fault, typed_config: { "@type": Types.fault } },
    ...(kind === "grpc" ? [] : [{ name: FilterNames.cors, typed_config: { "@type": Types.cors } }]),
    { name: FilterNames.router, typed_config: { "@type": Types.router } },
  ];
}
