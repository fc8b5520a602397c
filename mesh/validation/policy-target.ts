/**
 * How a policy picks its workloads: a workload selector, or Gateway API style target references,
 * never both. Rules: Istio's validateOneOfSelectorType and validatePolicyTargetReference.
 * https://istio.io/latest/docs/reference/config/type/workload-selector/#PolicyTargetReference
 */
import type { PolicyTargetReference, WorkloadSelector } from "../../mesh/api/common";
import { at, idx, type Report } from "./diagnostic";
import { checkSelector } from "./labels";

// Policies may attach to Services, ServiceEntries, Gateways and GatewayClasses.
const ALLOWED = [
  ["core", "Service"],
  ["networking.istio.io", "ServiceEntry"],
  ["gateway.networking.k8s.io", "Gateway"],
  ["gateway.networking.k8s.io", "GatewayClass"],
] as const;

function checkTargetRef(report: Report, path: string, ref: PolicyTargetReference): void {
  if (ref.name === "") report.error(at(path, "name"), "targetRef name must be set");
  if (ref.namespace)
    report.error(
      at(path, "namespace"),
      "targetRef namespace must not be set; cross namespace referencing is not supported",
    );
  const group = ref.group || "core";
  if (!ALLOWED.some(([g, k]) => g === group && k === ref.kind)) {
    report.error(
      path,
      `targetRef must be to one of ${ALLOWED.map(([g, k]) => `${g}/${k}`).join(", ")} but was ${ref.group ?? ""}/${ref.kind}`,
    );
  }
}

/** Checks a policy's selector, targetRef and targetRefs. */
export function checkPolicyTargets(
  report: Report,
  spec: {
    selector?: WorkloadSelector;
    targetRef?: PolicyTargetReference;
    targetRefs?: PolicyTargetReference[];
  },
): void {
  const set =
    (spec.selector ? 1 : 0) +
    (spec.targetRef ? 1 : 0) +
    // The CRD's CEL rule counts presence (`has(self.targetRefs)`), so `targetRefs: []` counts.
    (spec.targetRefs !== undefined ? 1 : 0);
  if (set > 1) report.error("spec", "only one of targetRefs or workloadSelector can be set");
  checkSelector(report, "spec.selector", "matchLabels", spec.selector);
  if (spec.targetRef) checkTargetRef(report, "spec.targetRef", spec.targetRef);
  (spec.targetRefs ?? []).forEach((r, i) => checkTargetRef(report, idx("spec.targetRefs", i), r));
}
