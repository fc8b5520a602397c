/**
 * Warnings for VirtualService rules that can never match: a rule after a catch-all, a match
 * repeated from an earlier rule, or a prefix match covered by an earlier, shorter prefix.
 * Istio reports these as VirtualServiceUnreachableRule / VirtualServiceIneffectiveMatch
 * (validation.go analyzeUnreachableHTTPRules).
 */
import type { HttpMatchRequest, HttpRoute } from "../../mesh/api/virtual-service";
import { idx, type Report } from "./diagnostic";

/** JSON with sorted keys, so equal matches compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function routeName(r: { name?: string }, n: number): string {
  return r.name ? JSON.stringify(r.name) : `#${n}`;
}

function matchName(m: { name?: string }, n: number): string {
  return m.name ? JSON.stringify(m.name) : `#${n}`;
}

interface PrefixMatch {
  route: string;
  match: string;
  prefix: string;
  port: number;
  method: string;
  authority: string;
  headers: Record<string, string>;
  queryParams: Record<string, string>;
  withoutHeaders: Record<string, string>;
}

const exactOrPrefix = (sm: { exact?: string; prefix?: string } | undefined): string =>
  sm?.exact ? `exact:${sm.exact}` : sm?.prefix ? `prefix:${sm.prefix}` : "";

const mapOf = (
  m: Record<string, { exact?: string; prefix?: string }> | undefined,
): Record<string, string> =>
  Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, exactOrPrefix(v)]));

function prefixMatch(route: string, match: string, m: HttpMatchRequest): PrefixMatch | undefined {
  if (!m.uri?.prefix) return undefined;
  return {
    route,
    match,
    prefix: m.uri.prefix,
    port: m.port ?? 0,
    // No method condition means GET for this comparison, as Istio does.
    method: exactOrPrefix(m.method) || "exact:GET",
    authority: exactOrPrefix(m.authority),
    headers: mapOf(m.headers),
    queryParams: mapOf(m.queryParams),
    withoutHeaders: mapOf(m.withoutHeaders),
  };
}

function mapCovered(a: Record<string, string>, b: Record<string, string>): boolean {
  if (Object.keys(a).length !== Object.keys(b).length) return false;
  return Object.entries(a).every(([k, v]) => k in b && (v === b[k] || v.startsWith(b[k] ?? "")));
}

/** Whether earlier match `a` covers later match `b`, so `b` never takes effect. */
function covers(a: PrefixMatch, b: PrefixMatch): boolean {
  return (
    b.prefix.startsWith(a.prefix) &&
    a.port === b.port &&
    (a.method === b.method || a.method.startsWith(b.method)) &&
    (a.authority === b.authority || a.authority.startsWith(b.authority)) &&
    mapCovered(a.headers, b.headers) &&
    mapCovered(a.queryParams, b.queryParams) &&
    mapCovered(a.withoutHeaders, b.withoutHeaders)
  );
}

/** Warns about unreachable rules and ineffective matches in an ordered rule list. */
export function checkReachability(
  report: Report,
  path: string,
  routes: readonly { name?: string; match?: readonly object[] }[],
  http: boolean,
): void {
  const seen = new Map<string, number>();
  let catchAll = -1;
  const prefixes: PrefixMatch[] = [];
  routes.forEach((route, n) => {
    const p = idx(path, n);
    const name = http ? routeName(route, n) : `#${n}`;
    const matches = route.match ?? [];
    if (matches.length === 0) {
      if (catchAll >= 0)
        report.warn(
          p,
          `virtualService rule ${name} not used (only the last rule can have no matches)`,
        );
      catchAll = n;
      return;
    }
    let duplicates = 0;
    matches.forEach((match, mn) => {
      const m = match as { name?: string };
      if (catchAll >= 0) {
        report.warn(
          p,
          `virtualService rule ${name} not used (route without matches defined before)`,
        );
        return;
      }
      const { name: _ignored, ...rest } = m;
      const key = canonical(http ? rest : m);
      const dup = seen.get(key);
      if (dup !== undefined) {
        const dupName = http ? routeName(routes[dup] ?? {}, dup) : `#${dup}`;
        const mName = http ? matchName(m, mn) : `#${mn}`;
        report.warn(
          p,
          `virtualService rule ${name} match ${mName} is not used (duplicate/overlapping match in rule ${dupName})`,
        );
        duplicates++;
        return;
      }
      seen.set(key, n);
      const pm = http ? prefixMatch(name, matchName(m, mn), m as HttpMatchRequest) : undefined;
      if (pm) prefixes.push(pm);
    });
    if (duplicates === matches.length)
      report.warn(p, `virtualService rule ${name} not used (all matches used by prior rules)`);
  });
  for (let i = 0; i < prefixes.length; i++) {
    for (let j = i + 1; j < prefixes.length; j++) {
      const a = prefixes[i] as PrefixMatch;
      const b = prefixes[j] as PrefixMatch;
      if (a.prefix === b.prefix || !covers(a, b)) continue;
      const later = `${b.match} of prefix ${b.prefix}`;
      const earlier = `${a.match} of prefix ${a.prefix} on ${a.route}`;
      report.warn(
        path,
        `virtualService rule ${b.route} match ${later} is not used (duplicate/overlapping match in rule ${earlier})`,
      );
    }
  }
}

/** Convenience for HTTP routes. */
export function checkHttpReachability(
  report: Report,
  path: string,
  routes: readonly HttpRoute[],
): void {
  checkReachability(report, path, routes, true);
}
