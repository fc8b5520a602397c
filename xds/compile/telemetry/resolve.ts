/**
 * Which Telemetry resources apply to a proxy, in Istio's order: the root namespace's
 * namespace-wide one, then its own namespace's, then one selecting the workload (by
 * `selector.matchLabels`, or by `targetRef(s)` naming a Service that selects it). Later levels
 * refine earlier ones (`mergeLogs`, `mergeMetrics`, tracing's last-wins in Istio's
 * pilot/pkg/model/telemetry.go). Oldest first where two compete, as for Sidecars.
 */
import type { PolicyTargetReference, Telemetry } from "../../../mesh/api";
import { getIn, selectorMatches, sortedValues, type MeshStore } from "../../../mesh/store";
import type { Proxy } from "../proxy";
import { byString } from "../shared/xds-util";

function byAge(a: Telemetry, b: Telemetry): number {
  const ca = String(a.metadata.creationTimestamp ?? "");
  const cb = String(b.metadata.creationTimestamp ?? "");
  if (ca !== cb) return byString(ca, cb);
  return byString(String(a.metadata.name), String(b.metadata.name));
}

function targets(t: Telemetry): PolicyTargetReference[] {
  return [...(t.spec.targetRef ? [t.spec.targetRef] : []), ...(t.spec.targetRefs ?? [])];
}

const namespaceWide = (t: Telemetry) =>
  Object.keys(t.spec.selector?.matchLabels ?? {}).length === 0 && targets(t).length === 0;

/** Whether a targetRef'd Telemetry reaches the proxy: a Service of its namespace selecting it. */
function targetsProxy(store: MeshStore, t: Telemetry, proxy: Proxy): boolean {
  return targets(t).some(ref => {
    if ((ref.group ?? "") !== "" || ref.kind !== "Service") return false;
    const host = `${ref.name}.${proxy.namespace}.svc.${store.domainSuffix}`;
    const bucket = getIn(store.registry, host);
    const svc = bucket && sortedValues(bucket)[0];
    return !!svc?.selector && selectorMatches(svc.selector, proxy.labels);
  });
}

/** The Telemetries applying to `proxy`, root namespace first, workload last. */
export function applicableTelemetries(
  store: MeshStore,
  proxy: Proxy,
  rootNamespace: string,
): Telemetry[] {
  const all = sortedValues(store.config.Telemetry).sort(byAge);
  const root = all.find(t => t.metadata.namespace === rootNamespace && namespaceWide(t));
  const inNs = all.filter(t => t.metadata.namespace === proxy.namespace);
  const ns = proxy.namespace === rootNamespace ? undefined : inNs.find(namespaceWide);
  const workload = inNs.find(
    t =>
      (Object.keys(t.spec.selector?.matchLabels ?? {}).length > 0 &&
        selectorMatches(t.spec.selector!.matchLabels, proxy.labels)) ||
      targetsProxy(store, t, proxy),
  );
  return [root, ns, workload].filter((t): t is Telemetry => t !== undefined);
}
