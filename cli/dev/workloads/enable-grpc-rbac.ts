/**
 * grpc-js-xds reads `GRPC_XDS_EXPERIMENTAL_RBAC` once, when it loads, and without it NACKs every
 * listener carrying an RBAC filter (AuthorizationPolicies). Import this module before
 * `@grpc/grpc-js-xds`, so the variable is set in time (imports run in order; Jest gives each test
 * file fresh modules).
 */
process.env.GRPC_XDS_EXPERIMENTAL_RBAC = "true";
