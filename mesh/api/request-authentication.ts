/**
 * RequestAuthentication: which JWTs a workload accepts.
 * https://istio.io/latest/docs/reference/config/security/request_authentication/
 */
import { PolicyTargetReference, WorkloadSelector } from "./common";
import { array, boolean, duration, enumOf, object, req, string, type Infer } from "./schema";

/** How a JWT is validated and where it is found. */
export const JwtRule = object({
  audiences: array(string({ minLength: 1 })),
  forwardOriginalToken: boolean(),
  fromCookies: array(string({ minLength: 1 })),
  fromHeaders: array(object({ name: req(string({ minLength: 1 })), prefix: string() })),
  fromParams: array(string({ minLength: 1 })),
  issuer: string({ minLength: 1 }),
  jwks: string(),
  jwks_uri: string({ minLength: 1, maxLength: 2048, deprecated: true }),
  jwksUri: string({ minLength: 1, maxLength: 2048 }),
  outputClaimToHeaders: array(
    object({
      claim: req(string({ minLength: 1 })),
      header: req(string({ minLength: 1, pattern: "^[-_A-Za-z0-9]+$" })),
    }),
  ),
  outputPayloadToHeader: string(),
  presence: enumOf(["OPTIONAL", "REQUIRED"]),
  spaceDelimitedClaims: array(string({ minLength: 1 }), { maxItems: 64 }),
  timeout: duration(),
});
/** @see JwtRule */
export type JwtRule = Infer<typeof JwtRule>;

/** The RequestAuthentication spec. */
export const RequestAuthenticationSpec = object(
  {
    jwtRules: array(JwtRule, { maxItems: 4096 }),
    selector: WorkloadSelector,
    targetRef: PolicyTargetReference,
    targetRefs: array(PolicyTargetReference, { maxItems: 16 }),
  },
  {
    description:
      "Request authentication configuration for workloads. See https://istio.io/docs/reference/config/security/request_authentication.html",
  },
);
/** @see RequestAuthenticationSpec */
export type RequestAuthenticationSpec = Infer<typeof RequestAuthenticationSpec>;
