/**
 * Authorization for the data plane: AuthorizationPolicy → Envoy RBAC and ext_authz filters, with
 * the policy model they take (`mesh/authz/`). Pure: no clock, no I/O; inputs are the policies
 * that apply to one workload.
 */
export * from "../../../mesh/authz";
export * from "./envoy-objects";
export * from "./ext-authz";
export * from "./jwt-authn";
export * from "./grpc-server-authz";
export * from "./rbac-builder";
