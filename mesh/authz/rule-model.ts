/**
 * One AuthorizationPolicy rule as Envoy RBAC: every `from` becomes a principal, every `to` a
 * permission, and each `when` condition joins all principals or all permissions, depending on
 * which side its attribute lives (an Envoy policy matches when any permission and any principal
 * match).
 *
 * @see istio/istio pilot/pkg/security/authz/model/model.go
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/rbac/v3/rbac.proto#config-rbac-v3-policy
 */
import type { Rule } from "../api/authorization-policy";
import {
  conditionGenerator,
  destinationPort,
  host,
  method,
  path,
  remoteIp,
  requestPrincipalAttr,
  serviceAccount,
  sourceIp,
  sourceNamespace,
  sourcePrincipal,
  sourceTrustDomain,
  type AttributeGenerator,
  type Generated,
} from "./attributes";
import type {
  EnvoyObject,
  Permission,
  Principal,
  RbacAction,
  RbacPolicy,
} from "../../xds/compile/security/envoy-objects";
import {
  expandTrustDomainAliases,
  replaceTrustDomainAliases,
  type TrustDomainBundle,
} from "./trust-domain";

/** One attribute of a rule with its values, where they came from, and how to generate them. */
export interface AttributeMatch {
  readonly key: string;
  readonly values: readonly string[];
  readonly notValues: readonly string[];
  /** Field path of `values`, e.g. `spec.rules[0].from[1].source.principals`. */
  readonly valuesPath: string;
  /** Field path of `notValues`. */
  readonly notValuesPath: string;
  readonly generator: AttributeGenerator;
}

/** A rule in model form: one AND-list of attributes per principal and per permission. */
export interface RuleModel {
  readonly permissions: readonly (readonly AttributeMatch[])[];
  readonly principals: readonly (readonly AttributeMatch[])[];
}

/** Why a rule could not be turned into a policy: the field path and the rule broken. */
export interface RuleProblem {
  readonly path: string;
  readonly message: string;
}

/** Keys the Istio source/operation fields map to (the `when` keys of the same meaning). */
const SOURCE_FIELDS = [
  // Istio inserts each at the front, so the last listed here ends up first in the AND-list.
  ["ipBlocks", "notIpBlocks", "source.ip"],
  ["remoteIpBlocks", "notRemoteIpBlocks", "remote.ip"],
  ["namespaces", "notNamespaces", "source.namespace"],
  ["trustDomains", "notTrustDomains", "source.trustDomain"],
  ["serviceAccounts", "notServiceAccounts", "source.serviceAccount"],
  ["requestPrincipals", "notRequestPrincipals", "request.auth.principal"],
  ["principals", "notPrincipals", "source.principal"],
] as const;

const OPERATION_FIELDS = [
  ["ports", "notPorts", "destination.port"],
  ["paths", "notPaths", "path-matcher"],
  ["methods", "notMethods", ":method"],
  ["hosts", "notHosts", ":authority"],
] as const;

function sourceGenerator(key: string, policyNamespace: string): AttributeGenerator {
  switch (key) {
    case "source.ip":
      return sourceIp;
    case "remote.ip":
      return remoteIp;
    case "source.namespace":
      return sourceNamespace;
    case "source.trustDomain":
      return sourceTrustDomain;
    case "source.serviceAccount":
      return serviceAccount(policyNamespace);
    case "request.auth.principal":
      return requestPrincipalAttr;
    default:
      return sourcePrincipal;
  }
}

function operationGenerator(key: string): AttributeGenerator {
  switch (key) {
    case "destination.port":
      return destinationPort;
    case "path-matcher":
      return path;
    case ":method":
      return method;
    default:
      return host;
  }
}

/**
 * The model of `rule` (policy in `policyNamespace`, at `rulePath` such as `spec.rules[2]`), or
 * the problem that makes Istio skip the whole rule (an unknown `when` key).
 */
export function ruleModel(
  rule: Rule,
  policyNamespace: string,
  rulePath: string,
): { ok: true; value: RuleModel } | { ok: false; problem: RuleProblem } {
  const basePermission: AttributeMatch[] = [];
  const basePrincipal: AttributeMatch[] = [];
  for (const [i, when] of (rule.when ?? []).entries()) {
    const generator = conditionGenerator(when.key, policyNamespace);
    const at = `${rulePath}.when[${i}]`;
    if (!generator)
      return {
        ok: false,
        problem: { path: `${at}.key`, message: `unknown attribute ${when.key}` },
      };
    const values = when.values ?? [];
    const notValues = when.notValues ?? [];
    if (values.length === 0 && notValues.length === 0) continue;
    const match = {
      key: when.key,
      values,
      notValues,
      valuesPath: `${at}.values`,
      notValuesPath: `${at}.notValues`,
      generator,
    };
    (generator.side === "permission" ? basePermission : basePrincipal).push(match);
  }

  const principals = (rule.from ?? []).map((from, j) => {
    const merged = [...basePrincipal];
    const source = from.source ?? {};
    for (const [field, notField, key] of SOURCE_FIELDS) {
      const values = source[field] ?? [];
      const notValues = source[notField] ?? [];
      if (values.length === 0 && notValues.length === 0) continue;
      const at = `${rulePath}.from[${j}].source`;
      merged.unshift({
        key,
        values,
        notValues,
        valuesPath: `${at}.${field}`,
        notValuesPath: `${at}.${notField}`,
        generator: sourceGenerator(key, policyNamespace),
      });
    }
    return merged;
  });
  const permissions = (rule.to ?? []).map((to, j) => {
    const merged = [...basePermission];
    const operation = to.operation ?? {};
    for (const [field, notField, key] of OPERATION_FIELDS) {
      const values = operation[field] ?? [];
      const notValues = operation[notField] ?? [];
      if (values.length === 0 && notValues.length === 0) continue;
      const at = `${rulePath}.to[${j}].operation`;
      merged.unshift({
        key,
        values,
        notValues,
        valuesPath: `${at}.${field}`,
        notValuesPath: `${at}.${notField}`,
        generator: operationGenerator(key),
      });
    }
    return merged;
  });
  return {
    ok: true,
    value: {
      principals: principals.length > 0 ? principals : [basePrincipal],
      permissions: permissions.length > 0 ? permissions : [basePermission],
    },
  };
}

/**
 * The model with source principals and trust domains widened to the bundle's aliases.
 * @see istio/istio pilot/pkg/security/authz/model/model.go MigrateTrustDomain
 */
export function migrateTrustDomain(model: RuleModel, bundle: TrustDomainBundle): RuleModel {
  const migrate = (m: AttributeMatch): AttributeMatch => {
    if (m.key === "source.principal") {
      return {
        ...m,
        values: replaceTrustDomainAliases(bundle, m.values),
        notValues: replaceTrustDomainAliases(bundle, m.notValues),
      };
    }
    if (m.key === "source.trustDomain") {
      return {
        ...m,
        values: expandTrustDomainAliases(bundle, m.values),
        notValues: expandTrustDomainAliases(bundle, m.notValues),
      };
    }
    return m;
  };
  return { ...model, principals: model.principals.map(list => list.map(migrate)) };
}

type Combine = {
  and: (xs: EnvoyObject[]) => EnvoyObject;
  or: (xs: EnvoyObject[]) => EnvoyObject;
  not: (x: EnvoyObject) => EnvoyObject;
  any: EnvoyObject;
};

const PERMISSION: Combine = {
  and: rules => ({ and_rules: { rules } }),
  or: rules => ({ or_rules: { rules } }),
  not: rule => ({ not_rule: rule }),
  any: { any: true },
};

const PRINCIPAL: Combine = {
  and: ids => ({ and_ids: { ids } }),
  or: ids => ({ or_ids: { ids } }),
  not: id => ({ not_id: id }),
  any: { any: true },
};

/**
 * Matchers of one attribute: an OR of its values, and NOT(OR of its notValues). A value that
 * cannot be generated fails the rule for ALLOW (a smaller allow) and is dropped for DENY and
 * AUDIT (a wider deny) — Istio's `checkError`, so that a rule never allows more than written.
 */
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

function attributeMatchers(
  m: AttributeMatch,
  forTCP: boolean,
  action: RbacAction,
  combine: Combine,
  grpc: boolean,
): { ok: true; value: EnvoyObject[] } | { ok: false; problem: RuleProblem } {
  const out: EnvoyObject[] = [];
  for (const [values, at, negate] of [
    [m.values, m.valuesPath, false],
    [m.notValues, m.notValuesPath, true],
  ] as const) {
    if (values.length === 0) continue;
    let matcher: EnvoyObject | undefined;
    const g = m.generator;
    const make = (r: Generated<EnvoyObject>): Generated<EnvoyObject> => {
      const bad = grpc && "value" in r ? grpcUnsupported(r.value) : undefined;
      return bad
        ? { error: `${JSON.stringify(m.key)} needs ${bad}, which proxyless gRPC cannot match` }
        : r;
    };
    if (g.kind === "extended") {
      const r = make(g.make(m.key, values, forTCP));
      if ("error" in r) {
        if (action === "ALLOW") return { ok: false, problem: { path: at, message: r.error } };
      } else {
        matcher = r.value;
      }
    } else {
      const or: EnvoyObject[] = [];
      for (const [i, value] of values.entries()) {
        const r = make(g.make(m.key, value, forTCP));
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

function andList(
  list: readonly AttributeMatch[],
  forTCP: boolean,
  action: RbacAction,
  combine: Combine,
  grpc: boolean,
): { ok: true; value: EnvoyObject } | { ok: false; problem: RuleProblem } {
  const and: EnvoyObject[] = [];
  for (const m of list) {
    const r = attributeMatchers(m, forTCP, action, combine, grpc);
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
    const r = andList(list, forTCP, action, PERMISSION, grpc);
    if (!r.ok) return r;
    permissions.push(r.value);
  }
  const principals: Principal[] = [];
  for (const list of model.principals) {
    const r = andList(list, forTCP, action, PRINCIPAL, grpc);
    if (!r.ok) return r;
    principals.push(r.value);
  }
  return { ok: true, value: { permissions, principals } };
}
