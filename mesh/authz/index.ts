/**
 * Authorization's model: which AuthorizationPolicies apply to a workload, what a rule means, and
 * trust domains. Pure: no clock, no I/O. The Envoy RBAC and ext_authz filters are built from it in
 * `xds/compile/security/`.
 */
export * from "./policy-input";
export * from "./trust-domain";
export * from "./workload-policies";
