/**
 * VirtualService `HTTPMatchRequest` → Envoy `RouteMatch`, and the per-proxy conditions Istio
 * checks at compile time instead (port, sourceLabels, sourceNamespace, gateways).
 *
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPMatchRequest
 * @see istio/istio pilot/pkg/networking/core/route/route.go (TranslateRouteMatch)
 */
import type { HttpMatchRequest, StringMatch } from "../../../mesh/api";
import { selectorMatches } from "../../../mesh/store";
import type { Proxy } from "../proxy";
import type {
  EnvoyTypeMatcher_StringMatcher as StringMatcher,
  HeaderMatcher,
  MetadataMatcher,
  QueryParameterMatcher,
  RouteMatch,
} from "../shared/envoy";
import { JWT_FILTER, JWT_PAYLOAD_KEY } from "../security/rbac-attributes";
import { metadataListOrScalar } from "../security/rbac-matchers";

/** An Envoy StringMatcher for an Istio StringMatch (regex as RE2 `safe_regex`). */
export function stringMatcher(m: StringMatch): StringMatcher | undefined {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  if (m.regex !== undefined) return { safe_regex: { regex: m.regex } };
  return undefined;
}

/**
 * A HeaderMatcher, named as written (Envoy compares header names without case; Istio passes the
 * name through). An empty StringMatch, or the regex `*` (not RE2: Istio's catch-all), means
 * "present", as in Istio's canBeConvertedToPresentMatch. An inverted string match treats a
 * missing header as empty, as Istio's `withoutHeaders` does, so that a request without the
 * header matches (Envoy fails a missing header's match, inverted or not, otherwise).
 */
export function headerMatcher(name: string, m: StringMatch, invert = false): HeaderMatcher {
  const matcher = m.regex === "*" ? undefined : stringMatcher(m);
  const out: HeaderMatcher = matcher
    ? { name, string_match: matcher }
    : { name, present_match: true };
  if (invert) {
    out.invert_match = true;
    if (matcher) out.treat_missing_header_as_empty = true;
  }
  return out;
}

/** The header-name prefix that routes on a JWT claim instead of a header (Istio's HeaderJWTClaim). */
const JWT_CLAIM_HEADER = "@request.auth.claims";

/**
 * The claim path of a `@request.auth.claims.a.b` or `@request.auth.claims[a][b]` match name,
 * or undefined for any other name (Istio's jwt.ToRoutingClaim: the prefix in any case).
 */
export function routingClaim(name: string): string[] | undefined {
  if (!name.toLowerCase().startsWith(JWT_CLAIM_HEADER)) return undefined;
  const rest = name.slice(JWT_CLAIM_HEADER.length);
  if (rest.startsWith(".") && rest.length > 1) return rest.slice(1).split(".");
  if (rest.startsWith("[") && rest.endsWith("]") && rest.length > 2) {
    return rest.slice(1, -1).split("][");
  }
  return undefined;
}

/**
 * A route match on a JWT claim: the claim in the jwt_authn filter's payload metadata, as a
 * string or one element of a list of strings (Istio's translateMetadataMatch). An empty match
 * means the claim is present.
 */
function claimMatcher(claims: readonly string[], m: StringMatch, invert: boolean): MetadataMatcher {
  const matcher = stringMatcher(m);
  const out = metadataListOrScalar(
    JWT_FILTER,
    [JWT_PAYLOAD_KEY, ...claims],
    matcher ? { string_match: matcher } : { present_match: true },
  );
  if (invert) out.invert = true;
  return out;
}

/**
 * Whether a match applies to this proxy and listener port at all: Istio drops matches whose
 * `port`, `sourceLabels`, `sourceNamespace` or `gateways` exclude the proxy, at compile time.
 * `boundTo` says whether a `gateways` entry names what the routes are built for (`mesh` for
 * sidecars; the server's Gateway for gateway proxies).
 */
export function matchAppliesTo(
  m: Pick<HttpMatchRequest, "port" | "sourceLabels" | "sourceNamespace" | "gateways">,
  proxy: Proxy,
  port: number,
  boundTo: (gateway: string) => boolean = g => g === "mesh",
): boolean {
  if (m.port !== undefined && m.port !== 0 && m.port !== port) return false;
  if (m.sourceLabels && !selectorMatches(m.sourceLabels, proxy.labels)) return false;
  if (m.sourceNamespace !== undefined && m.sourceNamespace !== proxy.namespace) return false;
  if (m.gateways && m.gateways.length > 0 && !m.gateways.some(boundTo)) return false;
  return true;
}

/** The RouteMatch for one HTTPMatchRequest (or a catch-all `prefix: "/"` for none). */
export function translateMatch(m: HttpMatchRequest | undefined): RouteMatch {
  const out: RouteMatch = {};
  const uri = m?.uri;
  if (uri?.exact !== undefined) out.path = uri.exact;
  else if (uri?.prefix !== undefined) out.prefix = uri.prefix;
  else if (uri?.regex !== undefined) out.safe_regex = { regex: uri.regex };
  else out.prefix = "/";
  // Istio writes case_sensitive on every match it translates (none on the implicit catch-all).
  if (m) out.case_sensitive = { value: !m.ignoreUriCase };
  // Istio's order: `headers` and `withoutHeaders` sorted by name (byte order), then the
  // pseudo-headers :method, :authority, :scheme.
  // A `@request.auth.claims…` name matches the request's JWT claim, never a header.
  const matches = [
    ...Object.entries(m?.headers ?? {}).map(([name, sm]) => ({ name, sm, invert: false })),
    ...Object.entries(m?.withoutHeaders ?? {}).map(([name, sm]) => ({ name, sm, invert: true })),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const claimMatches: MetadataMatcher[] = [];
  const headers: HeaderMatcher[] = [];
  for (const { name, sm, invert } of matches) {
    const claims = routingClaim(name);
    if (claims) claimMatches.push(claimMatcher(claims, sm, invert));
    else headers.push(headerMatcher(name, sm, invert));
  }
  headers.sort((a, b) => {
    const [x = "", y = ""] = [a.name, b.name];
    return x < y ? -1 : x > y ? 1 : 0;
  });
  if (m?.method) headers.push(headerMatcher(":method", m.method));
  if (m?.authority) headers.push(headerMatcher(":authority", m.authority));
  if (m?.scheme) headers.push(headerMatcher(":scheme", m.scheme));
  if (headers.length > 0) out.headers = headers;
  if (claimMatches.length > 0) out.dynamic_metadata = claimMatches;
  const query = Object.entries(m?.queryParams ?? {}).map(([name, sm]): QueryParameterMatcher => {
    const matcher = stringMatcher(sm);
    return matcher ? { name, string_match: matcher } : { name, present_match: true };
  });
  if (query.length > 0) out.query_parameters = query;
  return out;
}
