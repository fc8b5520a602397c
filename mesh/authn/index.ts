/**
 * Authentication for the data plane: PeerAuthentication → effective mTLS modes, and
 * RequestAuthentication → the `jwt_authn` filter, plus the checks the control plane's JWKS
 * fetcher applies (deny-list, JWKS document). Pure: no clock, no I/O.
 */
export * from "./jwt-authn";
export * from "./peer-authentication";
export * from "./workload-mtls";
export * from "./fetch-deny-list";
export * from "./jwks-document";
