/**
 * Authentication for the data plane: PeerAuthentication → effective mTLS modes, and
 * RequestAuthentication → the `jwt_authn` filter. Pure: no clock, no I/O.
 */
export * from "./jwt-authn";
export * from "./peer-authentication";
export * from "./workload-mtls";
