/**
 * DestinationRule validation. Rules: Istio's ValidateDestinationRule.
 * https://istio.io/latest/docs/reference/config/networking/destination-rule/
 */
import type { DestinationRuleSpec } from "../../mesh/api/destination-rule";
import type { Context, ValidateOptions } from "./context";
import { at, idx, type ValidationResult } from "./diagnostic";
import { checkSubsetName } from "./destinations";
import { checkExportTo } from "./export-to";
import { checkWildcardDomain } from "./hosts";
import { checkLabels, checkSelector } from "./labels";
import { runValidator } from "./pipeline";
import { checkTrafficPolicy } from "./traffic-policy";

/** The semantic rules of a DestinationRule spec. */
export function checkDestinationRuleSpec(spec: DestinationRuleSpec, ctx: Context): void {
  const { report, namespace } = ctx;
  report.check("spec.host", checkWildcardDomain(spec.host));
  checkTrafficPolicy(report, "spec.trafficPolicy", namespace, spec.trafficPolicy);
  const names = new Set<string>();
  (spec.subsets ?? []).forEach((s, i) => {
    const p = idx("spec.subsets", i);
    if (names.has(s.name)) report.error(at(p, "name"), `duplicate subset names: ${s.name}`);
    names.add(s.name);
    report.check(at(p, "name"), checkSubsetName(s.name));
    checkLabels(report, at(p, "labels"), s.labels);
    checkTrafficPolicy(report, at(p, "trafficPolicy"), namespace, s.trafficPolicy);
  });
  checkExportTo(report, "spec.exportTo", namespace, spec.exportTo, {
    selectorScoped: spec.workloadSelector !== undefined,
  });
  checkSelector(report, "spec.workloadSelector", "matchLabels", spec.workloadSelector);
}

/** Validates a DestinationRule object. */
export function validateDestinationRule(obj: unknown, options?: ValidateOptions): ValidationResult {
  return runValidator("DestinationRule", checkDestinationRuleSpec, obj, options);
}
