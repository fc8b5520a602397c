/**
 * The validator dispatcher: finds the kind of an object and runs its validator.
 */
import { findKind, type KindName } from "../../mesh/api/kinds";
import { validateAuthorizationPolicy } from "./authorization-policy";
import type { ValidateOptions } from "./context";
import { validateDestinationRule } from "./destination-rule";
import { describeValue, Report, type ValidationResult } from "./diagnostic";
import { validateEnvoyFilter } from "./envoy-filter";
import { validateGateway } from "./gateway";
import { validatePeerAuthentication } from "./peer-authentication";
import { validateRequestAuthentication } from "./request-authentication";
import { validateServiceEntry } from "./service-entry";
import { validateSidecar } from "./sidecar";
import { validateTelemetry } from "./telemetry";
import { validateVirtualService } from "./virtual-service";
import { validateWorkloadEntry } from "./workload-entry";
import { validateWorkloadGroup } from "./workload-group";

/** A validator of one kind. */
export type Validator = (obj: unknown, options?: ValidateOptions) => ValidationResult;

/** The validator of each kind. */
export const VALIDATORS: Readonly<Record<KindName, Validator>> = {
  VirtualService: validateVirtualService,
  DestinationRule: validateDestinationRule,
  Gateway: validateGateway,
  ServiceEntry: validateServiceEntry,
  Sidecar: validateSidecar,
  WorkloadEntry: validateWorkloadEntry,
  WorkloadGroup: validateWorkloadGroup,
  EnvoyFilter: validateEnvoyFilter,
  PeerAuthentication: validatePeerAuthentication,
  RequestAuthentication: validateRequestAuthentication,
  AuthorizationPolicy: validateAuthorizationPolicy,
  Telemetry: validateTelemetry,
};

/**
 * Validates any object: an Istio kind Rigging serves is checked by its validator; anything else
 * (another group, an unknown kind, not an object) is refused with an error, never thrown.
 */
export function validate(obj: unknown, options: ValidateOptions = {}): ValidationResult {
  const rec =
    typeof obj === "object" && obj !== null && !Array.isArray(obj)
      ? (obj as Record<string, unknown>)
      : undefined;
  const info = rec ? findKind(rec.apiVersion, rec.kind) : undefined;
  if (info) return VALIDATORS[info.kind as KindName](obj, options);
  const meta =
    rec && typeof rec.metadata === "object" && rec.metadata !== null
      ? (rec.metadata as Record<string, unknown>)
      : {};
  const text = (v: unknown, fallback: string) => (typeof v === "string" && v !== "" ? v : fallback);
  const report = new Report({
    kind: text(rec?.kind, "<unknown kind>"),
    namespace: text(meta.namespace, options.defaultNamespace ?? "default"),
    name: text(meta.name, "<unnamed>"),
  });
  report.error(
    rec ? "apiVersion" : "<root>",
    rec
      ? `unrecognized type ${describeValue(rec.apiVersion)}, Kind=${describeValue(rec.kind)}`
      : "Invalid type: expected object",
  );
  return report.result();
}
