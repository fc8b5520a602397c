/**
 * VirtualServices bound to a Gateway that does not exist. Istio: ReferencedResourceNotFound
 * (IST0101), `Referenced gateway not found`.
 */
import { NETWORKING_GROUP } from "../api/kinds";
import { makeMessage, quote, type AnalysisMessage } from "./message";
import { ofKind, originOf, type Inventory } from "./resources";
import { gatewaysOf } from "./virtual-service-refs";

/** Reports each gateway reference (`spec.gateways`, match `gateways`) with no Gateway behind it. */
export function checkGatewayReferences(inv: Inventory): AnalysisMessage[] {
  const gateways = new Set(
    ofKind(inv, "Gateway", NETWORKING_GROUP).map(g => `${g.namespace}/${g.name}`),
  );
  const out: AnalysisMessage[] = [];
  for (const vs of ofKind(inv, "VirtualService", NETWORKING_GROUP)) {
    for (const ref of gatewaysOf(vs)) {
      if (gateways.has(ref.key)) continue;
      out.push(
        makeMessage(
          "ReferencedResourceNotFound",
          originOf(vs),
          `Referenced gateway not found: ${quote(ref.name)} (${ref.path})`,
        ),
      );
    }
  }
  return out;
}
