/**
 * Authorization for the data plane: AuthorizationPolicy → Envoy RBAC and ext_authz filters.
 * Pure: no clock, no I/O; inputs are the policies that apply to one workload.
 */
export * from "./envoy-objects";
export * from "./ext-authz";
export * from "./grpc-server-authz";
export * from "./rbac-builder";
export * from "./trust-domain";
export * from "./workload-policies";
