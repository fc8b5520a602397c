import { a, Capability, type PeprValidateRequest } from "pepr";
import { admitConfig, CONFIG_KIND_VERSIONS } from "../mesh/admission/config-validation";

/**
 * Config validation: every Istio kind, in every served version, is checked on create and update.
 * A broken object is refused with the validator's messages (object, field path, rule); a
 * questionable one is admitted with Kubernetes admission warnings.
 */
export const ConfigValidation = new Capability({
  name: "config-validation",
  description: "Validates Istio networking and security config on admission.",
});

const { When } = ConfigValidation;

// One binding per kind and served version (VirtualService v1, v1beta1, v1alpha3, ...).
for (const gvk of CONFIG_KIND_VERSIONS)
  When(a.GenericKind, gvk).IsCreatedOrUpdated().Validate(validateConfig);

/** Denies with the joined errors, or approves with the warnings. */
function validateConfig(req: PeprValidateRequest<a.GenericKind>) {
  const verdict = admitConfig(req.Raw, req.Request.namespace);
  if (verdict.action === "deny") return req.Deny(verdict.message, 400);
  return req.Approve(verdict.warnings.length > 0 ? verdict.warnings : undefined);
}
