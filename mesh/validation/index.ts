/**
 * Semantic validation of Istio config objects: one validator per kind, a dispatcher, and the
 * diagnostics they return.
 */
export { validateAuthorizationPolicy } from "./authorization-policy";
export type { ValidateOptions } from "./context";
export { validateDestinationRule } from "./destination-rule";
export {
  formatDiagnostic,
  type Diagnostic,
  type ObjectRef,
  type Severity,
  type ValidationResult,
} from "./diagnostic";
export { validateEnvoyFilter } from "./envoy-filter";
export { validateGateway } from "./gateway";
export { validatePeerAuthentication } from "./peer-authentication";
export { validateRequestAuthentication } from "./request-authentication";
export { validateServiceEntry } from "./service-entry";
export { validateSidecar } from "./sidecar";
export { BUILTIN_TELEMETRY_PROVIDERS, validateTelemetry } from "./telemetry";
export { validate, VALIDATORS, type Validator } from "./validate";
export { validateVirtualService } from "./virtual-service";
export { validateWorkloadEntry } from "./workload-entry";
export { validateWorkloadGroup } from "./workload-group";
