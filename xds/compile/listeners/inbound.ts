/**
 * The ports a proxy serves: the service ports whose workloads include it. For a Kubernetes
 * pod this is every Service in its namespace whose selector matches its labels (Istio's
 * service instances); for a WorkloadEntry, ServiceEntries selecting it; for an address a
 * ServiceEntry lists among its own endpoints, that ServiceEntry.
 */
import {
  getIn,
  selectorMatches,
  sortedValues,
  type MeshStore,
  type ServiceInfo,
  type ServicePortInfo,
} from "../../../mesh/store";
import type { ProxyScope } from "../scope";

/** One served port: the service port and the port the workload listens on. */
export interface InboundPort {
  readonly service: ServiceInfo;
  readonly port: ServicePortInfo;
  readonly targetPort: number;
}

/**
 * Oldest first, then by host: istiod orders a proxy's service instances so (SetServiceTargets),
 * and where two services claim one workload port the oldest keeps it, its protocol included.
 */
function byCreation(a: ServiceInfo, b: ServiceInfo): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0;
}

/** Served ports, one per distinct workload port (the oldest service claiming it wins). */
export function inboundPorts(scope: ProxyScope): InboundPort[] {
  const seen = new Map<number, InboundPort>();
  const claim = (p: InboundPort) => void (seen.has(p.targetPort) || seen.set(p.targetPort, p));
  const own = scope.services.filter(s => s.namespace === scope.proxy.namespace).sort(byCreation);
  for (const service of own) {
    for (const p of selectedPorts(scope, service)) claim(p);
    for (const p of entryEndpointPorts(scope, service)) claim(p);
  }
  return [...seen.values()].sort((a, b) => a.targetPort - b.targetPort);
}

/** A service's ports when its selector (Service, or ServiceEntry workloadSelector) picks the proxy. */
function selectedPorts(scope: ProxyScope, service: ServiceInfo): InboundPort[] {
  const { proxy } = scope;
  if (Object.keys(proxy.labels).length === 0) return [];
  if (!service.selector || Object.keys(service.selector).length === 0) return [];
  if (!selectorMatches(service.selector, proxy.labels)) return [];
  return service.ports.flatMap(port => {
    const target = workloadPort(proxy, port);
    return target === undefined ? [] : [{ service, port, targetPort: target }];
  });
}

/**
 * The port the workload listens on for a selecting Service's port: a numeric `targetPort`
 * (or the port itself when unset); a named one is the pod's container port of that name and
 * protocol, and a pod declaring no such port does not serve the Service port. A proxy whose
 * pod ports are unknown (no `POD_PORTS` metadata) keeps the Service port for a named target.
 *
 * @see istio/istio pilot/pkg/serviceregistry/kube/controller/controller.go (GetProxyServiceTargetsByPod)
 * @see istio/istio pilot/pkg/serviceregistry/kube/controller/util.go (FindPort, findPortFromMetadata)
 */
function workloadPort(proxy: ProxyScope["proxy"], port: ServicePortInfo): number | undefined {
  const target = port.targetPort;
  if (typeof target === "number") return target;
  if (target === undefined || target === "") return port.port;
  if (/^\d+$/.test(target)) return Number(target);
  if (!proxy.podPorts) return port.port;
  const protocol = port.protocol === "UDP" ? "UDP" : "TCP";
  return proxy.podPorts.find(p => p.name === target && p.protocol === protocol)?.containerPort;
}

/**
 * A ServiceEntry's ports when one of its own endpoints has the proxy's address: Istio's service
 * instances by IP (a VM or any workload listed in `endpoints`), within the proxy's namespace
 * only, as istiod's ServiceEntry registry keeps them, so no namespace can add instances to
 * another's workloads. The endpoint's `ports` map names the workload port.
 */
function entryEndpointPorts(scope: ProxyScope, service: ServiceInfo): InboundPort[] {
  if (service.sourceKind !== "ServiceEntry") return [];
  const [, ns = "", name = ""] = service.source.split("/");
  const entry = getIn(scope.store.config.ServiceEntry, `${ns}/${name}`);
  const ips = new Set(scope.proxy.ips);
  const mine = (entry?.spec.endpoints ?? []).filter(ep => !!ep.address && ips.has(ep.address));
  return mine.flatMap(ep =>
    service.ports.map(port => {
      const named = port.name ? ep.ports?.[port.name] : undefined;
      const target =
        named ?? (typeof port.targetPort === "number" ? port.targetPort : undefined) ?? port.port;
      return { service, port, targetPort: target };
    }),
  );
}

// Stores are immutable: the index lives as long as its store.
const listedMemo = new WeakMap<MeshStore, ReadonlySet<string>>();

/**
 * Whether a ServiceEntry in `namespace` lists `address` among its own endpoints: then a proxy
 * at that address is one of its instances, and its address is part of what it is compiled from
 * (see `proxy-view.ts`).
 */
export function entryListsAddress(store: MeshStore, namespace: string, address: string): boolean {
  let listed = listedMemo.get(store);
  if (!listed) {
    const keys = new Set<string>();
    for (const se of sortedValues(store.config.ServiceEntry)) {
      for (const ep of se.spec.endpoints ?? []) {
        if (ep.address) keys.add(`${se.metadata.namespace ?? ""}/${ep.address}`);
      }
    }
    listedMemo.set(store, (listed = keys));
  }
  return listed.has(`${namespace}/${address}`);
}
