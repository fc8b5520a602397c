/**
 * A service as an Envoy proxy sees it: its UDP ports left out. Envoy proxies carry TCP (and
 * what runs on it) only, and istiod builds no cluster, listener or route for a UDP service port
 * (pilot/pkg/networking/core/cluster.go skips them; model.PortList.GetByPort never returns
 * one). A port number a service offers over both (kube-dns's 53) is its TCP port to the proxy;
 * without this, the two gave two clusters of one name and the proxy refused the whole update.
 *
 * @see istio/istio pilot/pkg/networking/core/cluster.go (buildOutboundClusters)
 * @see istio/istio pilot/pkg/model/service.go (PortList.GetByPort)
 */
import type { ServiceInfo } from "../../../mesh/store";

// Services are immutable store values: one trimmed copy per service, shared by every scope.
const trimmed = new WeakMap<ServiceInfo, ServiceInfo>();

/** `service` without its UDP ports; the same object when it has none. */
export function withoutUdpPorts(service: ServiceInfo): ServiceInfo {
  if (!service.ports.some(p => p.protocol === "UDP")) return service;
  let copy = trimmed.get(service);
  if (!copy) {
    copy = { ...service, ports: service.ports.filter(p => p.protocol !== "UDP") };
    trimmed.set(service, copy);
  }
  return copy;
}
