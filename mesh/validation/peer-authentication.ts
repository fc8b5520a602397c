/**
 * PeerAuthentication validation. Rules: Istio's ValidatePeerAuthentication and the CRD's CEL
 * rules, plus the naming convention Istio documents for namespace- and mesh-wide policies.
 * https://istio.io/latest/docs/reference/config/security/peer_authentication/
 */
import type { PeerAuthenticationSpec } from "../../mesh/api/peer-authentication";
import type { Context, ValidateOptions } from "./context";
import { idx, type ValidationResult } from "./diagnostic";
import { checkSelector } from "./labels";
import { runValidator } from "./pipeline";

/** The semantic rules of a PeerAuthentication spec. */
export function checkPeerAuthenticationSpec(spec: PeerAuthenticationSpec, ctx: Context): void {
  const { report } = ctx;
  const selectorLabels = Object.keys(spec.selector?.matchLabels ?? {}).length;
  const portLevel = spec.portLevelMtls;
  if (selectorLabels === 0 && portLevel !== undefined && Object.keys(portLevel).length > 0) {
    // Ports belong to workloads; without a selector there is no workload to own them.
    report.error(
      "spec.portLevelMtls",
      "mesh/namespace peer authentication cannot have port level mTLS",
    );
  }
  if (portLevel !== undefined && Object.keys(portLevel).length === 0) {
    report.error(
      "spec.portLevelMtls",
      "port level mTLS, if defined, must have at least one element",
    );
  }
  for (const port of Object.keys(portLevel ?? {})) {
    // The API server's CEL int() reads "080" as 80, but Istio decodes each key as a JSON number
    // (jsonpb), which has no leading zeros, so it cannot read the object at all.
    if (/^0\d/.test(port)) {
      report.error(
        idx("spec.portLevelMtls", port),
        `port ${JSON.stringify(port)} must be a decimal number without leading zeros`,
      );
      continue;
    }
    const n = Number(port);
    if (!(n >= 1 && n <= 65535))
      report.error(idx("spec.portLevelMtls", port), "port must be in range 1..65535");
  }
  checkSelector(report, "spec.selector", "matchLabels", spec.selector);
  if (selectorLabels === 0) {
    // Only the oldest namespace-wide (or mesh-wide, in the root namespace) policy takes effect;
    // Istio's docs name that one `default` so a second one stands out.
    if (ctx.name !== "default") {
      const scope = ctx.namespace === ctx.rootNamespace ? "mesh-wide" : "namespace-wide";
      report.warn(
        "metadata.name",
        `${scope} peer authentication should be named "default"; only the oldest ${scope} policy takes effect`,
      );
    }
  } else if (ctx.namespace === ctx.rootNamespace) {
    report.warn(
      "spec.selector",
      `peer authentication with a workload selector is ignored in the root namespace ${ctx.rootNamespace}`,
    );
  }
}

/** Validates a PeerAuthentication object. */
export function validatePeerAuthentication(
  obj: unknown,
  options?: ValidateOptions,
): ValidationResult {
  return runValidator("PeerAuthentication", checkPeerAuthenticationSpec, obj, options);
}
