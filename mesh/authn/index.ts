/**
 * Authentication's model: PeerAuthentication → effective mTLS modes, which RequestAuthentications
 * apply to a workload, plus the checks the control plane's JWKS fetcher applies (deny-list, JWKS
 * document). Pure: no clock, no I/O. The `jwt_authn` filter is built in `xds/compile/security/`.
 */
export * from "./request-authentication";
export * from "./peer-authentication";
export * from "./workload-mtls";
export * from "./fetch-deny-list";
export * from "./jwks-document";
