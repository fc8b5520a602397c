/**
 * What a RequestAuthentication means for one workload, before any Envoy config: which ones apply
 * to it, how a rule's key set is looked up (the control plane fetches each `jwksUri` itself and
 * hands the result in), the key set used when it cannot be, and the request principal a verified
 * token gives. The `jwt_authn` filter is built from these in `xds/compile/security/jwt-authn.ts`.
 *
 * @see https://istio.io/latest/docs/reference/config/security/request_authentication/
 */
import type { RequestAuthenticationSpec } from "../api/request-authentication";

/** A RequestAuthentication as the builders need it. */
export interface RequestAuthenticationInput {
  readonly namespace: string;
  readonly name: string;
  readonly spec: RequestAuthenticationSpec;
}

/** The key set fetched for a rule, or undefined when it could not be fetched. */
export type JwksLookup = (issuer: string, jwksUri: string) => string | undefined;

/** Where a problem came from and what to do, naming the object and field. */
export interface JwtNote {
  readonly message: string;
}

/**
 * A public key whose private half was discarded when it was generated: used in place of a key
 * set that could not be fetched, so every token of that issuer fails (fail closed) while the
 * rest of the config still loads.
 */
export const FAIL_CLOSED_JWKS = JSON.stringify({
  keys: [
    {
      kty: "RSA",
      n: "ymeUisUjHFddIxX1rwcKK5cmMgYBmYoWL1xle7FwjCHgSs2mxFcRU1bAxctvWrA886wx7tHi_8VWauktGAC9xylYyDcdq-PkBqielzaQnot77M0b-KbKbNWjGlq5rYx3x-Sba5k-YPFoVAC8f-U6jAYCGUpRfJqiRJyW7NmWiuyk1ePT0hJ7Hu0LG8DmSFycHNx-h9vY8adsc6wbJ3WViB0l2YS86OYhHyURupE_-YCcRL8Qvlkp72J8-juZvs1ICUMbSQJK9xprFm3kPcCFV-VOtRW2-0-XciUX4y1UMRAEHRMTKzQK9y4KW4ROwUP1q8xAWR7pwOpLwk_BPmiabQ",
      e: "AQAB",
      kid: "rigging-fail-closed",
      alg: "RS256",
      use: "sig",
    },
  ],
});

/** The request principal RBAC matches for a verified payload: `iss/sub`. */
export function requestPrincipalOf(payload: {
  readonly iss?: unknown;
  readonly sub?: unknown;
}): string {
  return `${String(payload.iss ?? "")}/${String(payload.sub ?? "")}`;
}

/** The RequestAuthentications that apply to a workload: its namespace and the root namespace. */
export function requestAuthenticationsFor(
  policies: readonly RequestAuthenticationInput[],
  workload: { readonly namespace: string; readonly labels: Readonly<Record<string, string>> },
  rootNamespace = "istio-system",
): RequestAuthenticationInput[] {
  return policies.filter(p => {
    if (p.namespace !== workload.namespace && p.namespace !== rootNamespace) return false;
    // targetRef(s) attach to gateways and waypoints, not to sidecars or proxyless servers.
    if (p.spec.targetRef || (p.spec.targetRefs?.length ?? 0) > 0) return false;
    const sel = p.spec.selector?.matchLabels ?? {};
    return Object.entries(sel).every(([k, v]) => workload.labels[k] === v);
  });
}
