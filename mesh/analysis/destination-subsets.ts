/**
 * VirtualService destinations whose subset no DestinationRule for that host defines. Istio:
 * ReferencedResourceNotFound (IST0101), `Referenced host+subset in destinationrule not found`.
 */
import { NETWORKING_GROUP } from "../api/kinds";
import { hostsMatch } from "../validation/hosts";
import { fqdn } from "./host-names";
import { makeMessage, quote, type AnalysisMessage } from "./message";
import { ofKind, originOf, specOf, type Inventory } from "./resources";
import { destinationsOf } from "./virtual-service-refs";

/** A DestinationRule's host, fully qualified, and its subset names. */
interface RuleSubsets {
  readonly host: string;
  readonly subsets: ReadonlySet<string>;
}

function ruleSubsets(inv: Inventory): RuleSubsets[] {
  return ofKind(inv, "DestinationRule", NETWORKING_GROUP).flatMap(dr => {
    const spec = specOf(dr);
    if (typeof spec.host !== "string") return [];
    const subsets = Array.isArray(spec.subsets) ? spec.subsets : [];
    const names = subsets
      .map(s => (s as { name?: unknown })?.name)
      .filter((n): n is string => typeof n === "string");
    return [{ host: fqdn(spec.host, dr.namespace), subsets: new Set(names) }];
  });
}

/** Reports each routed subset that no DestinationRule matching the host defines. */
export function checkDestinationSubsets(inv: Inventory): AnalysisMessage[] {
  const rules = ruleSubsets(inv);
  const out: AnalysisMessage[] = [];
  for (const vs of ofKind(inv, "VirtualService", NETWORKING_GROUP)) {
    for (const d of destinationsOf(vs)) {
      if (d.subset === undefined) continue;
      const host = fqdn(d.host, vs.namespace);
      const subset = d.subset;
      if (rules.some(r => hostsMatch(r.host, host) && r.subsets.has(subset))) continue;
      out.push(
        makeMessage(
          "ReferencedResourceNotFound",
          originOf(vs),
          `Referenced host+subset in destinationrule not found: ${quote(`${d.host}+${d.subset}`)} (${d.path}.subset)`,
        ),
      );
    }
  }
  return out;
}
