/**
 * RequestAuthentication → Envoy `jwt_authn` HTTP filter. The control plane fetches each
 * `jwksUri` itself and inlines the key set (`local_jwks`); this module only takes the result,
 * so it stays pure: `jwks(issuer, jwksUri)` returns the fetched JWKS text or undefined. Which
 * policies apply to a workload is `mesh/authn/request-authentication.ts`.
 *
 * Semantics (Istio): a request without a token passes (`allow_missing`); a request carrying a
 * token that fails any provider is rejected; the verified payload is left in dynamic metadata
 * under `payload`, where RBAC's `requestPrincipals` (`iss/sub`) and `request.auth.claims[...]`
 * read it.
 *
 * @see istio/istio pilot/pkg/security/authn/policy_applier.go convertToEnvoyJwtConfig
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/jwt_authn/v3/config.proto
 */
import type { JwtRule } from "../../../mesh/api/request-authentication";
import {
  FAIL_CLOSED_JWKS,
  type JwksLookup,
  type JwtNote,
  type RequestAuthenticationInput,
} from "../../../mesh/authn/request-authentication";
import type { JwtProvider, JwtRequirement } from "../shared/envoy";
import { Types } from "../shared/envoy-names";
import type { NamedFilter } from "./envoy-objects";
import { JWT_FILTER, JWT_PAYLOAD_KEY } from "./rbac-attributes";

/** The filter (absent without rules) and notes. */
export interface JwtAuthnResult {
  readonly filter?: NamedFilter;
  readonly notes: readonly JwtNote[];
}

/** Claims Envoy always splits on spaces (OAuth `scope`, `permission`), plus those asked for. */
function spaceDelimitedClaims(extra: readonly string[] | undefined): string[] {
  if (!extra) return ["permission", "scope"];
  return [...new Set([...extra, "permission", "scope"])].sort();
}

/** Istio's provider of one rule: verified payload in metadata, the key set inlined. */
function provider(rule: JwtRule, jwks: string): JwtProvider {
  const out: JwtProvider = {
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
  const providers: Record<string, JwtProvider> = {};
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
  const inner: JwtRequirement[] = names.map(name => ({
    requires_any: { requirements: [{ provider_name: name }, { allow_missing: {} }] },
  }));
  // With several providers, a token valid for any one passes even when they share a location
  // (the AND alone would fail it on the others).
  const requires: JwtRequirement | undefined =
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
