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
  QueryParameterMatcher,
  RouteMatch,
} from "../shared/envoy";

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
  const headers: HeaderMatcher[] = [
    ...Object.entries(m?.headers ?? {}).map(([name, sm]) => headerMatcher(name, sm)),
    ...Object.entries(m?.withoutHeaders ?? {}).map(([name, sm]) => headerMatcher(name, sm, true)),
  ].sort((a, b) => {
    const [x = "", y = ""] = [a.name, b.name];
    return x < y ? -1 : x > y ? 1 : 0;
  });
  if (m?.method) headers.push(headerMatcher(":method", m.method));
  if (m?.authority) headers.push(headerMatcher(":authority", m.authority));
  if (m?.scheme) headers.push(headerMatcher(":scheme", m.scheme));
  if (headers.length > 0) out.headers = headers;
  const query = Object.entries(m?.queryParams ?? {}).map(([name, sm]): QueryParameterMatcher => {
    const matcher = stringMatcher(sm);
    return matcher ? { name, string_match: matcher } : { name, present_match: true };
  });
  if (query.length > 0) out.query_parameters = query;
  return out;
}
