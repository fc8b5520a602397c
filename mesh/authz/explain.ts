/**
 * `rig x explain`'s core: which AuthorizationPolicy and rule allow or deny a described request
 * to a workload, and why. Evaluates in Istio's order — CUSTOM (sent to the ext_authz provider),
 * then DENY, then ALLOW; with no enforced ALLOW policy the request is allowed, with ALLOW
 * policies but no matching rule it is denied. AUDIT and dry-run policies are reported, never
 * decide.
 *
 * It reads the same rule model and attribute checks the RBAC builder compiles from, so a rule the
 * builder skips (an unknown `when` key, an HTTP-only field on TCP for ALLOW) is skipped here,
 * and an attribute the builder drops (HTTP-only on TCP for DENY) is dropped here.
 *
 * @see https://istio.io/latest/docs/concepts/security/#implicit-enablement
 */
import type { MtlsMode } from "../authn/peer-authentication";
import type { Attribute } from "./attributes";
import { isDryRun, splitByAction, type AuthzNote, type AuthzPolicyInput } from "./policy-input";
import { valueOutcome, valuesOutcome, type AuthzRequest } from "./request-attributes";
import { migrateTrustDomain, ruleModel, type AttributeMatch } from "./rule-model";
import { trustDomainBundle, type TrustDomainBundle } from "./trust-domain";

/** A policy action as evaluated (unset is ALLOW). */
export type PolicyAction = "CUSTOM" | "AUDIT" | "DENY" | "ALLOW";

/** One condition checked, with its field path: `spec.rules[0].to[0].operation.methods: …`. */
export interface Reason {
  readonly path: string;
  readonly held: boolean;
  readonly message: string;
}

/** A rule's outcome. `skipped` says why the proxy never evaluates it. */
export interface RuleOutcome {
  readonly index: number;
  readonly matched: boolean;
  readonly skipped?: string;
  /** For a match: the conditions that held; otherwise the first failure of each alternative. */
  readonly reasons: readonly Reason[];
}

/** A policy's outcome, in evaluation order. */
export interface PolicyOutcome {
  /** `namespace/name`. */
  readonly policy: string;
  readonly action: PolicyAction;
  readonly dryRun: boolean;
  /** CUSTOM: the ext_authz provider name. */
  readonly provider?: string;
  readonly matched: boolean;
  readonly rules: readonly RuleOutcome[];
}

/** Who decided. */
export interface Decider {
  readonly kind: "AuthorizationPolicy" | "PeerAuthentication" | "default";
  /** `namespace/name` (absent for the default). */
  readonly name?: string;
  readonly action?: PolicyAction;
  readonly rule?: number;
}

/** The verdict and everything behind it. */
export interface Explanation {
  readonly verdict: "ALLOW" | "DENY";
  readonly decidedBy: Decider;
  /** One line for people. */
  readonly summary: string;
  /** The deciding rule's reasons (or, for a default deny, why each ALLOW rule failed). */
  readonly reasons: readonly Reason[];
  /** CUSTOM policies that matched: the request also needs their provider's OK. */
  readonly external: readonly { readonly policy: string; readonly provider: string }[];
  readonly policies: readonly PolicyOutcome[];
  readonly notes: readonly AuthzNote[];
}

/** Options besides the policies and the request. */
export interface ExplainOptions {
  /** Local trust domain and aliases. Default: `cluster.local` alone. */
  readonly trustDomains?: TrustDomainBundle;
  /** The port's PeerAuthentication mode and the policy that set it, when known. */
  readonly mtls?: { readonly mode: MtlsMode; readonly policy?: string };
}

const quoteList = (xs: readonly string[]) => `[${xs.map(x => JSON.stringify(x)).join(", ")}]`;

/**
 * Values the builder keeps for `m` (a value its check refuses is dropped for DENY/AUDIT/CUSTOM),
 * or the error that makes it skip an ALLOW rule.
 */
function usable(
  a: Attribute,
  key: string,
  values: readonly string[],
  forTCP: boolean,
): { kept: readonly string[]; error?: string } {
  if (a.kind === "extended") {
    const error = a.check(key, values, forTCP);
    return error !== undefined ? { kept: [], error } : { kept: values };
  }
  const kept: string[] = [];
  let error: string | undefined;
  for (const v of values) {
    const e = a.check(key, v, forTCP);
    if (e !== undefined) error ??= e;
    else kept.push(v);
  }
  return { kept, error };
}

/** Outcomes of one attribute: its values (any must hold) and its notValues (none may). */
function attributeReasons(
  m: AttributeMatch,
  req: AuthzRequest,
  ns: string,
  forTCP: boolean,
  action: PolicyAction,
): { ok: true; reasons: Reason[] } | { ok: false; skip: string } {
  const out: Reason[] = [];
  for (const [values, path, negate] of [
    [m.values, m.valuesPath, false],
    [m.notValues, m.notValuesPath, true],
  ] as const) {
    if (values.length === 0) continue;
    const { kept, error } = usable(m.attribute, m.key, values, forTCP);
    if (error && action === "ALLOW") return { ok: false, skip: `${path}: ${error}` };
    if (kept.length === 0) continue; // dropped: the DENY matches more, as the builder makes it
    let hit: string | undefined;
    let actual: string;
    if (m.attribute.kind === "extended") {
      const r = valuesOutcome(m.key, kept, req);
      actual = r.actual;
      if (r.match) hit = quoteList(kept);
    } else {
      const rs = kept.map(v => ({ v, r: valueOutcome(m.key, v, req, ns) }));
      actual = rs[0]?.r.actual ?? "";
      hit = rs.find(x => x.r.match)?.v;
    }
    const held = negate ? hit === undefined : hit !== undefined;
    const matched =
      hit === undefined
        ? `${actual} matches none of ${quoteList(kept)}`
        : `${actual} matches ${m.attribute.kind === "extended" ? `one of ${hit}` : JSON.stringify(hit)}`;
    const dropped = kept.length < values.length ? " (values that cannot apply here ignored)" : "";
    out.push({ path, held, message: `${matched}${negate ? " (notValues)" : ""}${dropped}` });
  }
  return { ok: true, reasons: out };
}

type Side = { readonly held: boolean; readonly reasons: Reason[] };

/** Any alternative (from[j] or to[j]) whose conditions all hold. */
function side(
  alternatives: readonly (readonly AttributeMatch[])[],
  req: AuthzRequest,
  ns: string,
  forTCP: boolean,
  action: PolicyAction,
): { ok: true; value: Side } | { ok: false; skip: string } {
  const failures: Reason[] = [];
  let winner: Reason[] | undefined;
  for (const list of alternatives) {
    const reasons: Reason[] = [];
    for (const m of list) {
      const r = attributeReasons(m, req, ns, forTCP, action);
      if (!r.ok) return { ok: false, skip: r.skip };
      reasons.push(...r.reasons);
    }
    const failed = reasons.find(r => !r.held);
    if (failed) failures.push(failed);
    else winner ??= reasons;
  }
  return {
    ok: true,
    value: winner ? { held: true, reasons: winner } : { held: false, reasons: failures },
  };
}

function evaluateRule(
  policy: AuthzPolicyInput,
  index: number,
  action: PolicyAction,
  req: AuthzRequest,
  bundle: TrustDomainBundle,
): RuleOutcome {
  const rule = policy.spec.rules?.[index] ?? {};
  const model = ruleModel(rule, policy.namespace, `spec.rules[${index}]`);
  if (!model.ok) {
    const skipped = `${model.problem.path}: ${model.problem.message}; rule skipped`;
    return { index, matched: false, skipped, reasons: [] };
  }
  const forTCP = req.protocol === "TCP";
  const m = migrateTrustDomain(model.value, bundle);
  const to = side(m.permissions, req, policy.namespace, forTCP, action);
  const from = side(m.principals, req, policy.namespace, forTCP, action);
  const skip = !to.ok ? to.skip : !from.ok ? from.skip : undefined;
  if (!to.ok || !from.ok) {
    const where = forTCP ? "on TCP" : "on HTTP";
    return { index, matched: false, skipped: `${skip}; ALLOW rule skipped ${where}`, reasons: [] };
  }
  const matched = to.value.held && from.value.held;
  const reasons = matched
    ? [...to.value.reasons, ...from.value.reasons]
    : [...(to.value.held ? [] : to.value.reasons), ...(from.value.held ? [] : from.value.reasons)];
  if (matched && reasons.length === 0)
    reasons.push({
      path: `spec.rules[${index}]`,
      held: true,
      message: "the rule has no conditions: it matches every request",
    });
  return { index, matched, reasons };
}

function evaluatePolicy(
  policy: AuthzPolicyInput,
  action: PolicyAction,
  req: AuthzRequest,
  bundle: TrustDomainBundle,
  notes: AuthzNote[],
): PolicyOutcome {
  const dryRun = isDryRun(policy, notes);
  const rules = (policy.spec.rules ?? []).map((_, i) =>
    evaluateRule(policy, i, action, req, bundle),
  );
  for (const r of rules) {
    if (r.skipped)
      notes.push({
        severity: "info",
        message: `AuthorizationPolicy ${policy.namespace}/${policy.name}: ${r.skipped}`,
      });
  }
  return {
    policy: `${policy.namespace}/${policy.name}`,
    action,
    dryRun,
    ...(action === "CUSTOM" ? { provider: policy.spec.provider?.name ?? "" } : {}),
    matched: rules.some(r => r.matched),
    rules,
  };
}

/**
 * The policies of a workload in the order its proxy evaluates them: CUSTOM, AUDIT, DENY, ALLOW
 * (the RBAC filter chain's order), by namespace/name within an action.
 */
export function inEvaluationOrder(
  policies: readonly AuthzPolicyInput[],
): { action: PolicyAction; policy: AuthzPolicyInput }[] {
  const by = splitByAction(policies);
  const sorted = (xs: AuthzPolicyInput[]) =>
    [...xs].sort((a, b) => (`${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1));
  return (["CUSTOM", "AUDIT", "DENY", "ALLOW"] as const).flatMap(action =>
    sorted(by[action]).map(policy => ({ action, policy })),
  );
}

const firstMatch = (p: PolicyOutcome) => p.rules.find(r => r.matched);

/**
 * Decides `request` against `policies` (those applying to the workload, see
 * `authorizationPoliciesFor`). Pure: the same inputs give the same explanation.
 */
export function explainRequest(
  policies: readonly AuthzPolicyInput[],
  request: AuthzRequest,
  options: ExplainOptions = {},
): Explanation {
  const notes: AuthzNote[] = [];
  const bundle = options.trustDomains ?? trustDomainBundle("cluster.local");
  let req = request;
  const mtls = options.mtls;
  if (mtls?.mode === "STRICT" && req.principal === undefined) {
    return {
      verdict: "DENY",
      decidedBy: { kind: "PeerAuthentication", ...(mtls.policy ? { name: mtls.policy } : {}) },
      summary: `plaintext connection refused: mTLS is STRICT on this port${mtls.policy ? ` (PeerAuthentication ${mtls.policy})` : ""}`,
      reasons: [],
      external: [],
      policies: [],
      notes,
    };
  }
  if (mtls?.mode === "DISABLE" && req.principal !== undefined) {
    // The sidecar does not terminate mTLS on this port, so it never sees a peer certificate.
    notes.push({
      severity: "info",
      message: `mTLS is DISABLE on this port${mtls.policy ? ` (PeerAuthentication ${mtls.policy})` : ""}: the peer identity ${req.principal} is not seen`,
    });
    const { principal: _dropped, ...rest } = req;
    req = rest;
  }
  const outcomes = inEvaluationOrder(policies).map(({ action, policy }) =>
    evaluatePolicy(policy, action, req, bundle, notes),
  );
  const enforced = (a: PolicyAction) => outcomes.filter(o => o.action === a && !o.dryRun);
  const external = enforced("CUSTOM")
    .filter(o => o.matched)
    .map(o => ({ policy: o.policy, provider: o.provider ?? "" }));
  const base = { external, policies: outcomes, notes };
  for (const o of outcomes.filter(x => x.dryRun && x.matched))
    notes.push({
      severity: "info",
      message: `dry-run AuthorizationPolicy ${o.policy} (${o.action}) would match (not enforced)`,
    });

  const deny = enforced("DENY").find(o => o.matched);
  const denyRule = deny && firstMatch(deny);
  if (deny && denyRule) {
    return {
      ...base,
      verdict: "DENY",
      decidedBy: {
        kind: "AuthorizationPolicy",
        name: deny.policy,
        action: "DENY",
        rule: denyRule.index,
      },
      summary: `denied by DENY policy ${deny.policy}, rule ${denyRule.index}`,
      reasons: denyRule.reasons,
    };
  }
  const allows = enforced("ALLOW");
  if (allows.length === 0) {
    return {
      ...base,
      verdict: "ALLOW",
      decidedBy: { kind: "default" },
      summary: "allowed: no DENY policy matches and no ALLOW policy applies to the workload",
      reasons: [],
    };
  }
  const allow = allows.find(o => o.matched);
  const allowRule = allow && firstMatch(allow);
  if (allow && allowRule) {
    return {
      ...base,
      verdict: "ALLOW",
      decidedBy: {
        kind: "AuthorizationPolicy",
        name: allow.policy,
        action: "ALLOW",
        rule: allowRule.index,
      },
      summary: `allowed by ALLOW policy ${allow.policy}, rule ${allowRule.index}`,
      reasons: allowRule.reasons,
    };
  }
  return {
    ...base,
    verdict: "DENY",
    decidedBy: { kind: "default" },
    summary: `denied: ${allows.length} ALLOW ${allows.length === 1 ? "policy applies" : "policies apply"} and none matches`,
    reasons: allows.flatMap(o =>
      o.rules.length === 0
        ? [
            {
              path: `${o.policy}: spec.rules`,
              held: false,
              message: "no rules: the policy allows nothing",
            },
          ]
        : o.rules.flatMap(r =>
            r.skipped
              ? [
                  {
                    path: `${o.policy}: spec.rules[${r.index}]`,
                    held: false,
                    message: `skipped: ${r.skipped}`,
                  },
                ]
              : r.reasons.map(x => ({ ...x, path: `${o.policy}: ${x.path}` })),
          ),
    ),
  };
}
