/**
 * Load balancer settings: consistent hash, locality and zone-aware failover, warmup.
 * Rules: Istio's validateLoadBalancer, ValidateLocalityLbSetting, ValidateZoneAwareLbSetting.
 * https://istio.io/latest/docs/reference/config/networking/destination-rule/#LoadBalancerSettings
 */
import type {
  LoadBalancerSettings,
  LocalityLbSetting,
  OutlierDetection,
} from "../../mesh/api/traffic-policy";
import { checkDurationField } from "./context";
import { at, idx, type Report } from "./diagnostic";

const TOPOLOGY_LABELS = new Set([
  "topology.kubernetes.io/region",
  "topology.kubernetes.io/zone",
  "topology.istio.io/subzone",
]);
// Envoy requires a prime Maglev table size below this bound.
const MAGLEV_MAX = 5000011;

/** Envoy's primality test for Maglev table sizes. */
export function isPrime(x: number): boolean {
  if (x !== 0 && x < 4) return true;
  if (x % 2 === 0) return false;
  for (let f = 3; f * f <= x; f += 2) if (x % f === 0) return false;
  return true;
}

/** Checks that localities (`region/zone/subzone`, `*` only at the end) do not overlap. */
function checkLocalities(localities: readonly string[]): string | undefined {
  const seen: string[][] = [];
  for (const locality of localities) {
    const stars = (locality.match(/\*/g) ?? []).length;
    if (stars > 1 || (stars === 1 && !locality.endsWith("*"))) {
      return `locality ${locality} wildcard '*' number can not exceed 1 and must be in the end`;
    }
    const parts = locality.split("/", 3);
    if (parts.some(p => p === ""))
      return `locality ${locality} must not contain empty region/zone/subzone info`;
    // A later locality overlaps an earlier one that is equal, broader, or ends in a wildcard
    // covering it (Istio only looks backwards, so `a` then `*` is accepted).
    for (const prev of seen) {
      const n = Math.min(prev.length, parts.length);
      if (prev.slice(0, n).every((p, k) => p === "*" || p === parts[k])) {
        return `locality ${locality} overlap with previous specified ones`;
      }
    }
    seen.push(parts);
  }
  return undefined;
}

function checkLocalityLb(
  report: Report,
  path: string,
  lb: LocalityLbSetting,
  outlier: OutlierDetection | undefined,
): void {
  const distribute = lb.distribute ?? [];
  const failover = lb.failover ?? [];
  if (distribute.length > 0 && failover.length > 0) {
    report.error(path, "can not simultaneously specify 'distribute' and 'failover'");
    return;
  }
  if (failover.length > 0) {
    const topo = (lb.failoverPriority ?? []).find(l => TOPOLOGY_LABELS.has(l));
    if (topo) {
      report.error(
        at(path, "failoverPriority"),
        `can not simultaneously set 'failover' and topology label '${topo}' in 'failover_priority'`,
      );
      return;
    }
  }
  for (const [i, d] of distribute.entries()) {
    const p = idx(at(path, "distribute"), i);
    const weights = Object.values(d.to ?? {});
    if (weights.some(w => w <= 0 || w > 100)) {
      report.error(at(p, "to"), "locality weight must be in range [1, 100]");
      return;
    }
    const total = weights.reduce((a, b) => a + b, 0);
    if (total !== 100) {
      report.error(at(p, "to"), `total locality weight ${total} != 100`);
      return;
    }
    report.check(at(p, "to"), checkLocalities(Object.keys(d.to ?? {})));
  }
  report.check(at(path, "distribute"), checkLocalities(distribute.map(d => d.from ?? "")));
  if ((failover.length > 0 || (lb.failoverPriority ?? []).length > 0) && outlier === undefined) {
    report.warn(path, "outlier detection policy must be provided for failover");
  }
  for (const [i, f] of failover.entries()) {
    const p = idx(at(path, "failover"), i);
    if (f.from === f.to)
      report.error(p, "locality lb failover settings must specify different regions");
    if ((f.from ?? "").includes("/") || (f.to ?? "").includes("/"))
      report.error(p, "locality lb failover only specify region");
    if ((f.from ?? "").includes("*") || (f.to ?? "").includes("*")) {
      report.error(p, "locality lb failover region should not contain '*' wildcard");
    }
  }
}

function checkZoneAwareLb(
  report: Report,
  path: string,
  lb: NonNullable<LoadBalancerSettings["zoneAwareLbSetting"]>,
  outlier: OutlierDetection | undefined,
): void {
  for (const label of lb.failoverPriority ?? []) {
    if (TOPOLOGY_LABELS.has(label)) {
      report.error(
        at(path, "failoverPriority"),
        `'failover_priority' for zone aware lb must not use topology label '${label}'; region- and zone-level routing are handled automatically`,
      );
    }
  }
  if (
    ((lb.failover ?? []).length > 0 || (lb.failoverPriority ?? []).length > 0) &&
    outlier === undefined
  ) {
    report.warn(path, "outlier detection policy must be provided for failover");
  }
  for (const [i, f] of (lb.failover ?? []).entries()) {
    const p = idx(at(path, "failover"), i);
    if (f.from === f.to)
      report.error(p, "zone aware lb failover settings must specify different regions");
    if ((f.from ?? "").includes("/") || (f.to ?? "").includes("/")) {
      report.error(
        p,
        "zone aware lb failover only specifies region; zone and subzone failover are handled automatically",
      );
    }
    if ((f.from ?? "").includes("*") || (f.to ?? "").includes("*")) {
      report.error(p, "zone aware lb failover region should not contain '*' wildcard");
    }
  }
}

/** Checks load balancer settings; `outlier` is the sibling outlier detection (failover needs one). */
export function checkLoadBalancer(
  report: Report,
  path: string,
  lb: LoadBalancerSettings | undefined,
  outlier: OutlierDetection | undefined,
): void {
  if (lb === undefined) return;
  const hash = lb.consistentHash;
  if (hash) {
    const p = at(path, "consistentHash");
    const cookie = hash.httpCookie;
    if (cookie && cookie.name === "")
      report.error(at(p, "httpCookie.name"), "name required for HttpCookie");
    const names = new Set<string>();
    for (const [i, attr] of (cookie?.attributes ?? []).entries()) {
      const a = idx(at(p, "httpCookie.attributes"), i);
      if (attr.name === "") report.error(a, "cookie attribute name cannot be empty");
      else if (names.has(attr.name))
        report.error(a, `duplicate cookie attribute name: ${attr.name}`);
      names.add(attr.name);
    }
    if (hash.minimumRingSize !== undefined && hash.minimumRingSize !== 0) {
      report.warn(
        at(p, "minimumRingSize"),
        "consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead",
      );
      if (hash.maglev || hash.ringHash)
        report.error(p, "only one of MinimumRingSize or Maglev/Ringhash can be specified");
    }
    if (hash.maglev) {
      const size = hash.maglev.tableSize ?? 0;
      const t = at(p, "maglev.tableSize");
      if (size === 0) report.error(t, "tableSize must be set for maglev");
      if (size >= MAGLEV_MAX)
        report.error(t, `tableSize must be less than ${MAGLEV_MAX} for maglev`);
      if (!isPrime(size)) report.error(t, "tableSize must be a prime number for maglev");
    }
  }
  if (lb.localityLbSetting && lb.zoneAwareLbSetting) {
    report.error(path, "only one of localityLbSetting and zoneAwareLbSetting can be set");
  }
  if (lb.localityLbSetting)
    checkLocalityLb(report, at(path, "localityLbSetting"), lb.localityLbSetting, outlier);
  if (lb.zoneAwareLbSetting)
    checkZoneAwareLb(report, at(path, "zoneAwareLbSetting"), lb.zoneAwareLbSetting, outlier);
  const warm = lb.warmup;
  if (warm) {
    const p = at(path, "warmup");
    checkDurationField(report, at(p, "duration"), warm.duration);
    if ((warm.minimumPercent ?? 0) > 100)
      report.error(
        at(p, "minimumPercent"),
        "minimumPercent value should be less than or equal to 100",
      );
    if (warm.aggression !== undefined && warm.aggression <= 0)
      report.error(at(p, "aggression"), "aggression should be greater than 0");
  }
  checkDurationField(report, at(path, "warmupDurationSecs"), lb.warmupDurationSecs);
}
