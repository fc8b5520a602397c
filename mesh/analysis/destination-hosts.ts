/**
 * VirtualService destinations that name no service: neither a Kubernetes Service nor a
 * ServiceEntry host. Istio: ReferencedResourceNotFound (IST0101), `Referenced host not found`.
 */
import { NETWORKING_GROUP } from "../api/kinds";
import { fqdn, hostsReached, knownHosts } from "./host-names";
import { makeMessage, quote, type AnalysisMessage } from "./message";
import { ofKind, originOf, type Inventory } from "./resources";
import { destinationsOf } from "./virtual-service-refs";

/** Reports each destination host no Service or ServiceEntry provides. */
export function checkDestinationHosts(inv: Inventory): AnalysisMessage[] {
  const known = knownHosts(inv);
  const out: AnalysisMessage[] = [];
  for (const vs of ofKind(inv, "VirtualService", NETWORKING_GROUP)) {
    for (const d of destinationsOf(vs)) {
      // A wildcard destination cannot be routed to; validation refuses it, nothing to add here.
      if (d.host.startsWith("*")) continue;
      if (hostsReached(known, fqdn(d.host, vs.namespace)).length > 0) continue;
      out.push(
        makeMessage(
          "ReferencedResourceNotFound",
          originOf(vs),
          `Referenced host not found: ${quote(d.host)} (${d.path}.host)`,
        ),
      );
    }
  }
  return out;
}
