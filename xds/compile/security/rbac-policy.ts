/**
 * One AuthorizationPolicy rule's model (`mesh/authz/rule-model.ts`) as an Envoy RBAC policy: each
 * principal and permission an AND of its attributes' matchers, each attribute an OR of its
 * values and NOT(OR of its notValues) (an Envoy policy matches when any permission and any
 * principal match).
 *
 * @see istio/istio pilot/pkg/security/authz/model/model.go
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/rbac/v3/rbac.proto#config-rbac-v3-policy
 */
import type { Attribute, Side } from "../../../mesh/authz/attributes";
import type { AttributeMatch, RuleModel, RuleProblem } from "../../../mesh/authz/rule-model";
import type { Permission, Principal, RbacAction, RbacPolicy } from "./envoy-objects";
import {
  generateValue,
  generateValues,
  type Generated,
  type RbacMatcherOf,
} from "./rbac-attributes";

/** How the matchers of one side (permissions or principals) combine. */
type Combine<S extends Side> = {
  and: (xs: RbacMatcherOf<S>[]) => RbacMatcherOf<S>;
  or: (xs: RbacMatcherOf<S>[]) => RbacMatcherOf<S>;
  not: (x: RbacMatcherOf<S>) => RbacMatcherOf<S>;
  any: RbacMatcherOf<S>;
};

const PERMISSION: Combine<"permission"> = {
  and: rules => ({ and_rules: { rules } }),
  or: rules => ({ or_rules: { rules } }),
  not: rule => ({ not_rule: rule }),
  any: { any: true },
};

const PRINCIPAL: Combine<"principal"> = {
  and: ids => ({ and_ids: { ids } }),
  or: ids => ({ or_ids: { ids } }),
  not: id => ({ not_id: id }),
  any: { any: true },
};

/**
 * Matchers proxyless gRPC cannot evaluate: gRFC A41 treats `metadata` (JWT claims, request
 * principals, Envoy metadata) as never matching, and grpc-js-xds also never matches
 * `uri_template`. Treated like HTTP-only fields on TCP, so ALLOW shrinks and DENY widens.
 * @see https://github.com/grpc/proposal/blob/master/A41-xds-rbac.md
 */
function grpcUnsupported(o: unknown): string | undefined {
  if (typeof o !== "object" || o === null) return undefined;
  for (const [k, v] of Object.entries(o)) {
    if (k === "metadata" || k === "uri_template") return k;
    const inner = grpcUnsupported(v);
    if (inner) return inner;
  }
  return undefined;
}

/**
 * Matchers of one attribute: an OR of its values, and NOT(OR of its notValues). A value that
 * cannot be generated fails the rule for ALLOW (a smaller allow) and is dropped for DENY and
 * AUDIT (a wider deny) — Istio's `checkError`, so that a rule never allows more than written.
 */
function attributeMatchers<S extends Side>(
  m: AttributeMatch,
  namespace: string,
  forTCP: boolean,
  action: RbacAction,
  combine: Combine<S>,
  grpc: boolean,
): { ok: true; value: RbacMatcherOf<S>[] } | { ok: false; problem: RuleProblem } {
  const out: RbacMatcherOf<S>[] = [];
  for (const [values, at, negate] of [
    [m.values, m.valuesPath, false],
    [m.notValues, m.notValuesPath, true],
  ] as const) {
    if (values.length === 0) continue;
    let matcher: RbacMatcherOf<S> | undefined;
    // The rule model lists each attribute on its own side (`ruleModel` sorts by `side`).
    const a = m.attribute as Attribute & { readonly side: S };
    const make = (r: Generated<RbacMatcherOf<S>>): Generated<RbacMatcherOf<S>> => {
      const bad = grpc && "value" in r ? grpcUnsupported(r.value) : undefined;
      return bad
        ? { error: `${JSON.stringify(m.key)} needs ${bad}, which proxyless gRPC cannot match` }
        : r;
    };
    if (a.kind === "extended") {
      const r = make(generateValues(a, m.key, values, forTCP));
      if ("error" in r) {
        if (action === "ALLOW") return { ok: false, problem: { path: at, message: r.error } };
      } else {
        matcher = r.value;
      }
    } else {
      const or: RbacMatcherOf<S>[] = [];
      for (const [i, value] of values.entries()) {
        const r = make(generateValue(a, m.key, value, forTCP, namespace));
        if ("error" in r) {
          if (action === "ALLOW")
            return { ok: false, problem: { path: `${at}[${i}]`, message: r.error } };
        } else if (r.value) {
          or.push(r.value);
        }
      }
      if (or.length > 0) matcher = combine.or(or);
    }
    if (matcher) out.push(negate ? combine.not(matcher) : matcher);
  }
  return { ok: true, value: out };
}

function andList<S extends Side>(
  list: readonly AttributeMatch[],
  namespace: string,
  forTCP: boolean,
  action: RbacAction,
  combine: Combine<S>,
  grpc: boolean,
): { ok: true; value: RbacMatcherOf<S> } | { ok: false; problem: RuleProblem } {
  const and: RbacMatcherOf<S>[] = [];
  for (const m of list) {
    const r = attributeMatchers(m, namespace, forTCP, action, combine, grpc);
    if (!r.ok) return r;
    and.push(...r.value);
  }
  if (and.length === 0) and.push(combine.any);
  return { ok: true, value: combine.and(and) };
}

/**
 * The Envoy RBAC policy of a rule model, for an HTTP or a TCP (`forTCP`) filter chain. On TCP,
 * HTTP-only attributes (methods, paths, hosts, request principals, headers, JWT claims) cannot
 * be checked: an ALLOW rule using them is skipped (it matches nothing) and a DENY/AUDIT rule
 * drops just those attributes (it matches more), exactly as Istio does. `grpc` applies the same
 * rule to matchers proxyless gRPC cannot evaluate.
 */
export function generatePolicy(
  model: RuleModel,
  forTCP: boolean,
  action: RbacAction,
  grpc = false,
): { ok: true; value: RbacPolicy } | { ok: false; problem: RuleProblem } {
  const permissions: Permission[] = [];
  for (const list of model.permissions) {
    const r = andList(list, model.namespace, forTCP, action, PERMISSION, grpc);
    if (!r.ok) return r;
    permissions.push(r.value);
  }
  const principals: Principal[] = [];
  for (const list of model.principals) {
    const r = andList(list, model.namespace, forTCP, action, PRINCIPAL, grpc);
    if (!r.ok) return r;
    principals.push(r.value);
  }
  return { ok: true, value: { permissions, principals } };
}
