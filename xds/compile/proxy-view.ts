/**
 * A proxy's view: the part of a {@link Proxy} the compiler's output depends on, and a key that
 * is equal for two proxies exactly when their views are. Proxies with equal views (replicas of
 * one Deployment: same namespace, labels, service account, locality, kind) get the same
 * resources, so the runtime compiles, encodes and checks one set for all of them — istiod's
 * cache by Sidecar scope, taken to the whole snapshot.
 *
 * Correct by construction rather than by audit: the shared set is compiled from the view's
 * proxy, in which every field outside the view is blanked. A generator that reads such a field
 * gets the blank for every member of the view, so no proxy's own id, pod name or address can
 * leak into another's configuration. What the view keeps:
 *
 * - `kind` (sidecar, router, proxyless gRPC), `namespace`, `dnsDomain` (short route domains);
 * - `labels`, all of them (Sidecar, DestinationRule and policy workload selectors, route
 *   `sourceLabels`, Services selecting the workload, gateway selectors, locality labels);
 * - `serviceAccount` and `locality` (locality load balancing);
 * - `podPorts`, the pod's container ports (a Service's named `targetPort`, `inbound.ts`):
 *   replicas of one Deployment declare the same;
 * - `ips` for proxyless gRPC: its server listeners are named by its address. Envoy sidecars
 *   and gateways bind wildcard addresses, so of their IPs the view keeps only those that
 *   `addressMatters` says the config names: an address a ServiceEntry in the proxy's namespace
 *   lists as an endpoint makes the proxy one of its instances (`inbound.ts`). That depends on
 *   the store, so the runtime takes the view again at every push.
 *
 * Pure.
 */
import type { Proxy } from "./proxy";

/** A view: its key and the proxy the shared resources are compiled for. */
export interface ProxyView {
  /** Equal for two proxies exactly when their views are equal. */
  readonly key: string;
  /** The proxy with every field outside the view blanked: compile the shared set from it. */
  readonly proxy: Proxy;
}

function sortedEntries(record: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The view of `proxy`; `addressMatters` tells which of an Envoy proxy's addresses config names. */
export function proxyView(
  proxy: Proxy,
  addressMatters: (namespace: string, address: string) => boolean = () => false,
): ProxyView {
  const ips =
    proxy.kind === "grpc"
      ? [...proxy.ips]
      : proxy.ips.filter(ip => addressMatters(proxy.namespace, ip));
  const view: Proxy = {
    id: "",
    kind: proxy.kind,
    ips,
    workloadName: "",
    namespace: proxy.namespace,
    dnsDomain: proxy.dnsDomain,
    labels: Object.fromEntries(sortedEntries(proxy.labels)),
    serviceAccount: proxy.serviceAccount,
    locality: proxy.locality,
    ...(proxy.podPorts ? { podPorts: proxy.podPorts } : {}),
  };
  // An array, not an object: JSON keeps its order, and undefined becomes null unambiguously.
  const key = JSON.stringify([
    view.kind,
    view.namespace,
    view.dnsDomain,
    sortedEntries(proxy.labels),
    view.serviceAccount ?? null,
    view.locality ?? null,
    ips,
    ...(proxy.podPorts ? [proxy.podPorts.map(p => [p.name, p.containerPort, p.protocol])] : []),
  ]);
  return { key, proxy: view };
}
