/**
 * Policies whose workload selector selects no workload: they take effect nowhere, which is
 * usually a typo in a label. Reported only when the workloads are known (a live cluster, or
 * input that has Pods or controllers). Istio: NoMatchingWorkloadsFound (IST0127).
 */
import { NETWORKING_GROUP, SECURITY_GROUP, TELEMETRY_GROUP } from "../api/kinds";
import { makeMessage, type AnalysisMessage } from "./message";
import { ofKind, originOf, specOf, type Inventory, type Resource } from "./resources";

/** Where each kind keeps its selector labels. */
const SELECTORS: readonly {
  kind: string;
  group: string;
  field: "selector" | "workloadSelector";
  key: string;
}[] = [
  { kind: "PeerAuthentication", group: SECURITY_GROUP, field: "selector", key: "matchLabels" },
  { kind: "RequestAuthentication", group: SECURITY_GROUP, field: "selector", key: "matchLabels" },
  { kind: "AuthorizationPolicy", group: SECURITY_GROUP, field: "selector", key: "matchLabels" },
  { kind: "Sidecar", group: NETWORKING_GROUP, field: "workloadSelector", key: "labels" },
  { kind: "EnvoyFilter", group: NETWORKING_GROUP, field: "workloadSelector", key: "labels" },
  { kind: "DestinationRule", group: NETWORKING_GROUP, field: "workloadSelector", key: "labels" },
  { kind: "Telemetry", group: TELEMETRY_GROUP, field: "selector", key: "matchLabels" },
];

function labelsOf(r: Resource, field: string, key: string): Record<string, string> | undefined {
  const sel = specOf(r)[field];
  const labels =
    typeof sel === "object" && sel !== null ? (sel as Record<string, unknown>)[key] : undefined;
  if (typeof labels !== "object" || labels === null) return undefined;
  const entries = Object.entries(labels).filter(
    (e): e is [string, string] => typeof e[1] === "string",
  );
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/** Whether `labels` has every key/value of `selector`. */
export function selects(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Reports each policy whose selector matches no workload in its scope. */
export function checkWorkloadSelectors(inv: Inventory): AnalysisMessage[] {
  if (!inv.workloadsKnown) return [];
  const out: AnalysisMessage[] = [];
  for (const { kind, group, field, key } of SELECTORS) {
    for (const r of ofKind(inv, kind, group)) {
      const selector = labelsOf(r, field, key);
      if (!selector) continue;
      // A policy in the root namespace applies to matching workloads in every namespace.
      const meshWide = r.namespace === inv.rootNamespace;
      const found = inv.workloads.some(
        w => (meshWide || w.namespace === r.namespace) && selects(selector, w.labels),
      );
      if (found) continue;
      const text = Object.entries(selector)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      out.push(
        makeMessage(
          "NoMatchingWorkloadsFound",
          originOf(r),
          `No matching workloads for this resource with the following labels: ${text} (spec.${field}.${key})`,
        ),
      );
    }
  }
  return out;
}
