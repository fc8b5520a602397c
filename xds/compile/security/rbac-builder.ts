/**
 * AuthorizationPolicies of one workload → Envoy RBAC (and ext_authz) filters, for HTTP filter
 * chains (`envoy.filters.http.rbac`) and TCP filter chains (`envoy.filters.network.rbac`).
 *
 * Order in the chain: CUSTOM (ext_authz), then AUDIT, DENY, ALLOW — so DENY is evaluated
 * before ALLOW, and a request must pass every filter. Policies annotated `istio.io/dry-run`
 * go to `shadow_rules` (evaluated and logged, never enforced).
 *
 * @see istio/istio pilot/pkg/security/authz/builder/builder.go
 * @see https://istio.io/latest/docs/concepts/security/#authorization-policy-precedence
 */
import {
  isDryRun,
  label,
  splitByAction,
  type AuthzNote,
  type AuthzPolicyInput,
} from "../../../mesh/authz/policy-input";
import { FilterNames, Types } from "../shared/envoy-names";
import { withoutUndefined as drop } from "../shared/xds-util";
import {
  type NamedFilter,
  type RbacAction,
  type RbacPolicy,
  type RbacRules,
} from "./envoy-objects";
import { EXT_AUTHZ_MATCH_PREFIX, EXT_AUTHZ_SHADOW_STAT_PREFIX, resolveExtAuthz } from "./ext-authz";
import type { ExtensionProvider, ServiceNamespaces } from "../../../mesh/meshconfig/ext-authz";
import { migrateTrustDomain, ruleModel } from "../../../mesh/authz/rule-model";
import { generatePolicy } from "./rbac-policy";
import { trustDomainBundle, type TrustDomainBundle } from "../../../mesh/authz/trust-domain";
import type { HttpRbac_RBAC } from "../shared/envoy";

/** Inputs besides the policies; all optional. */
export interface AuthzBuildOptions {
  /** Local trust domain and aliases. Default: `cluster.local` alone. */
  readonly trustDomains?: TrustDomainBundle;
  /** Mesh config `extensionProviders`, for CUSTOM policies. */
  readonly extensionProviders?: readonly ExtensionProvider[];
  /** Where a service hostname exists (to find ext_authz clusters). Default: nowhere. */
  readonly serviceNamespaces?: ServiceNamespaces;
  /**
   * Why this proxy has no cluster for a provider's service and port (a Sidecar's egress hides
   * the service, or the service has no such port), or undefined when it has one. A provider the
   * proxy cannot reach is a configuration error: its policies deny rather than leave every
   * request to ext_authz's failure mode. Default: every provider is reachable.
   */
  readonly providerUnreachable?: (hostname: string, port: number) => string | undefined;
  /** Istio's PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS. Default false. */
  readonly multipleCustomProviders?: boolean;
}

/** The filters, in chain order, and the notes. */
export interface AuthzFilters {
  readonly filters: readonly NamedFilter[];
  readonly notes: readonly AuthzNote[];
}

/** Stat prefix of dry-run CUSTOM policies' shadow rules (Istio's dry-run prefixes + action). */
const DRY_RUN_CUSTOM_STAT_PREFIX = "istio_dry_run_custom_";
const SHADOW_ALLOW_PREFIX = "istio_dry_run_allow_";
const SHADOW_DENY_PREFIX = "istio_dry_run_deny_";
const TCP_STAT_PREFIX = "tcp.";
const BAD_CUSTOM_SUFFIX = "-deny-due-to-bad-CUSTOM-action";

/** A policy that never matches: what an ALLOW policy without rules ("allow nothing") becomes. */
const MATCH_NEVER: RbacPolicy = {
  permissions: [{ not_rule: { any: true } }],
  principals: [{ not_id: { any: true } }],
};

/** `ns[<ns>]-policy[<name>]-rule[<i>]`, prefixed for CUSTOM so ext_authz can find it. */
export function rbacPolicyName(
  namespace: string,
  name: string,
  rule: number,
  provider?: string,
): string {
  const prefix =
    provider === undefined
      ? ""
      : provider !== ""
        ? `${EXT_AUTHZ_MATCH_PREFIX}-${provider}-`
        : `${EXT_AUTHZ_MATCH_PREFIX}-`;
  return `${prefix}ns[${namespace}]-policy[${name}]-rule[${rule}]`;
}

/** Adds the RBAC policies of `policy` (one per rule) to `into`. */
export function addPolicies(
  into: Record<string, RbacPolicy>,
  policy: AuthzPolicyInput,
  action: RbacAction,
  forTCP: boolean,
  bundle: TrustDomainBundle,
  notes: AuthzNote[],
  provider?: string,
  grpc = false,
): void {
  const rules = policy.spec.rules ?? [];
  for (const [i, rule] of rules.entries()) {
    const name = rbacPolicyName(policy.namespace, policy.name, i, provider);
    const model = ruleModel(rule, policy.namespace, `spec.rules[${i}]`);
    if (!model.ok) {
      notes.push({
        severity: "error",
        message: `${label(policy)}: ${model.problem.path}: ${model.problem.message}; rule skipped`,
      });
      continue;
    }
    const generated = generatePolicy(migrateTrustDomain(model.value, bundle), forTCP, action, grpc);
    if (!generated.ok) {
      const where = grpc
        ? "for proxyless gRPC"
        : forTCP
          ? "on TCP filter chain"
          : "on HTTP filter chain";
      notes.push({
        severity: "info",
        message: `${label(policy)}: ${generated.problem.path}: ${generated.problem.message}; ALLOW rule skipped ${where} (it matches nothing there)`,
      });
      continue;
    }
    into[name] = generated.value;
  }
  if (rules.length === 0)
    into[rbacPolicyName(policy.namespace, policy.name, 0, provider)] = MATCH_NEVER;
}

interface Built {
  readonly enforce?: RbacRules;
  readonly shadow?: RbacRules;
}

function buildAction(
  policies: readonly AuthzPolicyInput[],
  action: RbacAction,
  forTCP: boolean,
  bundle: TrustDomainBundle,
  notes: AuthzNote[],
): Built | undefined {
  if (policies.length === 0) return undefined;
  const enforce: Record<string, RbacPolicy> = {};
  const shadow: Record<string, RbacPolicy> = {};
  let hasEnforce = false;
  let hasShadow = false;
  for (const p of policies) {
    const dry = isDryRun(p, notes);
    if (dry) hasShadow = true;
    else hasEnforce = true;
    addPolicies(dry ? shadow : enforce, p, action, forTCP, bundle, notes);
  }
  return {
    enforce: hasEnforce ? { action, policies: enforce } : undefined,
    shadow: hasShadow ? { action, policies: shadow } : undefined,
  };
}

/**
 * Istio names the shadow stat prefix after the shadow rules' action, reading a missing rule
 * set as ALLOW (protobuf's default), and AUDIT as no prefix.
 */
function shadowStatPrefix(shadow: RbacRules | undefined): string | undefined {
  const action = shadow?.action ?? "ALLOW";
  return action === "ALLOW"
    ? SHADOW_ALLOW_PREFIX
    : action === "DENY"
      ? SHADOW_DENY_PREFIX
      : undefined;
}

function rbacFilter(
  forTCP: boolean,
  config: Pick<HttpRbac_RBAC, "rules" | "shadow_rules" | "shadow_rules_stat_prefix">,
): NamedFilter {
  return {
    name: forTCP ? FilterNames.networkRbac : FilterNames.httpRbac,
    typed_config: {
      "@type": forTCP ? Types.networkRbac : Types.httpRbac,
      ...drop(config),
      ...(forTCP ? { stat_prefix: TCP_STAT_PREFIX } : {}),
    },
  };
}

/** Fail closed: every enforced CUSTOM rule of the provider becomes a DENY. */
function badCustomDeny(forTCP: boolean, rules: Record<string, RbacPolicy>): NamedFilter {
  const policies = Object.fromEntries(
    Object.entries(rules).map(([k, v]) => [k + BAD_CUSTOM_SUFFIX, v]),
  );
  return rbacFilter(forTCP, { rules: { action: "DENY", policies } });
}

function buildCustom(
  policies: readonly AuthzPolicyInput[],
  forTCP: boolean,
  options: AuthzBuildOptions,
  bundle: TrustDomainBundle,
  notes: AuthzNote[],
): NamedFilter[] {
  const byProvider = new Map<
    string,
    { enforce: Record<string, RbacPolicy>; shadow: Record<string, RbacPolicy> }
  >();
  for (const p of policies) {
    const provider = p.spec.provider?.name ?? "";
    let sets = byProvider.get(provider);
    if (!sets) byProvider.set(provider, (sets = { enforce: {}, shadow: {} }));
    addPolicies(
      isDryRun(p, notes) ? sets.shadow : sets.enforce,
      p,
      "DENY",
      forTCP,
      bundle,
      notes,
      provider,
    );
  }
  const providers = [...byProvider.keys()].sort();
  if (providers.length > 1 && !options.multipleCustomProviders) {
    const named = policies.map(label).join(", ");
    notes.push({
      severity: "error",
      message: `${named}: spec.provider.name: CUSTOM AuthorizationPolicies on one workload use ${providers.length} providers (${providers.join(", ")}); one per workload is supported, so their rules deny`,
    });
    return providers.map(name => badCustomDeny(forTCP, byProvider.get(name)?.enforce ?? {}));
  }
  const out: NamedFilter[] = [];
  for (const name of providers) {
    const sets = byProvider.get(name) ?? { enforce: {}, shadow: {} };
    const found = resolveExtAuthz(
      options.extensionProviders ?? [],
      name,
      options.serviceNamespaces ?? (() => []),
    );
    const unreachable = found.ok
      ? options.providerUnreachable?.(found.hostname, found.port)
      : undefined;
    const resolved = unreachable ? { ok: false as const, errors: [unreachable] } : found;
    if (!resolved.ok) {
      // One note per policy naming the provider, so the operator knows which object to fix.
      for (const p of policies.filter(x => (x.spec.provider?.name ?? "") === name)) {
        notes.push({
          severity: "error",
          message: `${label(p)}: spec.provider.name: CUSTOM provider ${JSON.stringify(name)}: ${resolved.errors.join("; ")}; its rules deny`,
        });
      }
      out.push(badCustomDeny(forTCP, sets.enforce));
      continue;
    }
    const extAuthz = forTCP ? resolved.tcp : resolved.http;
    if (!extAuthz) continue; // an HTTP provider has nothing to say on a TCP filter chain
    if (Object.keys(sets.shadow).length > 0) {
      // Dry-run CUSTOM policies are evaluated and counted under their own stat prefix, so their
      // matches neither deny nor reach the gate below. Istio puts them in `rules`, which Envoy
      // enforces: a dry-run policy there denies what it matches and never asks the provider.
      out.push(
        rbacFilter(forTCP, {
          shadow_rules: { action: "DENY", policies: sets.shadow },
          shadow_rules_stat_prefix: DRY_RUN_CUSTOM_STAT_PREFIX,
        }),
      );
    }
    out.push(
      rbacFilter(forTCP, {
        // Evaluate only: the matched policy id lands in dynamic metadata for ext_authz.
        shadow_rules: { action: "DENY", policies: sets.enforce },
        shadow_rules_stat_prefix: EXT_AUTHZ_SHADOW_STAT_PREFIX,
      }),
      {
        name: forTCP ? FilterNames.networkExtAuthz : FilterNames.httpExtAuthz,
        typed_config: extAuthz,
      },
    );
  }
  return out;
}

/** Which actions to build (Istio builds CUSTOM and the rest with separate builders). */
export type AuthzActions = "all" | "custom" | "builtin";

function build(
  policies: readonly AuthzPolicyInput[],
  forTCP: boolean,
  options: AuthzBuildOptions,
  actions: AuthzActions,
): AuthzFilters {
  const notes: AuthzNote[] = [];
  const bundle = options.trustDomains ?? trustDomainBundle("cluster.local");
  const by = splitByAction(policies);
  const filters: NamedFilter[] = [];
  if (actions !== "builtin" && by.CUSTOM.length > 0) {
    filters.push(...buildCustom(by.CUSTOM, forTCP, options, bundle, notes));
  }
  if (actions !== "custom") {
    for (const [action, list] of [
      ["LOG", by.AUDIT],
      ["DENY", by.DENY],
      ["ALLOW", by.ALLOW],
    ] as const) {
      const built = buildAction(list, action, forTCP, bundle, notes);
      if (!built) continue;
      filters.push(
        rbacFilter(forTCP, {
          rules: built.enforce,
          shadow_rules: built.shadow,
          shadow_rules_stat_prefix: shadowStatPrefix(built.shadow),
        }),
      );
    }
  }
  return { filters, notes };
}

/** HTTP filters (`HttpConnectionManager.http_filters`) for the workload's policies. */
export function buildHttpAuthzFilters(
  policies: readonly AuthzPolicyInput[],
  options: AuthzBuildOptions = {},
  actions: AuthzActions = "all",
): AuthzFilters {
  return build(policies, false, options, actions);
}

/** Network filters (`FilterChain.filters`, before tcp_proxy) for the workload's policies. */
export function buildTcpAuthzFilters(
  policies: readonly AuthzPolicyInput[],
  options: AuthzBuildOptions = {},
  actions: AuthzActions = "all",
): AuthzFilters {
  return build(policies, true, options, actions);
}
