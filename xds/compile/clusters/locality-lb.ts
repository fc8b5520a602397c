/**
 * Locality load balancing in ClusterLoadAssignments: a DestinationRule's (or the mesh's)
 * `localityLbSetting` turned into endpoint-group priorities (failover) or per-locality weights
 * (distribute), relative to the proxy asking.
 *
 * Istio's rules, kept here:
 * - the rule's setting wins over the mesh's; `enabled: false` at that level turns it off; the
 *   mesh default is `{ enabled: true }`, so outlier detection alone turns on failover by
 *   region, zone and subzone;
 * - `distribute` wins over `failover` (validation refuses both; the compiler still copes);
 * - failover priorities only with outlier detection on the cluster, since without a way to
 *   mark hosts unhealthy Envoy never leaves priority 0. Istio logs nothing when it skips them
 *   (validation warns at admission), and neither does this;
 * - `failoverPriority` labels rank endpoints first, localities (with `failover`) within.
 *
 * One difference: a locality `distribute` sends no traffic to is left out, where Istio keeps
 * the group with its endpoints emptied; both give it no traffic.
 *
 * @see istio/istio pilot/pkg/networking/core/loadbalancer/loadbalancer.go
 * @see https://istio.io/latest/docs/reference/config/networking/destination-rule/#LocalityLoadBalancerSetting
 */
import type { LocalityLbSetting, TrafficPolicy } from "../../../mesh/api";
import type { EndpointInfo } from "../../../mesh/store";
import {
  localityMatches,
  parseLocality,
  proximity,
  withTopologyLabels,
  type Locality,
} from "../shared/locality";
import type { Proxy } from "../proxy";
import type { LocalityLbEndpoints } from "../shared/envoy";

/** MeshConfig's default `localityLbSetting`. */
export const MESH_DEFAULT_LOCALITY_LB: LocalityLbSetting = { enabled: true };

/** Istio's separator of a `failoverPriority` entry that fixes the value: `label=value`. */
const PRIORITY_VALUE_SEPARATOR = "=";

/** The label Istio lets a mismatch on be ignored (endpoints on other networks are not lower). */
const NETWORK_LABEL = "topology.istio.io/network";

/** Who is asking and what applies: the inputs of {@link localityLbEndpoints}. */
export interface LocalityLbContext {
  readonly proxyLocality: Locality;
  /** The proxy's labels (its topology labels are added here). */
  readonly proxyLabels: Readonly<Record<string, string>>;
  /** The effective setting ({@link effectiveLocalityLb}); undefined means off. */
  readonly setting: LocalityLbSetting | undefined;
  /** Whether the cluster has outlier detection (Istio's condition for failover). */
  readonly outlierDetection: boolean;
}

/**
 * The setting in force: the rule's, else the mesh's (MeshConfig `localityLbSetting`, whose
 * absence means Istio's default); undefined when turned off.
 */
export function effectiveLocalityLb(
  rule: LocalityLbSetting | undefined,
  mesh: LocalityLbSetting | undefined,
): LocalityLbSetting | undefined {
  const setting = rule ?? mesh ?? MESH_DEFAULT_LOCALITY_LB;
  return setting && setting.enabled !== false ? setting : undefined;
}

/**
 * Whether an Envoy cluster needs `locality_weighted_lb_config` (without it Envoy ignores
 * locality weights): with `distribute`, or failover that priorities apply to.
 */
export function needsLocalityWeightedLb(
  setting: LocalityLbSetting | undefined,
  outlierDetection: boolean,
): boolean {
  if (!setting) return false;
  if ((setting.distribute ?? []).length > 0) return true;
  const failover = (setting.failover ?? []).length + (setting.failoverPriority ?? []).length;
  return outlierDetection && failover > 0;
}

function labelEntry(entry: string): { label: string; value?: string } {
  const i = entry.indexOf(PRIORITY_VALUE_SEPARATOR);
  return i < 0 ? { label: entry } : { label: entry.slice(0, i), value: entry.slice(i + 1) };
}

/**
 * An endpoint's rank by `failoverPriority`: 0 when every label matches the proxy's (or the
 * fixed value), else (count − index of the first mismatch). A mismatch on a leading network
 * label moves the endpoint below all others instead of ending the comparison. Istio's
 * applyFailoverPriorityPerLocality.
 */
export function labelRank(
  priorities: readonly string[],
  proxyLabels: Readonly<Record<string, string>>,
  endpointLabels: Readonly<Record<string, string>>,
): number {
  const count = priorities.length;
  let adjust = 0;
  for (const [j, entry] of priorities.entries()) {
    const { label, value } = labelEntry(entry);
    const want = value ?? proxyLabels[label] ?? "";
    if (want === (endpointLabels[label] ?? "")) continue;
    if (j === 0 && entry === NETWORK_LABEL) {
      adjust = count;
      continue;
    }
    return count - j + adjust;
  }
  return adjust;
}

/**
 * An endpoint's rank by locality: its proximity (0–3), or 4 for a region that the `failover`
 * rule for the proxy's region does not name. Istio's applyLocalityFailover.
 */
export function localityRank(
  proxy: Locality,
  endpoint: Locality,
  failover: LocalityLbSetting["failover"],
): number {
  const rank = proximity(proxy, endpoint);
  if (rank !== 3) return rank;
  const rule = (failover ?? []).find(f => f.from === proxy.region);
  return rule && endpoint.region !== rule.to ? 4 : rank;
}

/**
 * Each endpoint's priority, ranks compacted to 0..N without gaps (Envoy and gRPC need them
 * contiguous); undefined when no priorities apply.
 */
export function endpointPriorities(
  endpoints: readonly EndpointInfo[],
  ctx: LocalityLbContext,
): number[] | undefined {
  const s = ctx.setting;
  if (!s || (s.distribute ?? []).length > 0 || !ctx.outlierDetection) return undefined;
  const proxyLabels = withTopologyLabels(ctx.proxyLabels, ctx.proxyLocality);
  const byLabels = (s.failoverPriority ?? []).length > 0 && Object.keys(proxyLabels).length > 0;
  // With failoverPriority, localities only refine it when `failover` is given too.
  const byLocality = (s.failoverPriority ?? []).length === 0 || (s.failover ?? []).length > 0;
  // Locality ranks are at most 4, so label rank × 5 + locality rank orders by labels first.
  const raw = endpoints.map(e => {
    const locality = parseLocality(e.locality);
    const labels = withTopologyLabels(e.labels, locality);
    const l = byLabels ? labelRank(s.failoverPriority ?? [], proxyLabels, labels) : 0;
    const r = byLocality ? localityRank(ctx.proxyLocality, locality, s.failover) : 0;
    return l * 5 + r;
  });
  const levels = [...new Set(raw)].sort((a, b) => a - b);
  return raw.map(r => levels.indexOf(r));
}

function groupLocality(group: LocalityLbEndpoints): Locality {
  const l = group.locality ?? {};
  return { region: l.region ?? "", zone: l.zone ?? "", subZone: l.sub_zone ?? "" };
}

function groupWeight(group: LocalityLbEndpoints): number {
  return group.load_balancing_weight?.value ?? 1;
}

/**
 * Locality weights from the first `distribute` rule whose `from` covers the proxy: each `to`
 * entry's share is split over the groups it matches in proportion to their own weights
 * (rounded up); groups no entry matches get no traffic and are left out. Istio's
 * applyLocalityWeights. Shares not summing to 100 (refused on admission) stay relative.
 */
export function distributeWeights(
  groups: readonly LocalityLbEndpoints[],
  proxy: Locality,
  distribute: LocalityLbSetting["distribute"],
): LocalityLbEndpoints[] {
  const rule = (distribute ?? []).find(d => localityMatches(proxy, d.from ?? ""));
  if (!rule) return [...groups];
  const weights = new Map<number, number>();
  for (const [to, share] of Object.entries(rule.to ?? {})) {
    const matched = groups
      .map((g, i) => ({ g, i }))
      .filter(({ g, i }) => !weights.has(i) && localityMatches(groupLocality(g), to));
    const total = matched.reduce((n, { g }) => n + groupWeight(g), 0);
    for (const { g, i } of matched) {
      const weight = (groupWeight(g) * share) / total;
      // A zero share keeps the group's own weight, as Istio does (validation refuses 0).
      weights.set(i, weight > 0 ? Math.ceil(weight) : groupWeight(g));
    }
  }
  return groups.flatMap((g, i) =>
    weights.has(i) ? [{ ...g, load_balancing_weight: { value: weights.get(i) } }] : [],
  );
}

/**
 * The `endpoints` of a ClusterLoadAssignment with locality load balancing applied: `render`
 * groups endpoints by locality (endpoints.ts), and is called once per priority.
 */
export function localityLbEndpoints(
  endpoints: readonly EndpointInfo[],
  ctx: LocalityLbContext,
  render: (endpoints: readonly EndpointInfo[]) => LocalityLbEndpoints[],
): LocalityLbEndpoints[] {
  const distribute = ctx.setting?.distribute ?? [];
  if (ctx.setting && distribute.length > 0)
    return distributeWeights(render(endpoints), ctx.proxyLocality, distribute);
  const priorities = endpointPriorities(endpoints, ctx);
  if (!priorities) return render(endpoints);
  const levels = Math.max(-1, ...priorities) + 1;
  return Array.from({ length: levels }, (_, p) =>
    render(endpoints.filter((_, i) => priorities[i] === p)).map(g =>
      p > 0 ? { ...g, priority: p } : g,
    ),
  ).flat();
}

/**
 * The locality load-balancing inputs for `proxy` under a cluster's traffic policy (the
 * policy of its port and subset, as Istio's getSubsetTrafficPolicy merges it).
 */
export function localityLbContext(
  proxy: Proxy,
  policy: Pick<TrafficPolicy, "loadBalancer" | "outlierDetection">,
  meshSetting: LocalityLbSetting | undefined,
): LocalityLbContext {
  return {
    proxyLocality: parseLocality(proxy.locality),
    proxyLabels: proxy.labels,
    setting: effectiveLocalityLb(policy.loadBalancer?.localityLbSetting, meshSetting),
    outlierDetection: policy.outlierDetection !== undefined,
  };
}
