/**
 * RequestAuthentication validation: JWT rules. Rules: Istio's ValidateRequestAuthentication,
 * validateJwtRule and the CRD's CEL rules.
 * https://istio.io/latest/docs/reference/config/security/request_authentication/
 */
import type { JwtRule, RequestAuthenticationSpec } from "../../mesh/api/request-authentication";
import { checkDurationField, type Context, type ValidateOptions } from "./context";
import { at, idx, type Report, type ValidationResult } from "./diagnostic";
import { parseGoUrl } from "./go-url";
import { checkStrictHeaderName } from "./headers";
import { parseJwks } from "./jwks";
import { runValidator } from "./pipeline";
import { checkPolicyTargets } from "./policy-target";

/**
 * A JWKS URI must be an http(s) URL Envoy can fetch: the CRD's CEL rule
 * `url(self).getScheme() in ["http", "https"]` and Istio's security.ParseJwksURI, both Go's
 * net/url (so a port is any digits, up to what strconv.Atoi reads).
 */
export function checkJwksUri(uri: string): string | undefined {
  const cel = parseGoUrl(uri, true);
  const parsed = typeof cel === "string" ? cel : parseGoUrl(uri);
  if (typeof parsed === "string")
    return `url must have scheme http:// or https://: ${JSON.stringify(uri)} is not a valid URL`;
  if (parsed.scheme !== "http" && parsed.scheme !== "https") {
    return `URI scheme ${JSON.stringify(parsed.scheme)} is not supported: url must have scheme http:// or https://`;
  }
  // strconv.Atoi of the port: a 64-bit int.
  if (parsed.port !== "" && BigInt(parsed.port) > 9223372036854775807n)
    return `invalid port ${JSON.stringify(parsed.port)} in ${JSON.stringify(uri)}: value out of range`;
  return undefined;
}

const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k"];

function checkJwks(report: Report, path: string, jwks: string): void {
  const parsed = parseJwks(jwks);
  if (typeof parsed === "string") {
    report.error(path, `jwks parse error: ${parsed}`);
    return;
  }
  parsed.keys.forEach((k, i) => {
    if (typeof k === "object" && k !== null && PRIVATE_JWK_MEMBERS.some(m => m in k)) {
      // Envoy only needs public keys; shipping private ones to every proxy leaks them.
      report.warn(
        path,
        `jwks key at index ${i} contains private key material; only public keys are used for verification`,
      );
    }
  });
}

function checkJwtRule(report: Report, path: string, rule: JwtRule): void {
  (rule.audiences ?? []).forEach((a, i) => {
    if (a === "") report.error(idx(at(path, "audiences"), i), "audience must be non-empty string");
  });
  const jwksUri = rule.jwksUri ?? rule.jwks_uri;
  if (!rule.issuer && !jwksUri)
    report.error(at(path, "issuer"), "issuer or jwksUri must be non-empty string");
  if (rule.jwksUri !== undefined && rule.jwks_uri !== undefined)
    report.error(path, "only one of jwks or jwksUri can be set");
  if ((rule.jwksUri !== undefined || rule.jwks_uri !== undefined) && rule.jwks !== undefined) {
    report.error(path, "only one of jwks or jwksUri can be set");
  }
  if (jwksUri)
    report.check(
      at(path, rule.jwksUri !== undefined ? "jwksUri" : "jwks_uri"),
      checkJwksUri(jwksUri),
    );
  if (rule.jwks) checkJwks(report, at(path, "jwks"), rule.jwks);
  (rule.fromHeaders ?? []).forEach((h, i) => {
    if (h.name === "")
      report.error(
        at(idx(at(path, "fromHeaders"), i), "name"),
        "location header name must be non-empty string",
      );
  });
  (rule.fromParams ?? []).forEach((q, i) => {
    if (q === "")
      report.error(idx(at(path, "fromParams"), i), "location query must be non-empty string");
  });
  (rule.fromCookies ?? []).forEach((c, i) => {
    if (c === "")
      report.error(idx(at(path, "fromCookies"), i), "cookie name must be non-empty string");
  });
  (rule.outputClaimToHeaders ?? []).forEach((o, i) => {
    const p = idx(at(path, "outputClaimToHeaders"), i);
    if (o.claim === "" || o.header === "")
      report.error(p, "outputClaimToHeaders header and claim value must be non-empty string");
    else report.check(at(p, "header"), checkStrictHeaderName(o.header));
  });
  checkDurationField(report, at(path, "timeout"), rule.timeout);
}

/** The semantic rules of a RequestAuthentication spec. */
export function checkRequestAuthenticationSpec(
  spec: RequestAuthenticationSpec,
  ctx: Context,
): void {
  checkPolicyTargets(ctx.report, spec);
  (spec.jwtRules ?? []).forEach((r, i) => checkJwtRule(ctx.report, idx("spec.jwtRules", i), r));
}

/** Validates a RequestAuthentication object. */
export function validateRequestAuthentication(
  obj: unknown,
  options?: ValidateOptions,
): ValidationResult {
  return runValidator("RequestAuthentication", checkRequestAuthenticationSpec, obj, options);
}
