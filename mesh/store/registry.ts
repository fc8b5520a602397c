/**
 * Registry queries over a store: which service a host names (Kubernetes Services and
 * ServiceEntries merged as Istio merges them) and that service's endpoints (EndpointSlices,
 * WorkloadEntries, ServiceEntry endpoints and selected Pods).
 *
 * @see istio/istio pilot/pkg/serviceregistry/aggregate/controller.go (registry precedence)
 * @see istio/istio pilot/pkg/serviceregistry/serviceentry/conversion.go (endpoints of entries)
 */
import type { WorkloadEntry } from "../api";
import { hostAddressOf } from "./host-address";
import { selectorMatches, type KubePod } from "./kube-types";
import { getIn, sortedValues, valuesOf } from "./persistent-map";
import type { ServiceInfo, ServicePortInfo } from "./service-model";
import type { MeshStore } from "./store";

/** One endpoint of a service port. */
export interface EndpointInfo {
  /** IP address, or a hostname for DNS-resolved services. */
  readonly address: string;
  /** The port the workload listens on for this service port. */
  readonly port: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount?: string;
  /** `region/zone/subzone`, any part possibly empty. */
  readonly locality?: string;
  /** Load-balancing weight (WorkloadEntry `weight`), 1 when unset. */
  readonly weight: number;
  readonly healthy: boolean;
  /** What it came from: `Pod/ns/name`, `WorkloadEntry/ns/name`, `ServiceEntry/ns/name[i]`. */
  readonly source: string;
}

/**
 * Istio's order among services claiming one host: Kubernetes before ServiceEntry (the
 * Kubernetes registry comes first in the aggregate), then oldest, then by source name.
 */
export function comparePrecedence(a: ServiceInfo, b: ServiceInfo): number {
  if (a.sourceKind !== b.sourceKind) return a.sourceKind === "Service" ? -1 : 1;
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.source < b.source ? -1 : a.source > b.source ? 1 : 0;
}

/** Every service claiming `host`, in precedence order. */
export function servicesForHost(store: MeshStore, host: string): ServiceInfo[] {
  const bucket = getIn(store.registry, host);
  return bucket ? sortedValues(bucket).sort(comparePrecedence) : [];
}

// Every compile (one per proxy view, and each endpoint update) lists the registry; registries
// are immutable, so the sorted list is kept as long as the registry lives.
const allServicesMemo = new WeakMap<MeshStore["registry"], readonly ServiceInfo[]>();

/** Every registry entry, sorted by host then precedence. */
export function allServices(store: MeshStore): ServiceInfo[] {
  let found = allServicesMemo.get(store.registry);
  if (!found) allServicesMemo.set(store.registry, (found = computeAllServices(store)));
  return [...found];
}

function computeAllServices(store: MeshStore): ServiceInfo[] {
  const out: ServiceInfo[] = [];
  for (const bucket of sortedValues(store.registry))
    out.push(...sortedValues(bucket).sort(comparePrecedence));
  return out.sort((a, b) =>
    a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : comparePrecedence(a, b),
  );
}

function numericPort(target: number | string | undefined): number | undefined {
  if (typeof target === "number") return target;
  if (typeof target === "string" && /^\d+$/.test(target)) return Number(target);
  return undefined;
}

function podIp(pod: KubePod): string | undefined {
  return pod.status?.podIP ?? pod.status?.podIPs?.[0]?.ip;
}

function fromWorkloadEntry(
  we: { address?: string; labels?: Record<string, string>; ports?: Record<string, number> } & {
    serviceAccount?: string;
    locality?: string;
    weight?: number;
  },
  port: ServicePortInfo,
  source: string,
): EndpointInfo | undefined {
  if (!we.address) return undefined;
  // A Kubernetes Service's named targetPort names the workload's port: an entry without a port
  // of that name is no endpoint (istiod's serviceInstanceFromWorkloadInstance, explicitName).
  const named =
    typeof port.targetPort === "string" && numericPort(port.targetPort) === undefined
      ? port.targetPort
      : undefined;
  const target = named
    ? we.ports?.[named]
    : (we.ports?.[port.name] ?? numericPort(port.targetPort) ?? port.port);
  if (target === undefined) return undefined;
  return {
    address: we.address,
    port: target,
    labels: we.labels ?? {},
    serviceAccount: we.serviceAccount,
    locality: we.locality,
    weight: we.weight && we.weight > 0 ? we.weight : 1,
    healthy: true,
    source,
  };
}

function selectedWorkloadEntries(
  store: MeshStore,
  namespace: string,
  selector: Readonly<Record<string, string>>,
  port: ServicePortInfo,
): EndpointInfo[] {
  const out: EndpointInfo[] = [];
  const bucket = getIn(store.workloadEntriesByNamespace, namespace);
  if (!bucket) return out;
  for (const we of valuesOf(bucket) as IterableIterator<WorkloadEntry>) {
    const labels = { ...we.metadata.labels, ...we.spec.labels };
    if (!selectorMatches(selector, labels)) continue;
    const ep = fromWorkloadEntry(
      { ...we.spec, labels },
      port,
      `WorkloadEntry/${namespace}/${we.metadata.name ?? ""}`,
    );
    if (ep) out.push(ep);
  }
  return out;
}

function selectedPods(
  store: MeshStore,
  namespace: string,
  selector: Readonly<Record<string, string>>,
  port: ServicePortInfo,
): EndpointInfo[] {
  const out: EndpointInfo[] = [];
  const bucket = getIn(store.podsByNamespace, namespace);
  if (!bucket) return out;
  for (const pod of valuesOf(bucket)) {
    const ip = podIp(pod);
    if (!ip || !selectorMatches(selector, pod.metadata.labels)) continue;
    out.push({
      address: (store.hostAddresses && hostAddressOf(pod)) || ip,
      port: numericPort(port.targetPort) ?? port.port,
      labels: pod.metadata.labels ?? {},
      serviceAccount: pod.spec?.serviceAccountName,
      weight: 1,
      healthy: pod.status?.phase !== "Failed" && pod.status?.phase !== "Succeeded",
      source: `Pod/${namespace}/${pod.metadata.name ?? ""}`,
    });
  }
  return out;
}

function sliceEndpoints(store: MeshStore, svc: ServiceInfo, port: ServicePortInfo): EndpointInfo[] {
  const out: EndpointInfo[] = [];
  const name = svc.source.split("/")[2] ?? "";
  const slices = getIn(store.slicesByService, `${svc.namespace}/${name}`);
  if (!slices) return out;
  for (const slice of sortedValues(slices)) {
    const slicePort = (slice.ports ?? []).find(p => (p.name ?? "") === port.name);
    if (slicePort?.port === undefined) continue;
    for (const ep of slice.endpoints ?? []) {
      for (const address of ep.addresses) {
        const podKey =
          ep.targetRef?.kind === "Pod" && ep.targetRef.name
            ? `${ep.targetRef.namespace ?? svc.namespace}/${ep.targetRef.name}`
            : getIn(store.podsByIp, address);
        const pod = podKey ? getIn(store.pods, podKey) : undefined;
        out.push({
          address: (store.hostAddresses && hostAddressOf(pod)) || address,
          port: slicePort.port,
          labels: pod?.metadata.labels ?? {},
          serviceAccount: pod?.spec?.serviceAccountName,
          locality: ep.zone ? `/${ep.zone}` : undefined,
          weight: 1,
          healthy: ep.conditions?.ready !== false,
          source: pod
            ? `Pod/${podKey}`
            : `EndpointSlice/${slice.metadata.namespace}/${slice.metadata.name}`,
        });
      }
    }
  }
  return out;
}

function entryEndpoints(store: MeshStore, svc: ServiceInfo, port: ServicePortInfo): EndpointInfo[] {
  const [, ns = "", name = ""] = svc.source.split("/");
  const se = getIn(store.config.ServiceEntry, `${ns}/${name}`);
  const out: EndpointInfo[] = [];
  (se?.spec.endpoints ?? []).forEach((ep, i) => {
    // An endpoint without a port for this port name serves it only if the entry declares the port.
    const e = fromWorkloadEntry(ep, port, `ServiceEntry/${ns}/${name}[${i}]`);
    if (e) out.push(e);
  });
  if (svc.selector) {
    out.push(...selectedWorkloadEntries(store, ns, svc.selector, port));
    out.push(...selectedPods(store, ns, svc.selector, port));
  }
  if (
    out.length === 0 &&
    !svc.selector &&
    (svc.resolution === "DNS" || svc.resolution === "DNS_ROUND_ROBIN") &&
    !svc.hostname.includes("*")
  ) {
    // A DNS entry without endpoints resolves its own host (Istio's convertEndpoints fallback).
    out.push({
      address: svc.hostname,
      port: numericPort(port.targetPort) ?? port.port,
      labels: {},
      weight: 1,
      healthy: true,
      source: svc.source,
    });
  }
  return out;
}

// Every proxy's compile asks for the same services' endpoints; stores and the ServiceInfos of
// their registry are immutable, so the answer is kept for as long as both live.
const endpointMemo = new WeakMap<MeshStore, WeakMap<ServiceInfo, Map<string, EndpointInfo[]>>>();

/** The endpoints serving `port` of `svc`, sorted by address then port. */
export function endpointsOf(
  store: MeshStore,
  svc: ServiceInfo,
  port: ServicePortInfo,
): EndpointInfo[] {
  let byService = endpointMemo.get(store);
  if (!byService) endpointMemo.set(store, (byService = new WeakMap()));
  let byPort = byService.get(svc);
  if (!byPort) byService.set(svc, (byPort = new Map()));
  const key = JSON.stringify([port.name, port.port, port.protocol, port.targetPort ?? null]);
  let found = byPort.get(key);
  if (!found) byPort.set(key, (found = computeEndpoints(store, svc, port)));
  return [...found];
}

function computeEndpoints(
  store: MeshStore,
  svc: ServiceInfo,
  port: ServicePortInfo,
): EndpointInfo[] {
  let out: EndpointInfo[];
  if (svc.sourceKind === "ServiceEntry") out = entryEndpoints(store, svc, port);
  // An ExternalName alias has no endpoints: traffic to it is its target's (service-aliases.ts).
  else if (svc.resolution === "ALIAS") out = [];
  else {
    out = sliceEndpoints(store, svc, port);
    if (svc.selector)
      out.push(...selectedWorkloadEntries(store, svc.namespace, svc.selector, port));
  }
  return out.sort((a, b) =>
    a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port,
  );
}
