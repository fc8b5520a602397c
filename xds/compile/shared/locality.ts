/**
 * Localities (`region/zone/subzone`): where an endpoint or a proxy runs, how Istio compares
 * two of them, and the topology labels Istio derives from one.
 *
 * @see istio/istio pilot/pkg/networking/util/util.go (LocalityMatch, LbPriority)
 * @see istio/istio pilot/pkg/serviceregistry/util/label/label.go (AugmentLabels)
 * @see istio/istio pilot/pkg/xds/ads.go (setTopologyLabels: the proxy's locality)
 */

/** A locality split into its parts; a missing part is "". */
export interface Locality {
  readonly region: string;
  readonly zone: string;
  readonly subZone: string;
}

/** Kubernetes' and Istio's topology labels. */
export const TopologyLabels = {
  region: "topology.kubernetes.io/region",
  zone: "topology.kubernetes.io/zone",
  subZone: "topology.istio.io/subzone",
  /** Istio's whole-locality override label, and its legacy name. */
  locality: "topology.istio.io/locality",
  legacyLocality: "istio-locality",
} as const;

/** `region/zone/subzone` split as Istio's SplitLocalityLabel does. */
export function parseLocality(locality: string | undefined): Locality {
  const [region = "", zone = "", subZone = ""] = (locality ?? "").split("/");
  return { region, zone, subZone };
}

/** The `region/zone/subzone` form, trailing empty parts dropped. */
export function localityString(l: Locality): string {
  return [l.region, l.zone, l.subZone].join("/").replace(/\/+$/, "");
}

/**
 * A locality label value: Kubernetes label values cannot hold `/`, so Istio accepts `.` as the
 * separator when no `/` is present (SanitizeLocalityLabel).
 */
function sanitizeLocalityLabel(value: string): string {
  return value.includes("/") ? value : value.replaceAll(".", "/");
}

/**
 * A workload's locality from its labels, as Istio reads a proxy's: the topology labels when any
 * is present, else `topology.istio.io/locality` or the legacy `istio-locality`.
 */
export function localityFromLabels(labels: Readonly<Record<string, string>>): Locality | undefined {
  const region = labels[TopologyLabels.region];
  const zone = labels[TopologyLabels.zone];
  const subZone = labels[TopologyLabels.subZone];
  if (region !== undefined || zone !== undefined || subZone !== undefined)
    return { region: region ?? "", zone: zone ?? "", subZone: subZone ?? "" };
  const whole = labels[TopologyLabels.locality] ?? labels[TopologyLabels.legacyLocality];
  return whole ? parseLocality(sanitizeLocalityLabel(whole)) : undefined;
}

/**
 * `labels` with the topology labels of `locality` added (non-empty parts only), so a
 * `failoverPriority` naming them compares localities: Istio's AugmentLabels.
 */
export function withTopologyLabels(
  labels: Readonly<Record<string, string>>,
  locality: Locality,
): Record<string, string> {
  const out = { ...labels };
  if (locality.region) out[TopologyLabels.region] = locality.region;
  if (locality.zone) out[TopologyLabels.zone] = locality.zone;
  if (locality.subZone) out[TopologyLabels.subZone] = locality.subZone;
  return out;
}

/**
 * Whether `locality` falls under a rule's `region/zone/subzone` (`*` matches any part, a
 * missing zone or subzone matches any): Istio's LocalityMatch.
 */
export function localityMatches(locality: Locality, rule: string): boolean {
  const r = parseLocality(rule);
  const part = (want: string, have: string, optional: boolean) =>
    want === "*" || (optional && want === "") || want === have;
  return (
    part(r.region, locality.region, false) &&
    part(r.zone, locality.zone, true) &&
    part(r.subZone, locality.subZone, true)
  );
}

/**
 * How far an endpoint is from the proxy: 0 same subzone, 1 same zone, 2 same region, 3
 * elsewhere. Istio's LbPriority.
 */
export function proximity(proxy: Locality, endpoint: Locality): 0 | 1 | 2 | 3 {
  if (proxy.region !== endpoint.region) return 3;
  if (proxy.zone !== endpoint.zone) return 2;
  return proxy.subZone === endpoint.subZone ? 0 : 1;
}

/** `envoy.config.core.v3.Locality` as an xDS node carries it. */
export interface NodeLocality {
  readonly region?: string;
  readonly zone?: string;
  readonly sub_zone?: string;
}

/**
 * The proxy's locality: from its labels first (Istio prefers what the registry knows), else
 * the locality its xDS node reports; undefined when neither says anything.
 */
export function proxyLocality(
  labels: Readonly<Record<string, string>>,
  node: NodeLocality | undefined,
): string | undefined {
  const fromLabels = localityFromLabels(labels);
  if (fromLabels) return localityString(fromLabels);
  const fromNode = localityString({
    region: node?.region ?? "",
    zone: node?.zone ?? "",
    subZone: node?.sub_zone ?? "",
  });
  return fromNode || undefined;
}
