/**
 * Edges from routing config: each VirtualService destination becomes an edge from the service
 * its host names to what the destination reaches, labelled with its weight. A subset reaches
 * the workloads its DestinationRule labels pick among the destination service's workloads; a
 * destination in another service reaches that service. A Service's workloads that no route
 * names keep a plain `selects` edge, so that no workload floats unconnected.
 */
import type { Resource } from "../../../mesh/analysis";
import { fqdn } from "../../../mesh/analysis/host-names";
import type { GraphEdge } from "./types";
import { isKind, servicesForHost, type ServiceInfo } from "./services";
import { selectsWorkload, type WorkloadInfo } from "./workloads";

const record = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.map(record) : []);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];

/** The route kinds of a VirtualService spec, as the field names Istio uses. */
const ROUTE_KINDS = ["http", "tls", "tcp"] as const;

/** The labels of `subset` of `host`, from the DestinationRules visible from `namespace`. */
function subsetLabels(
  resources: readonly Resource[],
  host: string,
  subset: string,
  namespace: string,
): Record<string, string> | undefined {
  for (const dr of resources) {
    if (!isKind(dr, "DestinationRule", "networking.istio.io")) continue;
    const spec = record(dr.object.spec);
    if (typeof spec.host !== "string" || fqdn(spec.host, dr.namespace) !== fqdn(host, namespace))
      continue;
    const found = list(spec.subsets).find(s => s.name === subset);
    if (found)
      return Object.fromEntries(
        Object.entries(record(found.labels)).filter(
          (e): e is [string, string] => typeof e[1] === "string",
        ),
      );
  }
  return undefined;
}

/** Whether a VirtualService applies to sidecars (no gateways, or the `mesh` gateway). */
function appliesToMesh(spec: Record<string, unknown>): boolean {
  const gateways = strings(spec.gateways);
  return gateways.length === 0 || gateways.includes("mesh");
}

/** Route edges of every mesh VirtualService. */
export function routeEdges(
  resources: readonly Resource[],
  services: readonly ServiceInfo[],
  workloads: readonly WorkloadInfo[],
): GraphEdge[] {
  const edges = new Map<string, GraphEdge>();
  for (const vs of resources) {
    if (!isKind(vs, "VirtualService", "networking.istio.io")) continue;
    const spec = record(vs.object.spec);
    if (!appliesToMesh(spec)) continue;
    const origin = `VirtualService ${vs.namespace}/${vs.name}`;
    const sources = strings(spec.hosts).flatMap(h => servicesForHost(services, h, vs.namespace));
    for (const kind of ROUTE_KINDS) {
      list(spec[kind]).forEach((rule, i) => {
        const routes = list(rule.route);
        const matched = list(rule.match).length > 0;
        routes.forEach((route, j) => {
          const dest = record(route.destination);
          if (typeof dest.host !== "string") return;
          const weight =
            typeof route.weight === "number" ? route.weight : routes.length === 1 ? 100 : 0;
          const label = `${weight}%${matched ? " (match)" : ""}`;
          const targets = servicesForHost(services, dest.host, vs.namespace);
          for (const source of sources) {
            for (const target of targets) {
              const reached = destinationTargets(resources, vs, dest, target, workloads);
              const subset = typeof dest.subset === "string" ? dest.subset : undefined;
              // A route to the whole of the same service adds nothing to its `selects` edges.
              if (reached.length === 0 && target.id === source.id && !subset) continue;
              // A subset that selects no workload still shows, as a loop that says so.
              const text =
                reached.length === 0 && subset ? `${label} → ${subset}: no workload` : label;
              for (const to of reached.length > 0 ? reached : [target.id]) {
                const id = `route:${vs.namespace}/${vs.name}:${kind}[${i}].route[${j}]:${source.id}>${to}`;
                edges.set(id, {
                  id,
                  kind: "route",
                  source: source.id,
                  target: to,
                  label: text,
                  weight,
                  origin,
                });
              }
            }
          }
        });
      });
    }
  }
  return [...edges.values()];
}

/** The workload ids a subset destination reaches; empty for a destination without a subset. */
function destinationTargets(
  resources: readonly Resource[],
  vs: Resource,
  dest: Record<string, unknown>,
  target: ServiceInfo,
  workloads: readonly WorkloadInfo[],
): string[] {
  if (typeof dest.subset !== "string" || typeof dest.host !== "string") return [];
  const labels = subsetLabels(resources, dest.host, dest.subset, vs.namespace);
  if (!labels || !target.selector) return [];
  return workloads
    .filter(w => w.namespace === target.namespace)
    .filter(w => selectsWorkload(target.selector, w) && selectsWorkload(labels, w))
    .map(w => w.id);
}

/** `selects` edges from each service to its workloads that no route edge of it reaches. */
export function selectEdges(
  services: readonly ServiceInfo[],
  workloads: readonly WorkloadInfo[],
  routes: readonly GraphEdge[],
): GraphEdge[] {
  const routed = new Set(routes.map(e => `${e.source}>${e.target}`));
  const out: GraphEdge[] = [];
  for (const s of services) {
    if (!s.selector) continue;
    for (const w of workloads) {
      if (w.namespace !== s.namespace || !selectsWorkload(s.selector, w)) continue;
      if (routed.has(`${s.id}>${w.id}`)) continue;
      out.push({
        id: `selects:${s.id}>${w.id}`,
        kind: "selects",
        source: s.id,
        target: w.id,
        label: "",
      });
    }
  }
  return out;
}
