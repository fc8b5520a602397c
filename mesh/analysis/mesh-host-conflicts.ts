/**
 * Two VirtualServices for sidecars (the `mesh` gateway) that define the same host, visible in a
 * common namespace: which one a sidecar uses is undefined. Istio:
 * ConflictingMeshGatewayVirtualServiceHosts (IST0109).
 */
import { NETWORKING_GROUP } from "../api/kinds";
import { fqdn } from "./host-names";
import { makeMessage, type AnalysisMessage } from "./message";
import { ofKind, originOf, specOf, type Inventory, type Resource } from "./resources";
import { boundToMesh } from "./virtual-service-refs";

/** The namespaces a VirtualService is exported to; undefined means every namespace. */
function exportedTo(vs: Resource): Set<string> | undefined {
  const exportTo = specOf(vs).exportTo;
  if (!Array.isArray(exportTo) || exportTo.length === 0 || exportTo.includes("*")) return undefined;
  return new Set(exportTo.map(e => (e === "." ? vs.namespace : String(e))));
}

function visibleTogether(a: Resource, b: Resource): boolean {
  const ea = exportedTo(a);
  const eb = exportedTo(b);
  if (!ea || !eb) return true;
  return [...ea].some(ns => eb.has(ns));
}

/** Reports every mesh VirtualService that shares a host with another visible one. */
export function checkMeshHostConflicts(inv: Inventory): AnalysisMessage[] {
  const byHost = new Map<string, Resource[]>();
  for (const vs of ofKind(inv, "VirtualService", NETWORKING_GROUP)) {
    if (!boundToMesh(vs)) continue;
    const hosts = specOf(vs).hosts;
    if (!Array.isArray(hosts)) continue;
    for (const h of new Set(hosts.filter((x): x is string => typeof x === "string"))) {
      const host = fqdn(h, vs.namespace);
      byHost.set(host, [...(byHost.get(host) ?? []), vs]);
    }
  }
  const out: AnalysisMessage[] = [];
  for (const [host, services] of byHost) {
    for (const vs of services) {
      // Documents with the same namespace/name are versions of one object, not two objects.
      const id = (v: Resource) => `${v.namespace}/${v.name}`;
      const others = services.filter(o => id(o) !== id(vs) && visibleTogether(vs, o));
      if (others.length === 0) continue;
      const names = [...new Set([vs, ...others].map(id))].sort();
      out.push(
        makeMessage(
          "ConflictingMeshGatewayVirtualServiceHosts",
          originOf(vs),
          `The VirtualServices ${names.join(",")} associated with mesh gateway define the same host ${host} which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.`,
        ),
      );
    }
  }
  return out;
}
