/**
 * Each object's own validation, as istioctl's schema analyzer reports it: errors as
 * SchemaValidationError (IST0106), warnings as SchemaWarning (IST0133), except the
 * unreachable-rule warnings, which get Istio's more precise VirtualServiceUnreachableRule
 * (IST0130) and VirtualServiceIneffectiveMatch (IST0131).
 */
import { findKind } from "../api/kinds";
import { validate } from "../validation/validate";
import type { Diagnostic } from "../validation/diagnostic";
import { makeMessage, type AnalysisMessage, type Origin } from "./message";
import { originOf, type Inventory } from "./resources";

const INEFFECTIVE = /^virtualService rule (.+?) match (.+) is not used \((.+)\)$/;
const UNREACHABLE = /^virtualService rule (.+?) not used \((.+)\)$/;

function warning(origin: Origin, d: Diagnostic): AnalysisMessage {
  const ineffective = INEFFECTIVE.exec(d.rule);
  if (ineffective)
    return makeMessage(
      "VirtualServiceIneffectiveMatch",
      origin,
      `VirtualService rule ${ineffective[1]} match ${ineffective[2]} is not used (${ineffective[3]}).`,
    );
  const unreachable = UNREACHABLE.exec(d.rule);
  if (unreachable)
    return makeMessage(
      "VirtualServiceUnreachableRule",
      origin,
      `VirtualService rule ${unreachable[1]} not used (${unreachable[2]}).`,
    );
  return makeMessage("SchemaWarning", origin, `Schema validation warning: ${d.path}: ${d.rule}`);
}

/** Validates every Istio object of a served kind. */
export function checkSchemas(inv: Inventory): AnalysisMessage[] {
  const out: AnalysisMessage[] = [];
  for (const r of inv.resources) {
    if (!findKind(r.apiVersion, r.kind)) continue;
    const origin = originOf(r);
    const result = validate(r.object, {
      defaultNamespace: r.namespace,
      rootNamespace: inv.rootNamespace,
    });
    for (const e of result.errors)
      out.push(
        makeMessage(
          "SchemaValidationError",
          origin,
          `Schema validation error: ${e.path}: ${e.rule}`,
        ),
      );
    for (const w of result.warnings) out.push(warning(origin, w));
  }
  return out;
}
