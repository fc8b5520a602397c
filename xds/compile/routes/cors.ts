/**
 * VirtualService `corsPolicy` → the per-route config of Envoy's CORS filter
 * (`typed_per_filter_config["envoy.filters.http.cors"]`, a `CorsPolicy`), as Istio writes it.
 * The filter itself sits in every Envoy HttpConnectionManager (`httpFilters` in xds-util.ts);
 * a route without a policy leaves it inert.
 *
 * Proxyless gRPC gets neither: gRPC has no CORS filter (browsers do not call it directly), and
 * Istio's grpcgen sends none.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#CorsPolicy
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/cors/v3/cors.proto
 * @see istio/istio pilot/pkg/networking/core/route/route.go (TranslateCORSPolicy)
 */
import type { HttpRoute } from "../../../mesh/api";
import { checkRegex } from "../../../mesh/validation/regex";
import { stringMatcher } from "./route-match";
import { protoDuration, Types } from "../shared/xds-util";
import type { AnyOf, EnvoyTypeMatcher_StringMatcher as StringMatcher } from "../shared/envoy";

type CorsPolicy = NonNullable<HttpRoute["corsPolicy"]>;

/**
 * Envoy StringMatchers for the allowed origins: `allowOrigins` (exact, prefix or RE2 regex), else
 * the deprecated `allowOrigin` as exact strings. A regex RE2 rejects is left out (admission
 * refuses it; config that bypassed admission must not make Envoy NACK the whole route config),
 * which only narrows what is allowed.
 */
export function allowedOrigins(cors: CorsPolicy): StringMatcher[] {
  if (cors.allowOrigins && cors.allowOrigins.length > 0)
    return cors.allowOrigins
      .filter(o => o.regex === undefined || checkRegex(o.regex) === undefined)
      .map(stringMatcher)
      .filter((m): m is StringMatcher => m !== undefined);
  return (cors.allowOrigin ?? []).map(exact => ({ exact }));
}

/** The route's `envoy.extensions.filters.http.cors.v3.CorsPolicy`. */
export function corsPolicyConfig(cors: CorsPolicy): AnyOf<typeof Types.corsPolicy> {
  const out: AnyOf<typeof Types.corsPolicy> = {
    "@type": Types.corsPolicy,
    allow_origin_string_match: allowedOrigins(cors),
    // The policy is enforced whenever present; Envoy's default runtime key would allow disabling.
    filter_enabled: { default_value: { numerator: 100, denominator: "HUNDRED" } },
    // Istio keeps Envoy's pre-1.30 behavior (forward preflights no origin matched) unless the
    // policy says IGNORE.
    forward_not_matching_preflights: { value: cors.unmatchedPreflights !== "IGNORE" },
  };
  if (cors.allowMethods?.length) out.allow_methods = cors.allowMethods.join(",");
  if (cors.allowHeaders?.length) out.allow_headers = cors.allowHeaders.join(",");
  if (cors.exposeHeaders?.length) out.expose_headers = cors.exposeHeaders.join(",");
  // Access-Control-Max-Age is whole seconds (a string field in Envoy's API).
  const maxAge = protoDuration(cors.maxAge);
  if (maxAge) out.max_age = String(maxAge.seconds);
  if (cors.allowCredentials !== undefined) out.allow_credentials = { value: cors.allowCredentials };
  return out;
}
