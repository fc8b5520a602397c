/**
 * AuthorizationPolicies → RBAC HTTP filters for proxyless gRPC server listeners, which support
 * less than Envoy (gRFC A41): no LOG action, no shadow rules, no ext_authz, no metadata.
 */
import { Types } from "../shared/envoy-names";
import type { NamedFilter, RbacPolicy } from "./envoy-objects";
import {
  isDryRun,
  label,
  splitByAction,
  type AuthzNote,
  type AuthzPolicyInput,
} from "../../../mesh/authz/policy-input";
import { addPolicies, type AuthzBuildOptions, type AuthzFilters } from "./rbac-builder";
import { trustDomainBundle } from "../../../mesh/authz/trust-domain";

/** Filter names on a proxyless gRPC server listener; an HCM needs them unique. */
export const GRPC_RBAC_FILTER_NAMES = {
  deny: "envoy.filters.http.rbac.DENY",
  allow: "envoy.filters.http.rbac",
} as const;

/**
 * HTTP filters for a proxyless gRPC server listener (grpc-js-xds with
 * `GRPC_XDS_EXPERIMENTAL_RBAC=true`): a DENY filter, then an ALLOW filter, enforced rules only.
 * gRPC rejects the LOG action and has no ext_authz, so AUDIT and dry-run policies are left out
 * (with a note) and CUSTOM rules deny (fail closed). Matchers gRPC cannot evaluate (JWT claims,
 * request principals, path templates) shrink ALLOW rules and widen DENY rules.
 * @see istio/istio pilot/pkg/networking/grpcgen/lds.go buildInboundFilterChain
 */
export function buildGrpcServerAuthzFilters(
  policies: readonly AuthzPolicyInput[],
  options: AuthzBuildOptions = {},
): AuthzFilters {
  const notes: AuthzNote[] = [];
  const bundle = options.trustDomains ?? trustDomainBundle("cluster.local");
  const by = splitByAction(policies);
  const deny: Record<string, RbacPolicy> = {};
  const allow: Record<string, RbacPolicy> = {};
  for (const p of [...by.AUDIT, ...by.DENY, ...by.ALLOW, ...by.CUSTOM]) {
    const action = p.spec.action ?? "ALLOW";
    if (isDryRun(p, notes) || action === "AUDIT") {
      notes.push({
        severity: "info",
        message: `${label(p)}: ${action === "AUDIT" ? "AUDIT" : "dry-run"} is not supported by proxyless gRPC; not applied`,
      });
      continue;
    }
    if (action === "CUSTOM") {
      notes.push({
        severity: "error",
        message: `${label(p)}: spec.action: CUSTOM is not supported by proxyless gRPC; its rules deny`,
      });
    }
    addPolicies(
      action === "ALLOW" ? allow : deny,
      p,
      action === "ALLOW" ? "ALLOW" : "DENY",
      false,
      bundle,
      notes,
      undefined,
      true,
    );
  }
  const filters: NamedFilter[] = [];
  if (Object.keys(deny).length > 0) {
    filters.push({
      name: GRPC_RBAC_FILTER_NAMES.deny,
      typed_config: { "@type": Types.httpRbac, rules: { action: "DENY", policies: deny } },
    });
  }
  if (by.ALLOW.some(p => !isDryRun(p, []))) {
    // Even with no policy left (all skipped), an ALLOW filter must stay: it then allows nothing.
    filters.push({
      name: GRPC_RBAC_FILTER_NAMES.allow,
      typed_config: { "@type": Types.httpRbac, rules: { action: "ALLOW", policies: allow } },
    });
  }
  return { filters, notes };
}
