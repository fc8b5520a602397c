/**
 * Delegate VirtualServices: a root VirtualService's HTTP route with `delegate: {name, namespace}`
 * is replaced by the routes of that delegate (a VirtualService without `hosts`), each merged
 * under the root route. Pure: every VirtualService of the store in, the roots with their
 * delegates merged (delegates themselves left out, as they route nothing alone) and what was
 * dropped out.
 *
 * The rules follow Istio's, so a configuration behaves as it does there:
 * - the delegate is looked up by name among VirtualServices without hosts (namespace defaults to
 *   the root's); one with hosts is not a delegate, so the root route is dropped as if missing;
 * - the delegate must be exported to the root's namespace, else the root route is dropped;
 * - each delegate match must lie within a root match (it is then merged with it); a delegate
 *   route with a match outside every root match is dropped;
 * - each route field is the delegate's own, inherited from the root when the delegate leaves it
 *   unset, or merged from both, as HTTP_ROUTE_DELEGATION (delegate-fields.ts) says per field;
 * - one level only: a delegate route that delegates again is dropped (validation refuses it).
 *
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#Delegate
 * @see istio/istio pilot/pkg/model/virtualservice_controller.go (mergeVirtualServices),
 *   pilot/pkg/model/virtualservice.go (MergeHTTPRoutes, mergeHTTPMatchRequests, hasConflict)
 */
import {
  mapRouteDestinations,
  type Destination,
  type HttpMatchRequest,
  type HttpRoute,
  type StringMatch,
  type VirtualService,
} from "../../mesh/api";
import { fieldsWithRule, type FieldsWithRule } from "./delegate-fields";
import { resolveGatewayName } from "./gateway/gateway-model";
import type { ProxyKind } from "./proxy";
import { exportedTo, resolveHost } from "./shared/host-names";

/** A root route dropped, or part of it, and why. */
export interface DelegateWarning {
  /** The root VirtualService whose route lost routes. */
  readonly root: VirtualService;
  /** `VirtualService ns/name: spec.http[i].delegate: rule`. */
  readonly message: string;
}

/** The outcome of merging delegates into their roots. */
export interface MergedVirtualServices {
  /** Every VirtualService with hosts, in input order, each root's delegates merged in. */
  readonly virtualServices: readonly VirtualService[];
  readonly warnings: readonly DelegateWarning[];
}

const nsOf = (vs: VirtualService): string => vs.metadata.namespace ?? "default";
const keyOf = (vs: VirtualService): string => `${nsOf(vs)}/${vs.metadata.name ?? ""}`;
const hasHosts = (vs: VirtualService): boolean => (vs.spec.hosts ?? []).length > 0;
/** Istio's API is protobuf: an empty list or string is the same as an unset one. */
const unset = (v: unknown): boolean =>
  v === undefined || v === "" || (Array.isArray(v) && v.length === 0);

/**
 * Whether a delegate's StringMatch selects only what the root's selects. Either side unset
 * constrains nothing. A regex is only comparable to nothing (no subset test exists for it), an
 * exact root admits the same exact value, a prefix root admits a longer prefix or an exact
 * value under it; anything else (an empty match on the root, a present-only delegate) is
 * treated as not contained, as Istio does.
 */
export function stringMatchWithin(root: StringMatch | undefined, leaf: StringMatch | undefined) {
  if (!root || !leaf) return true;
  const r = { exact: root.exact ?? "", prefix: root.prefix ?? "", regex: root.regex ?? "" };
  const l = { exact: leaf.exact ?? "", prefix: leaf.prefix ?? "", regex: leaf.regex ?? "" };
  if (r.regex !== "" || l.regex !== "") return false;
  if (r.exact !== "") return l.prefix === "" && l.exact === r.exact;
  if (r.prefix !== "") {
    if (l.prefix !== "") return l.prefix.startsWith(r.prefix);
    if (l.exact !== "") return l.exact.startsWith(r.prefix);
  }
  return false;
}

function mapWithin(
  root: Readonly<Record<string, StringMatch>> | undefined,
  leaf: Readonly<Record<string, StringMatch>> | undefined,
): boolean {
  return Object.entries(leaf ?? {}).every(([k, m]) => stringMatchWithin(root?.[k], m));
}

/**
 * Whether a delegate match can be merged under a root match: nothing it sets contradicts the
 * root (gateways compared as `namespace/name`, each relative to its own VirtualService).
 */
export function matchWithin(
  root: HttpMatchRequest,
  leaf: HttpMatchRequest,
  rootNs: string,
  leafNs: string,
): boolean {
  const fields = ["uri", "scheme", "method", "authority"] as const;
  if (!fields.every(f => stringMatchWithin(root[f], leaf[f]))) return false;
  if (!mapWithin(root.headers, leaf.headers)) return false;
  if (!mapWithin(root.withoutHeaders, leaf.withoutHeaders)) return false;
  if (!mapWithin(root.queryParams, leaf.queryParams)) return false;
  if (Boolean(root.ignoreUriCase) !== Boolean(leaf.ignoreUriCase)) return false;
  if (root.port && leaf.port && root.port !== leaf.port) return false;
  if (root.sourceNamespace && leaf.sourceNamespace !== root.sourceNamespace) return false;
  for (const [k, v] of Object.entries(leaf.sourceLabels ?? {}))
    if (root.sourceLabels?.[k] !== undefined && root.sourceLabels[k] !== v) return false;
  const rootGws = (root.gateways ?? []).map(g => resolveGatewayName(g, rootNs));
  const leafGws = (leaf.gateways ?? []).map(g => resolveGatewayName(g, leafNs));
  if (rootGws.length > 0 && leafGws.length > 0) {
    // The root must bind every gateway the delegate asks for.
    if (rootGws.length < leafGws.length || leafGws.some(g => !rootGws.includes(g))) return false;
  }
  return true;
}

const joinName = (root: string | undefined, leaf: string | undefined): string | undefined =>
  unset(leaf) ? root : unset(root) ? leaf : `${root}-${leaf}`;

function mergeMaps<T>(
  root: Readonly<Record<string, T>> | undefined,
  leaf: Readonly<Record<string, T>> | undefined,
): Record<string, T> | undefined {
  // The delegate's entry wins for a key both set.
  const out = { ...root, ...leaf };
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A delegate match narrowed by the root match it lies within. */
export function mergeMatch(root: HttpMatchRequest, leaf: HttpMatchRequest): HttpMatchRequest {
  const out: HttpMatchRequest = {
    ...leaf,
    name: joinName(root.name, leaf.name),
    uri: leaf.uri ?? root.uri,
    scheme: leaf.scheme ?? root.scheme,
    method: leaf.method ?? root.method,
    authority: leaf.authority ?? root.authority,
    headers: mergeMaps(root.headers, leaf.headers),
    withoutHeaders: mergeMaps(root.withoutHeaders, leaf.withoutHeaders),
    queryParams: mergeMaps(root.queryParams, leaf.queryParams),
    sourceLabels: mergeMaps(root.sourceLabels, leaf.sourceLabels),
    port: leaf.port || root.port,
    sourceNamespace: unset(leaf.sourceNamespace) ? root.sourceNamespace : leaf.sourceNamespace,
    gateways: unset(leaf.gateways) ? root.gateways : leaf.gateways,
    statPrefix: unset(leaf.statPrefix) ? root.statPrefix : leaf.statPrefix,
  };
  // Drop what stayed unset, so the merged match reads like one written by hand.
  for (const k of Object.keys(out) as (keyof HttpMatchRequest)[])
    if (out[k] === undefined) delete out[k];
  return out;
}

/**
 * The matches of a merged route: every (root, delegate) pair where the delegate match lies
 * within the root's; undefined when some delegate match lies within none (the route is dropped).
 * No root match means the delegate's stand; no delegate match means the root's do.
 */
export function mergeMatches(
  root: readonly HttpMatchRequest[] | undefined,
  leaf: readonly HttpMatchRequest[] | undefined,
  rootNs: string,
  leafNs: string,
): HttpMatchRequest[] | undefined {
  if (!root || root.length === 0) return [...(leaf ?? [])];
  if (!leaf || leaf.length === 0) return [...root];
  const out: HttpMatchRequest[] = [];
  for (const l of leaf) {
    const within = root.filter(r => matchWithin(r, l, rootNs, leafNs));
    if (within.length === 0) return undefined;
    out.push(...within.map(r => mergeMatch(r, l)));
  }
  return out;
}

/** Whether a route sets the deprecated mirror percent under either of its JSON names. */
const percentSet = (r: HttpRoute): boolean => !unset(r.mirrorPercent) || !unset(r.mirror_percent);

const MERGED = fieldsWithRule("merge");
const INHERITED = fieldsWithRule("inherit");

/**
 * A delegate route under its root route (`match` already merged), field by field as
 * HTTP_ROUTE_DELEGATION rules: the delegate's own fields as written (the copy below), inherited
 * ones from the root when the delegate leaves them unset, merged ones from both.
 */
export function mergeRoute(root: HttpRoute, leaf: HttpRoute, match: HttpMatchRequest[]): HttpRoute {
  // One entry per `merge` field: marking another field `merge` fails to compile until it is here.
  const merged: { [F in FieldsWithRule<"merge">]: HttpRoute[F] } = {
    match: match.length > 0 ? match : undefined,
    // A delegate's empty name is left as written when neither route is named.
    name: joinName(root.name, leaf.name) ?? leaf.name,
    mirrorPercent: percentSet(leaf) ? leaf.mirrorPercent : root.mirrorPercent,
    mirror_percent: percentSet(leaf) ? leaf.mirror_percent : root.mirror_percent,
  };
  const out: Record<string, unknown> = { ...leaf };
  for (const f of MERGED) {
    if (merged[f] === undefined) delete out[f];
    else out[f] = merged[f];
  }
  for (const f of INHERITED) if (unset(leaf[f]) && !unset(root[f])) out[f] = root[f];
  return out as HttpRoute;
}

/**
 * The delegate with its short names made absolute relative to its own namespace, since its
 * routes will be read as the root's: destination and mirror hosts (`reviews` →
 * `reviews.<delegate ns>.svc.<suffix>`) and match gateways (`gw` → `<delegate ns>/gw`).
 */
export function resolveDelegateNames(delegate: VirtualService, domainSuffix: string): HttpRoute[] {
  const ns = nsOf(delegate);
  const resolve = (d: Destination): Destination => ({
    ...d,
    host: resolveHost(d.host, ns, domainSuffix),
  });
  return (delegate.spec.http ?? []).map(r => {
    const route = mapRouteDestinations(r, resolve);
    if (!route.match) return route;
    return {
      ...route,
      match: route.match.map(m =>
        m.gateways ? { ...m, gateways: m.gateways.map(g => resolveGatewayName(g, ns)) } : m,
      ),
    };
  });
}

/** The routes one root route expands to, with a warning per route left out. */
function expandRoute(
  root: VirtualService,
  route: HttpRoute,
  at: string,
  byKey: ReadonlyMap<string, VirtualService>,
  domainSuffix: string,
): { routes: HttpRoute[]; warnings: string[] } {
  const ref = route.delegate!;
  const rootNs = nsOf(root);
  const ns = unset(ref.namespace) ? rootNs : ref.namespace!;
  const name = `${ns}/${ref.name ?? ""}`;
  const prefix = `VirtualService ${keyOf(root)}: ${at}.delegate`;
  const delegate = byKey.get(name);
  if (!delegate)
    return { routes: [], warnings: [`${prefix}: VirtualService ${name} not found; route dropped`] };
  if (hasHosts(delegate))
    return {
      routes: [],
      warnings: [
        `${prefix}: VirtualService ${name} has hosts, so it is not a delegate; route dropped`,
      ],
    };
  if (!exportedTo(delegate.spec.exportTo, ns, rootNs))
    return {
      routes: [],
      warnings: [
        `${prefix}: delegate VirtualService ${name} is not exported to namespace ${rootNs}; route dropped`,
      ],
    };
  const routes: HttpRoute[] = [];
  const warnings: string[] = [];
  resolveDelegateNames(delegate, domainSuffix).forEach((leaf, j) => {
    const leafAt = `delegate VirtualService ${name} spec.http[${j}]`;
    if (leaf.delegate) {
      warnings.push(`${prefix}: ${leafAt}: delegates again, only one level is supported; dropped`);
      return;
    }
    const match = mergeMatches(route.match, leaf.match, rootNs, ns);
    if (!match) {
      warnings.push(
        `${prefix}: ${leafAt}.match is not within any of the root route's matches; dropped`,
      );
      return;
    }
    routes.push(mergeRoute(route, leaf, match));
  });
  return { routes, warnings };
}

/**
 * Merges delegates into their roots. VirtualServices without hosts are delegates: they are
 * left out of the result whether or not a root uses them.
 */
export function mergeDelegates(
  all: readonly VirtualService[],
  domainSuffix: string,
): MergedVirtualServices {
  const byKey = new Map(all.map(vs => [keyOf(vs), vs] as const));
  const virtualServices: VirtualService[] = [];
  const warnings: DelegateWarning[] = [];
  for (const vs of all) {
    if (!hasHosts(vs)) continue;
    const http = vs.spec.http ?? [];
    if (!http.some(r => r.delegate)) {
      virtualServices.push(vs);
      continue;
    }
    const merged: HttpRoute[] = [];
    http.forEach((route, i) => {
      if (!route.delegate) {
        merged.push(route);
        return;
      }
      const out = expandRoute(vs, route, `spec.http[${i}]`, byKey, domainSuffix);
      merged.push(...out.routes);
      for (const message of out.warnings) warnings.push({ root: vs, message });
    });
    virtualServices.push({ ...vs, spec: { ...vs.spec, http: merged } });
  }
  return { virtualServices, warnings };
}

/**
 * The warnings a proxy should report: those of roots it can see (exported to its namespace)
 * and that apply to its kind (gateway-bound roots for gateways, mesh-bound ones otherwise), so a
 * broken root is not logged for every proxy of the mesh.
 */
export function delegateWarningsFor(
  warnings: readonly DelegateWarning[],
  proxyNamespace: string,
  kind: ProxyKind,
): string[] {
  return warnings
    .filter(({ root }) => {
      const gateways = root.spec.gateways ?? [];
      const forMesh = gateways.length === 0 || gateways.includes("mesh");
      const forGateway = gateways.some(g => g !== "mesh");
      return (
        exportedTo(root.spec.exportTo, nsOf(root), proxyNamespace) &&
        (kind === "router" ? forGateway : forMesh)
      );
    })
    .map(w => w.message);
}
