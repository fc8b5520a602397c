/**
 * The ports a proxy serves: the service ports whose workloads include it. For a Kubernetes
 * pod this is every Service in its namespace whose selector matches its labels (Istio's
 * service instances); for a WorkloadEntry, ServiceEntries selecting it.
 */
import { selectorMatches, type ServiceInfo, type ServicePortInfo } from "../../mesh/store";
import type { ProxyScope } from "./scope";

/** One served port: the service port and the port the workload listens on. */
export interface InboundPort {
  readonly service: ServiceInfo;
  readonly port: ServicePortInfo;
  readonly targetPort: number;
}

/** Served ports, one per distinct workload port (the first service claiming it wins). */
export function inboundPorts(scope: ProxyScope): InboundPort[] {
  const { proxy } = scope;
  const seen = new Map<number, InboundPort>();
  if (Object.keys(proxy.labels).length === 0) return [];
  for (const service of scope.services) {
    if (service.namespace !== proxy.namespace || !service.selector) continue;
    if (Object.keys(service.selector).length === 0) continue;
    if (!selectorMatches(service.selector, proxy.labels)) continue;
    for (const port of service.ports) {
      const target = typeof port.targetPort === "number" ? port.targetPort : port.port;
      if (!seen.has(target)) seen.set(target, { service, port, targetPort: target });
    }
  }
  return [...seen.values()].sort((a, b) => a.targetPort - b.targetPort);
}
