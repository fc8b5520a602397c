/**
 * RequestAuthentication → Envoy `jwt_authn` HTTP filter. The control plane fetches each
 * `jwksUri` itself and inlines the key set (`local_jwks`); this module only takes the result,
 * so it stays pure: `jwks(issuer, jwksUri)` returns the fetched JWKS text or undefined.
 *
 * Semantics (Istio): a request without a token passes (`allow_missing`); a request carrying a
 * token that fails any provider is rejected; the verified payload is left in dynamic metadata
 * under `payload`, where RBAC's `requestPrincipals` (`iss/sub`) and `request.auth.claims[...]`
 * read it.
 *
 * @see istio/istio pilot/pkg/security/authn/policy_applier.go convertToEnvoyJwtConfig
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/jwt_authn/v3/config.proto
 */
import type { JwtRule, RequestAuthenticationSpec } from "../api/request-authentication";
import { JWT_FILTER, JWT_PAYLOAD_KEY } from "../authz/attributes";
import type { EnvoyObject, NamedFilter } from "../../xds/compile/security/envoy-objects";
import { Types } from "../../xds/compile/shared/envoy-names";

/** A RequestAuthentication as the builder needs it. */
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

/** The filter (absent without rules) and notes. */
export interface JwtAuthnResult {
  readonly filter?: NamedFilter;
  readonly notes: readonly JwtNote[];
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

/** Claims Envoy always splits on spaces (OAuth `scope`, `permission`), plus those asked for. */
function spaceDelimitedClaims(extra: readonly string[] | undefined): string[] {
  if (!extra) return ["permission", "scope"];
  return [...new Set([...extra, "permission", "scope"])].sort();
}

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

function provider(rule: JwtRule, jwks: string): EnvoyObject {
  const out: Record<string, unknown> = {
    issuer: rule.issuer ?? "",
    payload_in_metadata: JWT_PAYLOAD_KEY,
    normalize_payload_in_metadata: {
      space_delimited_claims: spaceDelimitedClaims(rule.spaceDelimitedClaims),
    },
    local_jwks: { inline_string: jwks },
  };
  if (rule.audiences?.length) out.audiences = rule.audiences;
  if (rule.forwardOriginalToken) out.forward = true;
  if (rule.outputPayloadToHeader) out.forward_payload_header = rule.outputPayloadToHeader;
  if (rule.fromHeaders?.length) {
    out.from_headers = rule.fromHeaders.map(h =>
      h.prefix ? { name: h.name, value_prefix: h.prefix } : { name: h.name },
    );
  }
  if (rule.fromParams?.length) out.from_params = rule.fromParams;
  if (rule.fromCookies?.length) out.from_cookies = rule.fromCookies;
  if (rule.outputClaimToHeaders?.length) {
    out.claim_to_headers = rule.outputClaimToHeaders.map(c => ({
      header_name: c.header,
      claim_name: c.claim,
    }));
  }
  return out;
}

/**
 * The `jwt_authn` filter for the RequestAuthentications that apply to one workload. Rules are
 * sorted by issuer (stable) so the config does not depend on list order; providers are named
 * `origins-<i>` as Istio names them.
 */
export function buildJwtAuthnFilter(
  policies: readonly RequestAuthenticationInput[],
  jwks: JwksLookup,
): JwtAuthnResult {
  const notes: JwtNote[] = [];
  const rules = policies
    .flatMap(p =>
      (p.spec.jwtRules ?? []).map((rule, i) => ({ p, rule, path: `spec.jwtRules[${i}]` })),
    )
    .sort((a, b) =>
      (a.rule.issuer ?? "") < (b.rule.issuer ?? "")
        ? -1
        : (a.rule.issuer ?? "") > (b.rule.issuer ?? "")
          ? 1
          : 0,
    );
  if (rules.length === 0) return { notes };
  const providers: Record<string, EnvoyObject> = {};
  const names: string[] = [];
  rules.forEach(({ p, rule, path }, i) => {
    const name = `origins-${i}`;
    names.push(name);
    let keys = rule.jwks;
    const uri = rule.jwksUri ?? rule.jwks_uri ?? "";
    if (!keys) {
      keys = uri ? jwks(rule.issuer ?? "", uri) : undefined;
      if (!keys) {
        notes.push({
          message: `RequestAuthentication ${p.namespace}/${p.name}: ${path}.jwksUri: key set of issuer ${JSON.stringify(rule.issuer ?? "")} not available${uri ? ` from ${uri}` : ""}; its tokens are rejected until it is`,
        });
        keys = FAIL_CLOSED_JWKS;
      }
    }
    providers[name] = provider(rule, keys);
  });
  // Each provider: a token it recognises must verify, a missing token is fine.
  const inner = names.map(name => ({
    requires_any: { requirements: [{ provider_name: name }, { allow_missing: {} }] },
  }));
  // With several providers, a token valid for any one passes even when they share a location
  // (the AND alone would fail it on the others).
  const requires =
    inner.length === 1
      ? inner[0]
      : {
          requires_any: {
            requirements: [
              ...names.map(name => ({ provider_name: name })),
              { requires_all: { requirements: inner } },
            ],
          },
        };
  return {
    notes,
    filter: {
      name: JWT_FILTER,
      typed_config: {
        "@type": Types.jwtAuthn,
        providers,
        rules: [{ match: { prefix: "/" }, requires }],
        bypass_cors_preflight: true,
      },
    },
  };
}
